/**
 * Two spec fields that name the same GCP resource: two firewalls called "a", a logs bucket
 * named like a vector bucket, a connector subnet named like the region's subnet, a secret
 * declared twice. The expansion can hold one resource per name, so each such pair is refused
 * here, at the later field, naming the earlier one. Names are compared after templating, per
 * region, within the collection GCP keeps them unique in (project-wide or per region).
 */
import type { Check, PathProblem } from './check.js';
import { formatPath } from './errors.js';
import { allRegions, primaryOf } from './model.js';
import { fill, usesPrimaryRegion, usesRegion, type TemplateVars } from './names.js';
import { regionConfig, regionShort } from './regions.js';
import type { Spec, TierName } from './schema.js';

type Scope = 'once' | 'regions' | 'tier1' | 'tier2' | 'secret';

interface Named {
  /** The GCP collection the name lives in, and whether it is unique per region or project-wide. */
  collection: string;
  regional?: boolean;
  template: string;
  path: PropertyKey[];
  scope: Scope;
}

function regionVars(spec: Spec): TemplateVars[] {
  return allRegions(spec)
    .filter((r) => regionConfig().valid.includes(r))
    .map((region) => {
      const tier: TierName = spec.regions.tier1.includes(region) ? 'tier1' : 'tier2';
      const v: TemplateVars = { project: spec.project, region, regionShort: regionShort(region), primaryRegion: primaryOf(spec, region) ?? region, tier };
      v.sqlInstance = fill(tier === 'tier1' ? spec.sql.primaryName : spec.sql.replicaName, v);
      return v;
    });
}

/** Every name the spec gives a resource, with where it is written. */
function namedFields(spec: Spec): Named[] {
  const out: Named[] = [];
  const add = (collection: string, template: string, path: PropertyKey[], scope: Scope, regional = false) => out.push({ collection, template, path, scope, regional });
  const n = spec.network;
  n.firewalls.forEach((f, i) => add('firewall', f.name, ['network', 'firewalls', i, 'name'], 'once'));
  n.privateServiceAccess.ranges.forEach((r, i) => add('global address', r.name, ['network', 'privateServiceAccess', 'ranges', i, 'name'], 'once'));
  add('subnetwork', n.subnets.name, ['network', 'subnets', 'name'], 'regions', true);
  add('subnetwork', n.connector.subnetName, ['network', 'connector', 'subnetName'], 'regions', true);
  const lb = spec.loadBalancer;
  if (lb.enabled) {
    add('global address', lb.addressName, ['loadBalancer', 'addressName'], 'once');
    add('URL map', lb.urlMapName, ['loadBalancer', 'urlMapName'], 'once');
    add('forwarding rule', lb.httpsForwardingRuleName, ['loadBalancer', 'httpsForwardingRuleName'], 'once');
    if (lb.httpRedirect) {
      add('URL map', lb.redirectUrlMapName, ['loadBalancer', 'redirectUrlMapName'], 'once');
      add('forwarding rule', lb.httpForwardingRuleName, ['loadBalancer', 'httpForwardingRuleName'], 'once');
    }
  }
  add('Cloud SQL instance', spec.sql.primaryName, ['sql', 'primaryName'], 'tier1');
  add('Cloud SQL instance', spec.sql.replicaName, ['sql', 'replicaName'], 'tier2');
  add('bucket', spec.storage.logs.name, ['storage', 'logs', 'name'], 'once');
  add('bucket', spec.storage.vectors.name, ['storage', 'vectors', 'name'], 'tier1');
  spec.pubsub.topics.forEach((t, i) => {
    if (t.schema) add('Pub/Sub schema', t.schema.name, ['pubsub', 'topics', i, 'schema', 'name'], 'once');
    if (t.subscription) add('Pub/Sub subscription', t.subscription.name, ['pubsub', 'topics', i, 'subscription', 'name'], 'regions');
  });
  spec.secrets.forEach((s, i) => add('secret', s.name, ['secrets', i, 'name'], 'secret'));
  return out;
}

export const checkNameCollisions: Check = (spec, out: PathProblem[], written) => {
  const all = regionVars(spec);
  const scopes: Record<Exclude<Scope, 'secret'>, TemplateVars[]> = {
    once: [{ project: spec.project }],
    regions: all,
    tier1: all.filter((v) => v.tier === 'tier1'),
    tier2: all.filter((v) => v.tier === 'tier2'),
  };
  const owner = new Map<string, PropertyKey[]>();
  for (const f of namedFields(spec)) {
    // A secret's name says its scope: one per region, per primary, or one for the topology.
    const scope = f.scope === 'secret' ? (usesRegion(f.template) ? all : usesPrimaryRegion(f.template) ? scopes.tier1 : scopes.once) : scopes[f.scope];
    for (const v of scope) {
      const name = fill(f.template, v);
      const key = `${f.collection}|${f.regional ? v.region : ''}|${name}`;
      const first = owner.get(key);
      if (!first) {
        owner.set(key, f.path);
        continue;
      }
      // One field yielding one name in several regions is checkNames' report ("needs ${region}").
      if (formatPath(first) === formatPath(f.path)) continue;
      // Point at the name the user wrote, not at a default they may not know is there.
      const [at, other] = written.has(f.path) || !written.has(first) ? [f.path, first] : [first, f.path];
      out.push({
        path: at,
        message: `"${name}" is also the name given by ${formatPath(other)}${written.has(other) ? '' : ' (its default)'}: both would be the ${f.collection} ${name}${f.regional && v.region ? ` in ${v.region}` : ''}; give each its own name`,
      });
      break;
    }
  }
};
