import { paginate, parseUpdateMask, wantsIntEnums } from '../../core/helpers.js';
import { dropPolicy } from './iam.js';
import type { EmulatorContext, EmuRequest, EmuResponse } from '../../core/types.js';
import {
  bodyOf, checkBody, codecs, emit, formatDuration, parseDuration, psErrors, schemaName, topicName, validateId, validateLabels, type Json,
} from './common.js';
import { DELETED_TOPIC, subscriptions, topics, type StoredTopic } from './model.js';
import { publish } from './runtime.js';
import { schemas } from './schemas.js';

const REGION = /^[a-z]+-[a-z]+\d+$/;
const KMS_KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const UPDATABLE = new Set(['labels', 'messageStoragePolicy', 'kmsKeyName', 'schemaSettings', 'messageRetentionDuration']);

export function renderTopic(req: EmuRequest, t: StoredTopic): Json {
  return codecs.topic.forWire({ ...t } as Json, wantsIntEnums(req));
}

function getTopic(ctx: EmulatorContext, name: string): StoredTopic {
  const t = topics(ctx).get(name);
  if (!t) throw psErrors.notFound(name);
  return t;
}

/** Builds the stored topic from a client's topic body (enums already by name). */
function buildTopic(ctx: EmulatorContext, name: string, body: Json): StoredTopic {
  const t: StoredTopic = { name };
  const labels = validateLabels(body.labels);
  if (labels) t.labels = labels;
  if (body.messageStoragePolicy) {
    const p = bodyOf(body.messageStoragePolicy);
    const regions = p.allowedPersistenceRegions ?? [];
    if (!Array.isArray(regions) || regions.some((r) => typeof r !== 'string' || !REGION.test(r))) {
      throw psErrors.invalid(`Invalid allowed persistence regions: ${JSON.stringify(regions)}`, 'message_storage_policy.allowed_persistence_regions');
    }
    if (regions.length === 0) throw psErrors.invalid('allowed_persistence_regions must not be empty.', 'message_storage_policy.allowed_persistence_regions');
    t.messageStoragePolicy = { allowedPersistenceRegions: [...regions] as string[], ...(p.enforceInTransit ? { enforceInTransit: true } : {}) };
  }
  if (typeof body.kmsKeyName === 'string' && body.kmsKeyName !== '') {
    if (!KMS_KEY.test(body.kmsKeyName)) throw psErrors.invalid(`Invalid kms_key_name: ${body.kmsKeyName}`, 'kms_key_name');
    t.kmsKeyName = body.kmsKeyName;
  }
  if (body.schemaSettings) {
    const s = bodyOf(body.schemaSettings);
    if (typeof s.schema !== 'string' || s.schema === '') throw psErrors.invalid('schema_settings.schema is required.', 'schema_settings.schema');
    // Pub/Sub accepts the schema by full name; an id alone is taken from the topic's project.
    const full = s.schema.includes('/') ? s.schema : schemaName(name.split('/')[1]!, s.schema);
    if (!schemas(ctx).peek(full)) throw psErrors.notFound(full);
    const encoding = s.encoding === undefined || s.encoding === 'ENCODING_UNSPECIFIED' ? undefined : s.encoding;
    if (encoding !== undefined && encoding !== 'JSON' && encoding !== 'BINARY') throw psErrors.invalid(`Invalid encoding: ${String(s.encoding)}`, 'schema_settings.encoding');
    t.schemaSettings = {
      schema: full,
      ...(encoding ? { encoding: encoding as string } : {}),
      ...(typeof s.firstRevisionId === 'string' && s.firstRevisionId ? { firstRevisionId: s.firstRevisionId } : {}),
      ...(typeof s.lastRevisionId === 'string' && s.lastRevisionId ? { lastRevisionId: s.lastRevisionId } : {}),
    };
  }
  const retention = parseDuration(body.messageRetentionDuration, 'message_retention_duration');
  if (retention !== undefined) {
    if (retention < 600 || retention > 31 * 86400) {
      throw psErrors.invalid('message_retention_duration must be between 10 minutes and 31 days.', 'message_retention_duration');
    }
    t.messageRetentionDuration = formatDuration(retention);
  }
  return t;
}

