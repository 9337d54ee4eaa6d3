import { enumCodec } from '../../core/enums.js';
import { checkProtoJson } from '../../core/proto-shape.js';
import { EmuError, type EmulatorContext } from '../../core/types.js';
import { lastSegment } from '../../../util/resource-name.js';

const PKG = '@google-cloud/pubsub';

/** Enum codecs from the client's own protos: stored resources use names, the wire may want numbers. */
export const codecs = {
  topic: enumCodec(PKG, 'google.pubsub.v1.Topic'),
  subscription: enumCodec(PKG, 'google.pubsub.v1.Subscription'),
  schema: enumCodec(PKG, 'google.pubsub.v1.Schema'),
  validateSchema: enumCodec(PKG, 'google.pubsub.v1.ValidateSchemaRequest'),
  validateMessage: enumCodec(PKG, 'google.pubsub.v1.ValidateMessageRequest'),
  updateTopic: enumCodec(PKG, 'google.pubsub.v1.UpdateTopicRequest'),
};

/** The transcoder's type check of a request body against message `type` of google.pubsub.v1. */
export function checkBody(type: string, body: unknown, root: string): void {
  checkProtoJson(PKG, `google.pubsub.v1.${type}`, body, root);
}

export const COLLECTIONS = {
  topics: 'pubsub.topics',
  subscriptions: 'pubsub.subscriptions',
  schemas: 'pubsub.schemas',
  backlog: 'pubsub.messages',
  counters: 'pubsub.counters',
} as const;

/** Pub/Sub's messages name the resource id, e.g. "Resource not found (resource=vector-updates)." */
export const psErrors = {
  notFound: (name: string) => new EmuError(404, 'NOT_FOUND', `Resource not found (resource=${lastSegment(name)}).`),
  alreadyExists: (name: string) => new EmuError(409, 'ALREADY_EXISTS', `Resource already exists in the project (resource=${lastSegment(name)}).`),
  invalid: (message: string, field?: string) =>
    new EmuError(400, 'INVALID_ARGUMENT', message, undefined, field ? { fieldViolations: [{ field, description: message }] } : undefined),
  failedPrecondition: (message: string) => new EmuError(400, 'FAILED_PRECONDITION', message),
};

/** Topic, subscription and schema ids: 3-255 chars, a letter first, then [A-Za-z0-9-_.~+%], never "goog...". */
export function validateId(kind: string, id: string): void {
  if (!/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/.test(id) || id.toLowerCase().startsWith('goog')) {
    throw psErrors.invalid(`Invalid [${kind}] name: (name=${id})`, 'name');
  }
}

export const topicName = (project: string, topic: string) => `projects/${project}/topics/${topic}`;
export const subscriptionName = (project: string, sub: string) => `projects/${project}/subscriptions/${sub}`;
export const schemaName = (project: string, schema: string) => `projects/${project}/schemas/${schema}`;

/** Full topic names as clients write them in subscription.topic, deadLetterTopic, ... */
export function parseTopicRef(ref: unknown, field: string): string {
  if (typeof ref !== 'string' || !/^projects\/[^/]+\/topics\/[^/]+$/.test(ref)) {
    throw psErrors.invalid(`Invalid resource name given (name=${String(ref)}). Refer to https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names for more information.`, field);
  }
  return ref;
}

/** google.protobuf.Duration in its JSON form ("600s", "0.5s") -> seconds. */
export function parseDuration(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const m = typeof v === 'string' ? /^(-?\d+(?:\.\d{1,9})?)s$/.exec(v) : null;
  if (!m) throw psErrors.invalid(`Invalid duration for ${field}: ${String(v)}`, field);
  return Number(m[1]);
}

export const formatDuration = (seconds: number): string => `${Number.isInteger(seconds) ? seconds : seconds.toFixed(9).replace(/0+$/, '')}s`;

export type Json = Record<string, unknown>;

export function bodyOf(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function emit(ctx: EmulatorContext, kind: string, name: string, resource: unknown, change: 'created' | 'updated' | 'deleted'): void {
  ctx.events.emit('resource.changed', { api: 'pubsub', kind, name, resource, change });
}

/** Labels follow the GCP label rules (at most 64; lowercase keys starting with a letter). */
export function validateLabels(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw psErrors.invalid('labels must be a map', 'labels');
  const entries = Object.entries(v as Json);
  if (entries.length > 64) throw psErrors.invalid('At most 64 labels are allowed.', 'labels');
  for (const [k, val] of entries) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k) || typeof val !== 'string' || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(val)) {
      throw psErrors.invalid(`Invalid label: ${k}=${String(val)}`, 'labels');
    }
  }
  return entries.length ? (v as Record<string, string>) : undefined;
}
