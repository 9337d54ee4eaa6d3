import type { ApiModule } from '../core/types.js';

/**
 * Every API the emulator serves. One line per module: add yours, touch nothing else.
 * (Top-level await keeps each registration a single line, so parallel edits never collide.)
 */
export const apiModules: ApiModule[] = [
  // (await import('./run/index.js')).default,   <- the shape of a line
  (await import('../core/location-operations.js')).locationOperationsV1,
  (await import('./run/index.js')).default,
  (await import('./redis/index.js')).default,
  (await import('./vpcaccess/index.js')).default,
  (await import('./storage/index.js')).default,
  (await import('./sqladmin/index.js')).default,
  (await import('./servicenetworking/index.js')).default,
  (await import('./secretmanager/index.js')).default,
  (await import('./iam/index.js')).default,
  (await import('./cloudquotas/index.js')).default,
  (await import('./pubsub/index.js')).default,
  (await import('./compute/index.js')).default,
];
