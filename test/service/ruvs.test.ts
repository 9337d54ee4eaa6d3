import { describe, expect, it } from 'vitest';
import { Compression, HEADER_BYTES, ShardError, decodeShard, encodeShard, readHeader } from '../../service/src/snapshot/ruvs.js';
import { encodeCheckpoint } from '../../service/src/snapshot/snapshotter.js';
import { randomVectors } from './helpers.js';

const records = randomVectors(100, 16, 5).map((v, i) => ({ id: `id-${i}-é`, versionTs: 1732132800000n + BigInt(i), metadata: i % 3 === 0 ? null : { i, tag: 'x' }, vector: Float32Array.from(v) }));

describe('RUVS shard format', () => {
  it('writes the documented 64-byte little-endian header', () => {
    const buf = encodeShard({ dimension: 16, metric: 'cosine', compression: Compression.None, records });
    expect(buf.toString('ascii', 0, 4)).toBe('RUVS');
    expect(buf.readUInt32LE(4)).toBe(1);
    expect(buf.readUInt32LE(8)).toBe(16);
    expect(buf.readBigUInt64LE(12)).toBe(100n);
    expect(buf.readUInt8(20)).toBe(0);
    expect(buf.readUInt8(21)).toBe(1);
    expect(readHeader(buf)).toMatchObject({ version: 1, dimension: 16, count: 100, compression: 0, metric: 'cosine' });
    // Offset table: first record at 0, strictly increasing.
    expect(buf.readBigUInt64LE(HEADER_BYTES)).toBe(0n);
    expect(buf.readBigUInt64LE(HEADER_BYTES + 8)).toBeGreaterThan(0n);
  });

  it('round-trips exactly without compression', () => {
    const back = decodeShard(encodeShard({ dimension: 16, metric: 'l2', compression: Compression.None, records }));
    expect(back.records).toEqual(records);
  });

  it('round-trips within the quantization step with int8 scalar quantization, at about a quarter of the size', () => {
    const raw = encodeShard({ dimension: 16, metric: 'l2', compression: Compression.None, records });
    const q = encodeShard({ dimension: 16, metric: 'l2', compression: Compression.Int8, records });
    const back = decodeShard(q);
    expect(back.compression).toBe(Compression.Int8);
    for (const [i, r] of back.records.entries()) {
      const orig = records[i]!.vector;
      const step = (Math.max(...orig) - Math.min(...orig)) / 255;
      for (let j = 0; j < 16; j++) expect(Math.abs(r.vector[j]! - orig[j]!)).toBeLessThanOrEqual(step / 2 + 1e-6);
      expect(r.id).toBe(records[i]!.id);
      expect(r.metadata).toEqual(records[i]!.metadata);
    }
    const vectorBytesRaw = 100 * 16 * 4;
    const vectorBytesQ = 100 * (8 + 16);
    expect(raw.length - q.length).toBe(vectorBytesRaw - vectorBytesQ);
  });

  it('refuses a shard whose data does not match its SHA-256, and malformed shards', () => {
    const buf = encodeShard({ dimension: 16, metric: 'ip', compression: Compression.None, records });
    const corrupt = Buffer.from(buf);
    corrupt[corrupt.length - 3] ^= 0xff;
    expect(() => decodeShard(corrupt)).toThrow(/checksum mismatch/);
    const magic = Buffer.from(buf);
    magic.write('NOPE', 0, 'ascii');
    expect(() => decodeShard(magic)).toThrow(ShardError);
    expect(() => decodeShard(buf.subarray(0, 40))).toThrow(/shorter than the 64-byte header/);
    expect(() => decodeShard(buf.subarray(0, HEADER_BYTES + 10))).toThrow(/truncated/);
    const version = Buffer.from(buf);
    version.writeUInt32LE(9, 4);
    expect(() => decodeShard(version)).toThrow(/version 9/);
  });

  it('encodes an empty shard and the checkpoint record', () => {
    expect(decodeShard(encodeShard({ dimension: 4, metric: 'l2', compression: Compression.None, records: [] })).records).toEqual([]);
    const c = encodeCheckpoint(12345, 1732132800000);
    expect(c.toString('ascii', 0, 4)).toBe('RUVC');
    expect(c.readBigUInt64LE(8)).toBe(12345n);
  });
});
