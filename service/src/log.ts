import pino, { type Logger } from 'pino';
import type { ServiceConfig } from './config.js';

/** JSON logs with the field names Cloud Logging reads (severity, message). */
export function createLogger(cfg: Pick<ServiceConfig, 'logLevel' | 'region'>, dest?: pino.DestinationStream): Logger {
  return pino(
    {
      level: cfg.logLevel,
      messageKey: 'message',
      base: { service: 'ruvector', region: cfg.region },
      formatters: { level: (label) => ({ severity: label.toUpperCase() }) },
      redact: { paths: ['req.headers.authorization', 'req.headers["api-key"]', '*.password', 'apiKey'], censor: '[redacted]' },
    },
    dest,
  );
}
