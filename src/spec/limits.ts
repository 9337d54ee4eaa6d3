/**
 * Bounds on what a spec may be before it is composed and validated. A topology spec is a few
 * KB (templates/production.yaml, the seed's 15 regions, is about 18 KB); input far beyond that
 * is a mistake or an attack, and each bound is refused with a position so the user sees where.
 * The bounds also keep every later step linear: nothing below ever sees more than these.
 */
import { CST } from 'yaml';

/** Largest spec accepted, in bytes: some fifty times the seed. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Most entries in one YAML list or map (Cloud Run's env var limit, 1,000, is the largest real one). */
export const MAX_COLLECTION_ENTRIES = 10_000;
/** Deepest nesting of lists and maps (the spec's own schema is 7 levels deep). */
export const MAX_NESTING_DEPTH = 64;
/** Most nodes aliases may add to the document when expanded (the YAML "billion laughs" bound). */
export const MAX_ALIAS_EXPANSION = 10_000;

export interface LimitProblem {
  offset: number;
  message: string;
  /** The data path, where it is known. */
  path?: PropertyKey[];
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/**
 * Where `text` passes the byte limit, if it does. `fileBytes` is the whole file's size when
 * `text` is only its beginning.
 */
export function oversize(text: string, fileBytes = 0): LimitProblem | undefined {
  const totalBytes = Math.max(fileBytes, Buffer.byteLength(text, 'utf8'));
  if (totalBytes <= MAX_SPEC_BYTES) return undefined;
  // The first character past MAX_SPEC_BYTES bytes: where the excess begins.
  const inside = Buffer.from(text.slice(0, MAX_SPEC_BYTES), 'utf8').subarray(0, MAX_SPEC_BYTES).toString('utf8').length;
  return {
    offset: inside,
    message: `the spec is ${formatBytes(totalBytes)}; at most ${formatBytes(MAX_SPEC_BYTES)} is accepted (the 15-region production template is 18 KiB), and this is where the limit is passed`,
  };
}

type Collection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;

const entryCount = (items: CST.CollectionItem[]): { count: number; at?: CST.CollectionItem } => {
  let count = 0;
  for (const item of items) {
    // A block map lists comment-only lines as items; they hold no entry.
    if (!item.key && !item.sep && !item.value) continue;
    if (++count > MAX_COLLECTION_ENTRIES) return { count, at: item };
  }
  return { count };
};

function itemOffset(item: CST.CollectionItem, fallback: number): number {
  return item.key?.offset ?? item.value?.offset ?? item.start[0]?.offset ?? fallback;
}

/** The key a map entry's scalar key token reads as, for the problem's path. */
function keyOf(token: CST.Token | null | undefined): string {
  if (!token || !CST.isScalar(token)) return '?';
  return CST.resolveAsScalar(token)?.value ?? '?';
}

/**
 * Nesting depth and collection length, checked on the parser's token tree before the
 * composer (which recurses) sees it. Iterative: a pathological depth cannot overflow here.
 */
export function structureProblems(tokens: Iterable<CST.Token>): LimitProblem[] {
  const out: LimitProblem[] = [];
  // A token's path is its parent's plus one step, joined only when a problem is reported.
  type At = { parent?: At; seg?: PropertyKey };
  const pathOf = (at: At | undefined): PropertyKey[] => {
    const out: PropertyKey[] = [];
    for (let a = at; a; a = a.parent) if (a.seg !== undefined) out.push(a.seg);
    return out.reverse();
  };
  const stack: { token: CST.Token; depth: number; at: At }[] = [];
  for (const t of tokens) if (t.type === 'document' && t.value) stack.push({ token: t.value, depth: 0, at: {} });
  while (stack.length > 0) {
    const { token, depth, at: where } = stack.pop()!;
    if (!CST.isCollection(token)) continue;
    const c = token as Collection;
    if (depth + 1 > MAX_NESTING_DEPTH) {
      out.push({ offset: c.offset, path: pathOf(where), message: `lists and maps nest more than ${MAX_NESTING_DEPTH} levels deep here` });
      continue;
    }
    const isList = c.type === 'block-seq' || (c.type === 'flow-collection' && c.start.source === '[');
    const { at } = entryCount(c.items);
    if (at) {
      out.push({ offset: itemOffset(at, c.offset), path: pathOf(where), message: `this ${isList ? 'list' : 'map'} has more than ${MAX_COLLECTION_ENTRIES.toLocaleString('en-US')} entries; the excess starts here` });
      continue;
    }
    let index = 0;
    for (const item of c.items) {
      if (!item.key && !item.sep && !item.value) continue;
      const i = index++;
      if (item.key && CST.isCollection(item.key)) stack.push({ token: item.key, depth: depth + 1, at: where });
      if (item.value && CST.isCollection(item.value)) stack.push({ token: item.value, depth: depth + 1, at: { parent: where, seg: isList ? i : keyOf(item.key) } });
    }
  }
  return out;
}
