import type { Route } from '../../core/types.js';
import { err } from './shared/errors.js';
import { crudRoutes, defineKind, type Res } from './shared/resource.js';
import { asRecord, bool, intIn, oneOf } from './shared/validate.js';

const TYPES = { HTTP: 'httpHealthCheck', HTTPS: 'httpsHealthCheck', HTTP2: 'http2HealthCheck', TCP: 'tcpHealthCheck', SSL: 'sslHealthCheck', GRPC: 'grpcHealthCheck', GRPC_WITH_TLS: 'grpcTlsHealthCheck' } as const;
type HcType = keyof typeof TYPES;
const DEFAULT_PORT: Record<HcType, number> = { HTTP: 80, HTTPS: 443, HTTP2: 443, TCP: 80, SSL: 443, GRPC: 0, GRPC_WITH_TLS: 0 };

function protocolBlock(type: HcType, raw: Res, field: string): Res {
  const out: Res = { ...raw };
  const spec = oneOf(raw.portSpecification, `${field}.portSpecification`, ['USE_FIXED_PORT', 'USE_NAMED_PORT', 'USE_SERVING_PORT'], raw.portName && raw.port === undefined ? 'USE_NAMED_PORT' : 'USE_FIXED_PORT');
  out.portSpecification = spec;
  if (spec === 'USE_FIXED_PORT') {
    const dflt = DEFAULT_PORT[type];
    out.port = intIn(raw.port, `${field}.port`, 1, 65535, dflt || undefined);
  } else if (raw.port !== undefined) {
    throw err.invalid(`${field}.port`, raw.port, `port cannot be set with portSpecification ${spec}.`);
  }
  if (type === 'HTTP' || type === 'HTTPS' || type === 'HTTP2') {
    const path = raw.requestPath === undefined ? '/' : String(raw.requestPath);
    if (!path.startsWith('/')) throw err.invalid(`${field}.requestPath`, path, "requestPath must start with '/'.");
    out.requestPath = path;
  }
  if (type !== 'GRPC' && type !== 'GRPC_WITH_TLS') out.proxyHeader = oneOf(raw.proxyHeader, `${field}.proxyHeader`, ['NONE', 'PROXY_V1'], 'NONE');
  return out;
}

export const healthChecks = defineKind({
  plural: 'healthChecks',
  kind: 'compute#healthCheck',
  listKind: 'compute#healthCheckList',
  scope: 'global',
  noun: 'health_check',
  patch: true,
  update: true,
  quota: () => ({ scope: 'global', metric: 'HEALTH_CHECKS' }),
  build(input) {
    const present = (Object.keys(TYPES) as HcType[]).filter((t) => input[TYPES[t]] !== undefined);
    const type = oneOf(input.type, 'resource.type', Object.keys(TYPES) as HcType[], present.length === 1 ? present[0] : undefined);
    const other = present.find((t) => t !== type);
    if (other) throw err.invalid(`resource.${TYPES[other]}`, '', `Only ${TYPES[type]} may be set for a health check of type ${type}.`);
    const checkIntervalSec = intIn(input.checkIntervalSec, 'resource.checkIntervalSec', 1, 300, 5);
    const timeoutSec = intIn(input.timeoutSec, 'resource.timeoutSec', 1, 300, 5);
    if (timeoutSec > checkIntervalSec) throw err.invalid('resource.timeoutSec', timeoutSec, 'timeoutSec must be less than or equal to checkIntervalSec.');
    const out: Res = {
      description: input.description,
      type,
      checkIntervalSec,
      timeoutSec,
      healthyThreshold: intIn(input.healthyThreshold, 'resource.healthyThreshold', 1, 10, 2),
      unhealthyThreshold: intIn(input.unhealthyThreshold, 'resource.unhealthyThreshold', 1, 10, 2),
      [TYPES[type]]: protocolBlock(type, asRecord(input[TYPES[type]], `resource.${TYPES[type]}`), `resource.${TYPES[type]}`),
    };
    if (input.logConfig !== undefined) out.logConfig = { enable: bool(asRecord(input.logConfig, 'resource.logConfig').enable, false) };
    if (input.sourceRegions !== undefined) out.sourceRegions = input.sourceRegions;
    return out;
  },
});

export function healthCheckRoutes(): Route[] {
  return crudRoutes(healthChecks);
}
