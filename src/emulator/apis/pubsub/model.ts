import type { EmulatorContext } from '../../core/types.js';
import { COLLECTIONS } from './common.js';

/** A topic as stored (enums by name); rendered as-is, enums converted for int-enum callers. */
export interface StoredTopic {
  name: string;
  labels?: Record<string, string>;
  messageStoragePolicy?: { allowedPersistenceRegions?: string[]; enforceInTransit?: boolean };
  kmsKeyName?: string;
  schemaSettings?: { schema: string; encoding?: string; firstRevisionId?: string; lastRevisionId?: string };
  messageRetentionDuration?: string;
}

export interface StoredSubscription {
  name: string;
  topic: string;
  pushConfig: {
    pushEndpoint?: string;
    attributes?: Record<string, string>;
    oidcToken?: { serviceAccountEmail?: string; audience?: string };
    pubsubWrapper?: Record<string, unknown>;
    noWrapper?: { writeMetadata?: boolean };
  };
  ackDeadlineSeconds: number;
  retainAckedMessages?: boolean;
  messageRetentionDuration: string;
  labels?: Record<string, string>;
  enableMessageOrdering?: boolean;
  expirationPolicy: { ttl?: string };
  filter?: string;
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  retryPolicy?: { minimumBackoff: string; maximumBackoff: string };
  detached?: boolean;
  enableExactlyOnceDelivery?: boolean;
  state: 'ACTIVE' | 'RESOURCE_ERROR';
}

/** What subscriptions show as their topic once the topic is deleted. */
export const DELETED_TOPIC = '_deleted-topic_';

export const topics = (ctx: EmulatorContext) => ctx.store.collection<StoredTopic>(COLLECTIONS.topics);
export const subscriptions = (ctx: EmulatorContext) => ctx.store.collection<StoredSubscription>(COLLECTIONS.subscriptions);
