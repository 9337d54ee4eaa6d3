/**
 * Checks on the composed YAML document before it becomes plain data: duplicate keys, and
 * aliases that do not resolve, refer to their own enclosing node, or expand into far more
 * than was written (an alias bomb). The yaml library can do the first two itself, but its
 * duplicate-key check compares every key with every earlier one (quadratic in a map's size)
 * and its alias errors carry no position; one linear, iterative walk does all of them here.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { MAX_ALIAS_EXPANSION, type LimitProblem } from './limits.js';

type Visit = Node | Pair | null | undefined;

const offsetOf = (n: Visit): number | undefined => (n && !isPair(n) && n.range ? n.range[0] : undefined);

/** The text a scalar key reads as once it is an object key (1 and "1" are the same key in data). */
function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

export function documentProblems(doc: Document.Parsed, lines: LineCounter): LimitProblem[] {
  const out: LimitProblem[] = [];
  // Expanded size of every finished node: how many nodes it stands for once aliases are copied in.
  const size = new Map<Visit, number>();
  const open = new Set<Visit>();
  const anchors = new Map<string, Node>();
  let expansion = 0;
  let bombReported = false;

  const stack: { node: Visit; exit: boolean; path: PropertyKey[] }[] = [{ node: doc.contents, exit: false, path: [] }];
  while (stack.length > 0) {
    const { node, exit, path } = stack.pop()!;
    if (!node) continue;
    if (exit) {
      open.delete(node);
      let total = 1;
      const children: Visit[] = isPair(node) ? [node.key as Visit, node.value as Visit] : isMap(node) || isSeq(node) ? (node.items as Visit[]) : [];
      for (const c of children) total += size.get(c) ?? 0;
      size.set(node, total);
      continue;
    }
    if (isAlias(node)) {
      const source = anchors.get(node.source);
      const at = offsetOf(node) ?? 0;
      if (!source) {
        out.push({ offset: at, path, message: `alias *${node.source} refers to no anchor &${node.source} before it` });
      } else if (open.has(source)) {
        out.push({ offset: at, path, message: `alias *${node.source} refers to the node that contains it (a value cannot include itself)` });
      } else {
        const added = size.get(source) ?? 1;
        size.set(node, added);
        expansion += added;
        if (expansion > MAX_ALIAS_EXPANSION && !bombReported) {
          bombReported = true;
          out.push({
            offset: at,
            path,
            message: `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes by here (a YAML alias bomb?); write the values out or use fewer aliases`,
          });
        }
      }
      continue;
    }
    if (!isPair(node) && node.anchor) anchors.set(node.anchor, node);
    open.add(node);
    stack.push({ node, exit: true, path });
    if (isPair(node)) {
      stack.push({ node: node.value as Visit, exit: false, path: [...path, keyText(node.key) ?? '?'] }, { node: node.key as Visit, exit: false, path });
    } else if (isMap(node)) {
      const seen = new Map<string, Pair>();
      for (const pair of node.items) {
        const k = keyText(pair.key);
        if (k === undefined) continue;
        const first = seen.get(k);
        if (first) {
          const firstAt = offsetOf(first.key as Visit);
          out.push({ offset: offsetOf(pair.key as Visit) ?? offsetOf(node) ?? 0, path: [...path, k], message: `duplicate key "${k}"${firstAt !== undefined ? ` (first at line ${lines.linePos(firstAt).line})` : ''}` });
        } else seen.set(k, pair);
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i] as Visit, exit: false, path });
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i] as Visit, exit: false, path: [...path, i] });
    }
  }
  return out;
}
