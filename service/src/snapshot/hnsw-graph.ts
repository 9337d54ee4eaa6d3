import { open, type FileHandle } from 'node:fs/promises';

/**
 * Reads the neighbour lists out of an hnswlib index file (HierarchicalNSW::saveIndex in
 * hnswalg.h, hnswlib 0.8 as vendored by hnswlib-node 3), because hnswlib-node has no API for
 * them. Layout, little-endian, size_t = 8 bytes (64-bit builds only):
 *
 *   header (96 bytes): offsetLevel0_ u64, max_elements_ u64, cur_element_count u64,
 *     size_data_per_element_ u64, label_offset_ u64, offsetData_ u64, maxlevel_ i32,
 *     enterpoint_node_ u32, maxM_ u64, maxM0_ u64, M_ u64, mult_ f64, ef_construction_ u64
 *   level 0: cur_element_count records of size_data_per_element_ bytes; at offsetLevel0_ a
 *     u32 whose low 16 bits are the neighbour count and whose third byte holds the delete mark
 *     (bit 0), then maxM0_ u32 neighbour internal ids; the vector at offsetData_; the label
 *     (u64) at label_offset_
 *   upper levels: per element, u32 linkListSize then that many bytes: one block of
 *     (maxM_ + 1) u32 per level 1..L (count in the low 16 bits, then the ids)
 *
 * The file is read in chunks, never whole: 100k 128-d vectors make a ~65 MB file.
 */

export const HNSW_HEADER_BYTES = 96;
const DELETE_MARK = 0x01;
/** Elements of level 0 read per chunk, at most this many bytes at a time. */
const CHUNK_BYTES = 4 << 20;

export interface HnswHeader {
  count: number;
  maxElements: number;
  sizeDataPerElement: number;
  offsetLevel0: number;
  offsetData: number;
  labelOffset: number;
  maxLevel: number;
  entryPoint: number;
  maxM: number;
  maxM0: number;
  m: number;
  mult: number;
  efConstruction: number;
}

export interface HnswGraph {
  header: HnswHeader;
  /** Per internal id: the label it was added with. */
  labels: Float64Array;
  /** Per internal id: 1 when marked deleted (markDelete). */
  deleted: Uint8Array;
  /** Per internal id: the highest level it is linked on. */
  levels: Uint8Array;
  /** Internal id -> its neighbour internal ids on levels 1..L (index 0 is level 1). */
  upper: Map<number, Uint32Array[]>;
  /** Internal id -> its level-0 neighbours: the entry point's, or every element's when asked for. */
  level0: Map<number, Uint32Array>;
}

export class HnswFormatError extends Error {}

function u64(b: Buffer, off: number, what: string): number {
  const v = b.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new HnswFormatError(`${what} ${v} is out of range`);
  return Number(v);
}

export function readHnswHeader(b: Buffer): HnswHeader {
  if (b.length < HNSW_HEADER_BYTES) throw new HnswFormatError('file shorter than the hnswlib header');
  const h: HnswHeader = {
    offsetLevel0: u64(b, 0, 'offsetLevel0_'),
    maxElements: u64(b, 8, 'max_elements_'),
    count: u64(b, 16, 'cur_element_count'),
    sizeDataPerElement: u64(b, 24, 'size_data_per_element_'),
    labelOffset: u64(b, 32, 'label_offset_'),
    offsetData: u64(b, 40, 'offsetData_'),
    maxLevel: b.readInt32LE(48),
    entryPoint: b.readUInt32LE(52),
    maxM: u64(b, 56, 'maxM_'),
    maxM0: u64(b, 64, 'maxM0_'),
    m: u64(b, 72, 'M_'),
    mult: b.readDoubleLE(80),
    efConstruction: u64(b, 88, 'ef_construction_'),
  };
  const links0 = 4 + 4 * h.maxM0;
  // Only what the reader relies on: a file from another hnswlib layout fails here, not later.
  if (h.count > h.maxElements) throw new HnswFormatError('more elements than capacity');
  if (h.maxM === 0 || h.maxM > 0xffff || h.maxM0 === 0 || h.maxM0 > 0xffff) throw new HnswFormatError(`implausible maxM_ ${h.maxM} / maxM0_ ${h.maxM0}`);
  if (h.offsetLevel0 + links0 > h.offsetData || h.offsetData > h.labelOffset || h.labelOffset + 8 > h.sizeDataPerElement) {
    throw new HnswFormatError('element layout offsets are inconsistent');
  }
  if (h.count > 0 && (h.entryPoint >= h.count || h.maxLevel < 0 || h.maxLevel > 255)) throw new HnswFormatError(`entry point ${h.entryPoint} / max level ${h.maxLevel} out of range`);
  return h;
}

