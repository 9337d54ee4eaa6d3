import { createHash } from 'node:crypto';
import type { Metric } from '../vectors/metric.js';
import type { Payload } from '../vectors/filter.js';

/**
 * RUVS vector shard (service/FORMAT.md): 64-byte little-endian header, offset table, data.
 * The SHA-256 in the header covers the data section and is checked on every load.
 */
export const MAGIC = 'RUVS';
export const VERSION = 1;
export const HEADER_BYTES = 64;

export enum Compression {
  None = 0,
  /** Per-vector int8 scalar quantization: x ~= min + q * scale, q in 0..255. */
  Int8 = 1,
}

const METRIC_CODE: Record<Metric, number> = { l2: 0, cosine: 1, ip: 2 };
const CODE_METRIC: Metric[] = ['l2', 'cosine', 'ip'];

export interface ShardRecord {
  id: string;
  /** u64 on disk: a bigint so a version past 2^53 reads back as written. */
  versionTs: bigint;
  metadata: Payload | null;
  vector: Float32Array;
}

export interface Shard {
  dimension: number;
  metric: Metric;
  compression: Compression;
  records: ShardRecord[];
}

export class ShardError extends Error {}

function vectorBytes(dim: number, c: Compression): number {
  return c === Compression.None ? dim * 4 : 8 + dim;
}

export function encodeShard(s: Shard): Buffer {
  const { dimension: dim, compression: c } = s;
  const parts: Buffer[] = [];
  const offsets = new BigUint64Array(s.records.length);
  let off = 0;
  s.records.forEach((r, i) => {
    if (r.vector.length !== dim) throw new ShardError(`record ${r.id} has dimension ${r.vector.length}, shard ${dim}`);
    const id = Buffer.from(r.id, 'utf8');
    const meta = r.metadata === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(r.metadata), 'utf8');
    const rec = Buffer.alloc(2 + id.length + 8 + 4 + meta.length + vectorBytes(dim, c));
    let p = rec.writeUInt16LE(id.length, 0);
    p += id.copy(rec, p);
    p = rec.writeBigUInt64LE(r.versionTs, p);
    p = rec.writeUInt32LE(meta.length, p);
    p += meta.copy(rec, p);
    if (c === Compression.None) {
      for (let j = 0; j < dim; j++) p = rec.writeFloatLE(r.vector[j]!, p);
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const x of r.vector) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const scale = max > min ? (max - min) / 255 : 0;
      p = rec.writeFloatLE(min, p);
      p = rec.writeFloatLE(scale, p);
      for (let j = 0; j < dim; j++) rec[p++] = scale === 0 ? 0 : Math.round((r.vector[j]! - min) / scale);
    }
    offsets[i] = BigInt(off);
    off += rec.length;
    parts.push(rec);
  });
  const data = Buffer.concat(parts, off);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'ascii');
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(dim, 8);
  header.writeBigUInt64LE(BigInt(s.records.length), 12);
  header.writeUInt8(c, 20);
  header.writeUInt8(METRIC_CODE[s.metric], 21);
  createHash('sha256').update(data).digest().copy(header, 24);
  const table = Buffer.alloc(s.records.length * 8);
  offsets.forEach((o, i) => table.writeBigUInt64LE(o, i * 8));
  return Buffer.concat([header, table, data]);
}

export interface ShardHeader {
  version: number;
  dimension: number;
  count: number;
  compression: Compression;
  metric: Metric;
  checksum: string;
}

export function readHeader(buf: Buffer): ShardHeader {
  if (buf.length < HEADER_BYTES) throw new ShardError(`shard is ${buf.length} bytes, shorter than the 64-byte header`);
  if (buf.toString('ascii', 0, 4) !== MAGIC) throw new ShardError('not a RUVS shard (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== VERSION) throw new ShardError(`unsupported RUVS version ${version}`);
  const compression = buf.readUInt8(20);
  if (compression !== Compression.None && compression !== Compression.Int8) throw new ShardError(`unsupported compression ${compression}`);
  const metric = CODE_METRIC[buf.readUInt8(21)];
  if (!metric) throw new ShardError(`unknown metric code ${buf.readUInt8(21)}`);
  const count = buf.readBigUInt64LE(12);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw new ShardError('count is too large');
  return { version, dimension: buf.readUInt32LE(8), count: Number(count), compression, metric, checksum: buf.subarray(24, 56).toString('hex') };
}

export function decodeShard(buf: Buffer): Shard {
  const h = readHeader(buf);
  const dataStart = HEADER_BYTES + h.count * 8;
  if (buf.length < dataStart) throw new ShardError('shard is truncated inside the offset table');
  const data = buf.subarray(dataStart);
  const sum = createHash('sha256').update(data).digest('hex');
  if (sum !== h.checksum) throw new ShardError(`checksum mismatch: header ${h.checksum}, data ${sum}`);
  const vb = vectorBytes(h.dimension, h.compression);
  const records: ShardRecord[] = [];
  for (let i = 0; i < h.count; i++) {
    const o = Number(buf.readBigUInt64LE(HEADER_BYTES + i * 8));
    if (o + 2 > data.length) throw new ShardError(`offset ${i} points outside the data section`);
    let p = o;
    const idLen = data.readUInt16LE(p);
    p += 2;
    const id = data.toString('utf8', p, p + idLen);
    p += idLen;
    const versionTs = data.readBigUInt64LE(p);
    p += 8;
    const metaLen = data.readUInt32LE(p);
    p += 4;
    const metadata = metaLen === 0 ? null : (JSON.parse(data.toString('utf8', p, p + metaLen)) as Payload);
    p += metaLen;
    if (p + vb > data.length) throw new ShardError(`record ${i} runs past the data section`);
    const vector = new Float32Array(h.dimension);
    if (h.compression === Compression.None) {
      for (let j = 0; j < h.dimension; j++) vector[j] = data.readFloatLE(p + j * 4);
    } else {
      const min = data.readFloatLE(p);
      const scale = data.readFloatLE(p + 4);
      for (let j = 0; j < h.dimension; j++) vector[j] = min + data[p + 8 + j]! * scale;
    }
    records.push({ id, versionTs, metadata, vector });
  }
  return { dimension: h.dimension, metric: h.metric, compression: h.compression, records };
}
