import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { crudRoutes, defineKind, type Res } from './shared/resource.js';
import { asArray, asRecord, isHostname, oneOf } from './shared/validate.js';

/** GCP time a Google-managed certificate spends PROVISIONING before it turns ACTIVE (scaled by latencyScale). */
const PROVISIONING_MS = 15 * 60 * 1000;
const MANAGED_VALIDITY_MS = 90 * 24 * 3600 * 1000;

export const sslCertificates = defineKind({
  plural: 'sslCertificates',
  kind: 'compute#sslCertificate',
  listKind: 'compute#sslCertificateList',
  scope: 'global',
  noun: 'ssl_certificate',
  outputOnly: ['expireTime', 'subjectAlternativeNames', 'selfManaged'],
  quota: () => ({ scope: 'global', metric: 'SSL_CERTIFICATES' }),
  build(input) {
    const type = oneOf(input.type, 'resource.type', ['SELF_MANAGED', 'MANAGED'], input.managed !== undefined ? 'MANAGED' : 'SELF_MANAGED');
    if (type === 'MANAGED') {
      if (input.certificate !== undefined || input.privateKey !== undefined) throw err.badRequest('certificate and privateKey cannot be set on a MANAGED certificate.', 'invalid');
      const domains = asArray(asRecord(input.managed, 'resource.managed').domains, 'resource.managed.domains').map(String);
      if (!domains.length) throw err.required('resource.managed.domains');
      if (domains.length > 100) throw err.invalid('resource.managed.domains', domains.length, 'A managed certificate can cover at most 100 domains.');
      domains.forEach((d, i) => {
        if (d.includes('*')) throw err.invalid(`resource.managed.domains[${i}]`, d, 'Wildcard domains are not supported by Google-managed SSL certificates.');
        if (!isHostname(d, false) || !d.includes('.')) throw err.invalid(`resource.managed.domains[${i}]`, d, 'Must be a fully qualified domain name.');
      });
      if (new Set(domains).size !== domains.length) throw err.invalid('resource.managed.domains', '', 'Duplicate domain.');
      return { description: input.description, type, managed: { domains } };
    }
    const pem = String(input.certificate ?? '');
    const key = String(input.privateKey ?? '');
    if (!pem) throw err.required('resource.certificate');
    if (!key) throw err.required('resource.privateKey');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
      createPrivateKey(key);
    } catch {
      throw err.badRequest('The SSL certificate and key could not be parsed.', 'sslCertificateCouldNotParseCert');
    }
    const sans = (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
    // The private key is write-only: GCE never returns it.
    return {
      description: input.description,
      type,
      certificate: pem,
      _privateKey: key,
      expireTime: new Date(cert.validTo).toISOString(),
      ...(sans.length ? { subjectAlternativeNames: sans } : {}),
    };
  },
  derive(res, ctx) {
    if (res.type !== 'MANAGED') return res;
    const managed = res.managed as Res;
    const activeAt = Date.parse(String(res.creationTimestamp)) + Math.round(PROVISIONING_MS * ctx.latencyScale);
    const active = ctx.now().getTime() >= activeAt;
    const domains = (managed.domains as string[]) ?? [];
    const status = active ? 'ACTIVE' : 'PROVISIONING';
    res.managed = { ...managed, status, domainStatus: Object.fromEntries(domains.map((d) => [d, status])) };
    if (active) {
      res.subjectAlternativeNames = domains;
      res.expireTime = new Date(activeAt + MANAGED_VALIDITY_MS).toISOString();
    }
    return res;
  },
});

export function sslCertificateRoutes(): Route[] {
  return crudRoutes(sslCertificates);
}
