import avro from 'avsc';
import type { Metric } from '../vectors/metric.js';
import { isStorableText } from '../vectors/validate.js';

/** The seed's Pub/Sub schema (infrastructure-design.md 5.1), topic encoding JSON. */
export const VECTOR_UPDATE_SCHEMA = {
  type: 'record',
  name: 'VectorUpdate',
  fields: [
    { name: 'vector_id', type: 'string' },
    { name: 'operation', type: 'string' },
    { name: 'timestamp', type: 'long' },
    { name: 'region', type: 'string' },
    { name: 'metadata', type: ['null', 'string'], default: null },
  ],
} as const;

export interface VectorUpdate {
  vector_id: string;
  operation: 'insert' | 'update' | 'delete';
  timestamp: number;
  region: string;
  metadata: string | null;
}

/**
 * What this service puts in the metadata string: the collection (created on first receipt
 * with its dimension and metric) and where the receiver reads the vector: record N of a RUVS
 * object in the writer's bucket. Without storage_path (no bucket at the writer, or the seed's
 * own publisher) the receiver reads the row from its Postgres, which works when both regions
 * share a primary.
 */
export interface UpdateMetadata {
  collection: string;
  dimension?: number;
  metric?: Metric;
  /** gs://BUCKET/OBJECT#RECORD */
  storage_path?: string;
  /**
   * The whole collection was dropped at `timestamp` (operation 'delete', vector_id ''): every
   * point no newer than that goes, and the collection too when nothing in it is newer.
   */
  drop?: boolean;
}

const type = avro.Type.forSchema(VECTOR_UPDATE_SCHEMA as unknown as avro.Schema);

/** Avro JSON encoding (unions wrapped: {"metadata": {"string": "..."}}), as Pub/Sub validates it. */
export function encodeUpdate(u: VectorUpdate): string {
  return type.toString(u);
}

export class BadMessage extends Error {}

/** Whether a version fits VectorUpdate.timestamp, an Avro long read as a JS number: exact up to 2^53 only. */
export function canTravel(version: bigint): boolean {
  return version >= 0n && version <= BigInt(Number.MAX_SAFE_INTEGER);
}

export function wireTimestamp(version: bigint): number {
  if (!canTravel(version)) throw new Error(`version ${version} cannot travel as a VectorUpdate timestamp (0 to 2^53 - 1)`);
  return Number(version);
}

/** Accepts the Avro JSON encoding, and the plain form the seed's own publisher sends. */
export function decodeUpdate(json: string): VectorUpdate {
  let v: unknown;
  try {
    v = type.fromString(json);
  } catch {
    try {
      const plain = JSON.parse(json) as Record<string, unknown>;
      v = { metadata: null, ...plain };
    } catch {
      throw new BadMessage('message data is not JSON');
    }
    if (!type.isValid(v)) throw new BadMessage('message data does not match the VectorUpdate schema');
  }
  const u = v as VectorUpdate;
  if (!['insert', 'update', 'delete'].includes(u.operation)) throw new BadMessage(`operation must be insert, update or delete, got ${u.operation}`);
  if (!isStorableText(u.vector_id)) throw new BadMessage('vector_id contains U+0000 or an unpaired UTF-16 surrogate: no stored point can have it');
  return { vector_id: u.vector_id, operation: u.operation, timestamp: Number(u.timestamp), region: u.region, metadata: u.metadata ?? null };
}