/** Sequential reads from a file through one reusable buffer. */
class Cursor {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  constructor(
    private fh: FileHandle,
    public pos: number,
    private chunk: number,
  ) {}

  /** The next n bytes; valid until the next call. */
  async take(n: number): Promise<Buffer> {
    if (this.end - this.start < n) {
      const keep = this.buf.subarray(this.start, this.end);
      const size = Math.max(n, this.chunk);
      const next = size > this.buf.length ? Buffer.alloc(size) : this.buf;
      keep.copy(next, 0);
      let have = keep.length;
      while (have < n) {
        const { bytesRead } = await this.fh.read(next, have, size - have, this.pos + (have - keep.length));
        if (bytesRead === 0) throw new HnswFormatError('file ends early');
        have += bytesRead;
      }
      this.pos += have - keep.length;
      this.buf = next;
      this.start = 0;
      this.end = have;
    }
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }

  get consumed(): number {
    return this.pos - (this.end - this.start);
  }
}

function links(b: Buffer, off: number, max: number, count: number, what: string): Uint32Array {
  const n = b.readUInt16LE(off);
  if (n > max) throw new HnswFormatError(`${what}: ${n} neighbours, more than ${max}`);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = b.readUInt32LE(off + 4 + 4 * i);
    if (id >= count) throw new HnswFormatError(`${what}: neighbour ${id} is not an element`);
    out[i] = id;
  }
  return out;
}

/** `level0: 'all'` also keeps every element's level-0 list (for checks; the cache needs only the entry point's). */
export async function readHnswGraph(path: string, opts: { level0?: 'entry' | 'all'; chunkBytes?: number } = {}): Promise<HnswGraph> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(HNSW_HEADER_BYTES);
    await fh.read(head, 0, HNSW_HEADER_BYTES, 0);
    const h = readHnswHeader(size >= HNSW_HEADER_BYTES ? head : Buffer.alloc(0));
    const per = h.sizeDataPerElement;
    const n = h.count;
    const labels = new Float64Array(n);
    const deleted = new Uint8Array(n);
    const levels = new Uint8Array(n);
    const upper = new Map<number, Uint32Array[]>();
    const level0 = new Map<number, Uint32Array>();
    const all = opts.level0 === 'all';
    if (size < HNSW_HEADER_BYTES + n * per + 4 * n) throw new HnswFormatError('file ends inside the level-0 data');

    const cur = new Cursor(fh, HNSW_HEADER_BYTES, Math.max(per, Math.floor((opts.chunkBytes ?? CHUNK_BYTES) / per) * per));
    for (let i = 0; i < n; i++) {
      const e = await cur.take(per);
      const label = e.readBigUInt64LE(h.labelOffset);
      if (label > BigInt(Number.MAX_SAFE_INTEGER)) throw new HnswFormatError(`label ${label} of element ${i} is out of range`);
      labels[i] = Number(label);
      deleted[i] = e[h.offsetLevel0 + 2]! & DELETE_MARK;
      if (all || i === h.entryPoint) level0.set(i, links(e, h.offsetLevel0, h.maxM0, n, `element ${i} level 0`));
    }

    const block = 4 * (h.maxM + 1);
    for (let i = 0; i < n; i++) {
      const len = (await cur.take(4)).readUInt32LE(0);
      if (len === 0) continue;
      if (len % block !== 0 || len / block > 255) throw new HnswFormatError(`element ${i}: upper link lists of ${len} bytes`);
      const b = await cur.take(len);
      const lv: Uint32Array[] = [];
      for (let off = 0; off < len; off += block) lv.push(links(b, off, h.maxM, n, `element ${i} level ${lv.length + 1}`));
      levels[i] = lv.length;
      upper.set(i, lv);
    }
    if (cur.consumed !== size) throw new HnswFormatError(`${size - cur.consumed} bytes after the last link list`);
    if (n > 0 && levels[h.entryPoint] !== h.maxLevel) throw new HnswFormatError(`entry point is on level ${levels[h.entryPoint]}, the graph's top is ${h.maxLevel}`);
    return { header: h, labels, deleted, levels, upper, level0 };
  } finally {
    await fh.close();
  }
}

