import { gcsErrors } from './errors.js';

/** Page tokens are the base64 of the last key returned; the next page starts after it. */
export function pageAfter<T>(items: T[], keyOf: (t: T) => string, q: URLSearchParams, defaultMax = 1000): { page: T[]; nextPageToken?: string } {
  const max = readMaxResults(q, defaultMax);
  const token = q.get('pageToken');
  let start = 0;
  if (token) {
    const after = Buffer.from(token, 'base64').toString('utf8');
    start = items.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + max);
  const more = start + max < items.length;
  return { page, nextPageToken: more ? Buffer.from(keyOf(page[page.length - 1]!), 'utf8').toString('base64') : undefined };
}

export function readMaxResults(q: URLSearchParams, defaultMax: number): number {
  const raw = q.get('maxResults');
  if (raw === null || raw === '') return defaultMax;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw gcsErrors.invalid(`Invalid value for maxResults: ${raw}`);
  return n === 0 ? defaultMax : Math.min(n, defaultMax);
}
