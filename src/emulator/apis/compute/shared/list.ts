import type { EmuRequest } from '../../../core/types.js';
import { err } from './errors.js';

/**
 * Compute list filters: `name = "x"`, `name != x*`, `name eq 'regex'`, `labels.env = prod`,
 * `(a = 1) (b = 2)`, `AND` / `OR`. Comparisons run on the rendered resource.
 */
type Pred = (item: Record<string, unknown>) => boolean;

function tokenize(src: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '(' || ch === ')') { out.push(ch); i++; continue; }
    if (ch === '"' || ch === "'") {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) throw err.invalid('filter', src, 'Invalid list filter expression.');
      out.push(src.slice(i, end + 1));
      i = end + 1;
      continue;
    }
    const op = /^(!=|>=|<=|=|>|<|:)/.exec(src.slice(i));
    if (op) { out.push(op[1]!); i += op[1]!.length; continue; }
    let j = i;
    while (j < src.length && !/[\s()=!<>:]/.test(src[j]!)) j++;
    out.push(src.slice(i, j));
    i = j;
  }
  return out;
}

function lookup(item: Record<string, unknown>, path: string): unknown {
  let cur: unknown = item;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function unquote(v: string): string {
  return (v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")) ? v.slice(1, -1) : v;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function compare(field: string, op: string, raw: string): Pred {
  const value = unquote(raw);
  return (item) => {
    const got = lookup(item, field);
    const values = Array.isArray(got) ? got.map(String) : got === undefined ? [] : [String(got)];
    switch (op) {
      case '=':
      case ':':
        return values.some((v) => glob(value).test(v));
      case '!=':
        return !values.some((v) => glob(value).test(v));
      case 'eq':
        return values.some((v) => new RegExp(`^(?:${value})$`).test(v));
      case 'ne':
        return !values.some((v) => new RegExp(`^(?:${value})$`).test(v));
      default: {
        const a = Number(values[0]);
        const b = Number(value);
        if (op === '>') return a > b;
        if (op === '<') return a < b;
        if (op === '>=') return a >= b;
        return a <= b;
      }
    }
  };
}

export function parseFilter(src: string | null): Pred {
  if (!src || !src.trim()) return () => true;
  const toks = tokenize(src);
  let pos = 0;
  const bad = () => err.invalid('filter', src, 'Invalid list filter expression.');
  const primary = (): Pred => {
    const t = toks[pos];
    if (t === '(') {
      pos++;
      const inner = orExpr();
      if (toks[pos] !== ')') throw bad();
      pos++;
      return inner;
    }
    const field = toks[pos++];
    const op = toks[pos++];
    const value = toks[pos++];
    if (!field || !op || value === undefined || !['=', '!=', ':', '>', '<', '>=', '<=', 'eq', 'ne'].includes(op)) throw bad();
    return compare(field, op, value);
  };
  const andExpr = (): Pred => {
    const parts = [primary()];
    while (pos < toks.length && toks[pos] !== ')' && toks[pos] !== 'OR') {
      if (toks[pos] === 'AND') pos++;
      parts.push(primary());
    }
    return (item) => parts.every((p) => p(item));
  };
  const orExpr = (): Pred => {
    const parts = [andExpr()];
    while (toks[pos] === 'OR') {
      pos++;
      parts.push(andExpr());
    }
    return (item) => parts.some((p) => p(item));
  };
  try {
    const pred = orExpr();
    if (pos !== toks.length) throw bad();
    return pred;
  } catch (e) {
    if (e instanceof SyntaxError) throw bad();
    throw e;
  }
}

/** A Compute `*List` page: filter, maxResults (default and max 500), opaque pageToken. */
export function listPage(
  req: EmuRequest,
  items: Record<string, unknown>[],
  meta: { kind: string; id: string; selfLink: string },
): Record<string, unknown> {
  const pred = parseFilter(req.query.get('filter'));
  const filtered = items.filter(pred);
  const maxRaw = req.query.get('maxResults');
  const max = maxRaw ? Number(maxRaw) : 500;
  if (!Number.isInteger(max) || max < 0) throw err.invalid('maxResults', maxRaw, 'Must be a non-negative integer.');
  const size = max === 0 || max > 500 ? 500 : max;
  let start = 0;
  const token = req.query.get('pageToken');
  if (token) {
    const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) throw err.invalid('pageToken', token, 'Invalid page token.');
    start = Number(m[1]);
  }
  const out: Record<string, unknown> = { kind: meta.kind, id: meta.id };
  const page = filtered.slice(start, start + size);
  if (page.length) out.items = page;
  if (start + size < filtered.length) out.nextPageToken = Buffer.from(`o:${start + size}`).toString('base64url');
  out.selfLink = meta.selfLink;
  return out;
}
