export * from './types.js';
export { errors, GRPC_CODES, renderError, toEmuError } from './errors.js';
export { compileTemplate, Router } from './router.js';
export { createPrng, projectNumber } from './prng.js';
export { QUOTA_DEFAULTS, quotaDefault, type QuotaDefault } from './quota-defaults.js';
export { quotaError, type QuotaMode } from './quotas.js';
export { RequestLog, type RequestFilter } from './request-log.js';
export { gaxOperation, paginate, wantsIntEnums, parseUpdateMask, seededUuid, seededToken, queryBool, checkLabels } from './helpers.js';
export { enumCodec, protoRoot } from './enums.js';
