import { gcsErrors } from './errors.js';

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart/related body (RFC 2387) as the client library builds it: metadata part, then media part. */
export function parseMultipart(raw: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw gcsErrors.invalid('Missing multipart boundary.');
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: Part[] = [];
  let pos = raw.indexOf(boundary);
  if (pos < 0) throw gcsErrors.invalid('Malformed multipart body.');
  for (;;) {
    pos += boundary.length;
    if (raw.subarray(pos, pos + 2).toString() === '--') break;
    // Skip the line break after the boundary.
    if (raw[pos] === 0x0d) pos++;
    if (raw[pos] === 0x0a) pos++;
    const headerEnd = raw.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw gcsErrors.invalid('Malformed multipart body.');
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = raw.indexOf(boundary, headerEnd + 4);
    if (next < 0) throw gcsErrors.invalid('Malformed multipart body.');
    // The part body ends before the CRLF that precedes the next boundary.
    let end = next;
    if (raw[end - 1] === 0x0a) end--;
    if (raw[end - 1] === 0x0d) end--;
    let body = raw.subarray(headerEnd + 4, end);
    if ((headers['content-transfer-encoding'] ?? '').toLowerCase() === 'base64') body = Buffer.from(body.toString('ascii'), 'base64');
    parts.push({ headers, body: Buffer.from(body) });
    pos = next;
  }
  return parts;
}
