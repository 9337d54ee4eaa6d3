/**
 * Every resource kind in the desired graph. Names are canonical full GCP resource names
 * (the identity everywhere: plan, apply, labels, emulator). `spec` holds only the fields
 * we own, in the API's REST JSON shape (camelCase, enums as strings).
 *
 * Ownership marker: kinds with labels carry `managed-by=ruvector` and
 * `ruvector-topology=<metadata.name>` in spec.labels (for Cloud Run and Cloud Storage too).
 * Kinds without labels carry the marker in `description` as
 * `managed-by=ruvector ruvector-topology=<name>`: Network, Subnetwork, Router, Firewall,
 * HealthCheck, BackendService, UrlMap, SslCertificate, SslPolicy, TargetHttp(s)Proxy,
 * SecurityPolicy, RegionNetworkEndpointGroup; iam.ServiceAccount uses its description too.
 * GlobalAddress and GlobalForwardingRule have labels (sent with the insert; changed later
 * through setLabels, the only way Compute changes them);
 * servicenetworking.Connection, sql.Database, sql.User and iam.PolicyMembers have neither
 * and are owned through their parent (network, instance, resource).
 *
 * Values known only once another resource exists (a Cloud Run URL, a Redis host) are
 * written as `${ref:<resource name>#<field path>}` inside a string; see refs.ts.
 */
export const KIND_DOCS = {
  'compute.Network': 'VPC network (global, custom subnet mode)',
  'compute.Subnetwork': 'regional subnet: per-region service subnet with secondary ranges, and the /28 connector subnet',
  'compute.Router': 'Cloud Router per region; Cloud NAT is Router.nats[] (NAT has no API of its own)',
  'compute.Firewall': 'VPC firewall rule (global)',
  'compute.GlobalAddress': 'global address: private service access ranges (VPC_PEERING) and the LB\'s external IP',
  'servicenetworking.Connection': 'private service access peering to servicenetworking.googleapis.com (Redis and Cloud SQL share it)',
  'vpcaccess.Connector': 'Serverless VPC Access connector per region, on its dedicated subnet',
  'iam.ServiceAccount': 'service account the Cloud Run service runs as (one per region by default)',
  'iam.PolicyMembers': 'IAM members we add to one resource\'s policy (additive, like *_iam_member); name "<resource>#iam" or "<resource>#iam/<member>"; spec {resource, bindings: [{role, members}]}',
  'secretmanager.Secret': 'Secret Manager secret (the container; the deploy adds versions from annotations["ruvector-value-from"])',
  'redis.Instance': 'Memorystore for Redis instance per region',
  'sql.Instance': 'Cloud SQL instance: PostgreSQL primary (tier 1) or cross-region read replica (tier 2)',
  'sql.Database': 'database on a primary',
  'sql.User': 'built-in user on a primary; password from a secret reference, never inline',
  'storage.Bucket': 'Cloud Storage bucket (vectors per tier-1 region, and the logs bucket)',
  'pubsub.Schema': 'Pub/Sub schema (Avro)',
  'pubsub.Topic': 'Pub/Sub topic',
  'pubsub.Subscription': 'Pub/Sub push subscription, one per region and topic',
  'run.Service': 'Cloud Run (v2) service per region',
  'compute.RegionNetworkEndpointGroup': 'serverless NEG pointing at the region\'s Cloud Run service',
  'compute.HealthCheck': 'global HTTP/2 health check per region (the seed\'s)',
  'compute.SecurityPolicy': 'Cloud Armor policy with its rules (rules live in the policy body)',
  'compute.BackendService': 'global backend service per region (NEG, CDN, logging, security policy)',
  'compute.UrlMap': 'URL map: X-Client-Region routes, and the HTTP->HTTPS redirect map',
  'compute.SslCertificate': 'Google-managed SSL certificate',
  'compute.SslPolicy': 'SSL policy (profile, minimum TLS)',
  'compute.TargetHttpsProxy': 'HTTPS proxy: URL map + certificate + SSL policy',
  'compute.TargetHttpProxy': 'HTTP proxy for the redirect map',
  'compute.GlobalForwardingRule': 'global forwarding rule (443 to the HTTPS proxy, 80 to the redirect proxy)',
} as const;

export type ResourceKind = keyof typeof KIND_DOCS;

export const RESOURCE_KINDS = Object.keys(KIND_DOCS) as ResourceKind[];

/** The ownership labels every labelled resource carries. */
export const MANAGED_BY_LABEL = 'managed-by';
export const MANAGED_BY_VALUE = 'ruvector';
export const TOPOLOGY_LABEL = 'ruvector-topology';
/** On a bucket whose spec sets forceDestroy: destroy deletes its objects too (a label, so it holds after the spec drops the bucket). */
export const FORCE_DESTROY_LABEL = 'ruvector-force-destroy';

/** The description marker for kinds without labels. */
export function ownershipMarker(topology: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE} ${TOPOLOGY_LABEL}=${topology}`;
}