/**
 * The smallest msgpack encoding of an array of strings (msgpack spec: fixarray / array 16 /
 * array 32, fixstr / str 8 / str 16 / str 32; lengths big-endian, string lengths in UTF-8 bytes).
 */
export function msgpackStrings(items: readonly string[]): Buffer {
  const strs = items.map((s) => Buffer.from(s, 'utf8'));
  const parts: Buffer[] = [lengthPrefix(items.length, [0x90, 16], [0xdc, 0xdd])];
  for (const s of strs) {
    // Strings have a one-byte length form (str 8) between fixstr and str 16; arrays do not.
    parts.push(s.length >= 32 && s.length <= 0xff ? Buffer.from([0xd9, s.length]) : lengthPrefix(s.length, [0xa0, 32], [0xda, 0xdb]), s);
  }
  return Buffer.concat(parts);
}

/** A fix-type byte (tag | n) below `fixLimit`, else the 16- or 32-bit big-endian length form. */
function lengthPrefix(n: number, [fixTag, fixLimit]: [number, number], [tag16, tag32]: [number, number]): Buffer {
  if (n < fixLimit) return Buffer.from([fixTag | n]);
  if (n <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = tag16;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = tag32;
  b.writeUInt32BE(n, 1);
  return b;
}

/** What the graph file does not say about a label: the point id, and whether it is deleted. */
export interface GraphLabels {
  ids: readonly string[];
  tombstones: readonly number[];
  absent: readonly number[];
  deleted: readonly number[];
}

/**
 * The seed's "partial" HNSW cache (hnsw:{collection}/{id}:{level}, msgpack array of neighbour
 * point ids): every level >= 1 of every live point that has one, which is the part of the graph
 * every search descends through before level 0, plus level 0 of the entry point, the one node
 * every search visits.
 * Deleted points get no key and are left out of neighbour lists (hnswlib still routes through
 * them, but a cache reader wants ids it can look up).
 */
export function* hnswCacheEntries(collection: string, g: HnswGraph, side: GraphLabels): Generator<[key: string, value: Buffer]> {
  const dead = new Set<number>([...side.tombstones, ...side.absent, ...side.deleted]);
  const idOf = (internal: number): string | undefined => {
    if (g.deleted[internal]) return undefined;
    const label = g.labels[internal]!;
    return dead.has(label) ? undefined : side.ids[label];
  };
  const entry = (internal: number, level: number, nb: Uint32Array): [string, Buffer] | undefined => {
    const id = idOf(internal);
    if (id === undefined) return undefined;
    const ids: string[] = [];
    for (const x of nb) {
      const nid = idOf(x);
      if (nid !== undefined) ids.push(nid);
    }
    return [`hnsw:${collection}/${id}:${level}`, msgpackStrings(ids)];
  };
  if (g.header.count > 0) {
    const ep = g.level0.get(g.header.entryPoint);
    const e = ep && entry(g.header.entryPoint, 0, ep);
    if (e) yield e;
  }
  for (const [internal, lv] of g.upper) {
    for (let l = 0; l < lv.length; l++) {
      const e = entry(internal, l + 1, lv[l]!);
      if (e) yield e;
    }
  }
}
