import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as GCS reports it: the 4 bytes
 * big-endian, base64. Node 20's zlib has no crc32c, and the client verifies this value
 * (deleting the object on mismatch), so it must be exact.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export class Crc32c {
  private crc = 0xffffffff;

  update(buf: Uint8Array): this {
    let c = this.crc;
    for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
    this.crc = c;
    return this;
  }

  value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }

  base64(): string {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(this.value());
    return b.toString('base64');
  }
}

export interface ObjectHashes {
  md5Hash: string;
  crc32c: string;
  size: number;
}

export function hashBuffer(buf: Buffer): ObjectHashes {
  return {
    md5Hash: createHash('md5').update(buf).digest('base64'),
    crc32c: new Crc32c().update(buf).base64(),
    size: buf.length,
  };
}

/** Hashes a file without loading it whole (resumable uploads can be large). */
export async function hashFile(path: string): Promise<ObjectHashes> {
  const md5 = createHash('md5');
  const crc = new Crc32c();
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const b = chunk as Buffer;
    md5.update(b);
    crc.update(b);
    size += b.length;
  }
  return { md5Hash: md5.digest('base64'), crc32c: crc.base64(), size };
}