export function createTopic(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const { project, topic } = req.params as { project: string; topic: string };
  validateId('topic', topic);
  const name = topicName(project, topic);
  checkBody('Topic', req.body, 'topic');
  const t = buildTopic(ctx, name, codecs.topic.toNames(bodyOf(req.body)));
  if (topics(ctx).peek(name)) throw psErrors.alreadyExists(name);
  topics(ctx).insert(name, t);
  emit(ctx, 'topic', name, t, 'created');
  return { body: renderTopic(req, t) };
}

export function getTopicHandler(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  return { body: renderTopic(req, getTopic(ctx, topicName(req.params.project!, req.params.topic!))) };
}

export function listTopics(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const all = topics(ctx).list(`projects/${req.params.project}/topics/`);
  const { page, nextPageToken } = paginate(all, req.query.get('pageSize'), req.query.get('pageToken'));
  return { body: { topics: page.map((t) => renderTopic(req, t)), ...(nextPageToken ? { nextPageToken } : {}) } };
}

export function updateTopic(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = topicName(req.params.project!, req.params.topic!);
  const current = getTopic(ctx, name);
  const body = codecs.updateTopic.toNames(bodyOf(req.body));
  const patch = bodyOf(body.topic);
  const mask = parseUpdateMask(req, body.updateMask);
  if (mask.length === 0) throw psErrors.invalid('The update_mask in the UpdateTopicRequest must be set.', 'update_mask');
  const desired: Json = { ...current };
  for (const path of mask) {
    const top = path.split('.')[0]!;
    if (!UPDATABLE.has(top)) throw psErrors.invalid(`Invalid update_mask provided in the UpdateTopicRequest: the '${path}' field cannot be updated.`, 'update_mask');
    if (patch[top] === undefined) delete desired[top];
    else desired[top] = patch[top];
  }
  const next = buildTopic(ctx, name, desired);
  topics(ctx).put(name, next);
  emit(ctx, 'topic', name, next, 'updated');
  return { body: renderTopic(req, next) };
}

export function deleteTopic(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = topicName(req.params.project!, req.params.topic!);
  const t = topics(ctx).peek(name);
  if (!t) throw psErrors.notFound(name);
  topics(ctx).delete(name);
  dropPolicy(ctx, name);
  // Subscriptions outlive their topic and keep their backlog; they show a tombstone topic.
  for (const s of subscriptions(ctx).peekAll()) {
    if (s.topic === name) {
      const next = { ...s, topic: DELETED_TOPIC };
      subscriptions(ctx).put(s.name, next);
      emit(ctx, 'subscription', s.name, next, 'updated');
    }
  }
  emit(ctx, 'topic', name, t, 'deleted');
  return { body: {} };
}

export function publishHandler(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = topicName(req.params.project!, req.params.topic!);
  const messageIds = publish(ctx, name, bodyOf(req.body).messages);
  return { body: { messageIds } };
}

export function listTopicSubscriptions(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  const name = topicName(req.params.project!, req.params.topic!);
  getTopic(ctx, name);
  const names = subscriptions(ctx).list().filter((s) => s.topic === name).map((s) => s.name);
  const { page, nextPageToken } = paginate(names, req.query.get('pageSize'), req.query.get('pageToken'));
  return { body: { subscriptions: page, ...(nextPageToken ? { nextPageToken } : {}) } };
}

export function listTopicSnapshots(req: EmuRequest, ctx: EmulatorContext): EmuResponse {
  getTopic(ctx, topicName(req.params.project!, req.params.topic!));
  // Snapshots (seek) are not offered: every topic has none.
  return { body: {} };
}
