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

/** Where a node sits: built into a path only when a problem is reported. */
interface At {
  parent?: At;
  seg?: PropertyKey;
}

function pathOf(at: At | undefined): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (let a = at; a; a = a.parent) if (a.seg !== undefined) out.push(a.seg);
  return out.reverse();
}

export function documentProblems(doc: Document.Parsed, lines: LineCounter): LimitProblem[] {
  const out: LimitProblem[] = [];
  // Nodes visited so far, each alias counted as the nodes it copies in: an anchored node's
  // expanded size is the growth of this count between entering and leaving it.
  let count = 0;
  const size = new Map<Node, number>();
  const open = new Set<Node>();
  const anchors = new Map<string, Node>();
  let expansion = 0;
  let bombReported = false;

  type Frame = { node: Visit; at: At; exit?: { node: Node; startCount: number } };
  const stack: Frame[] = [{ node: doc.contents, at: {} }];
  while (stack.length > 0) {
    const { node, at, exit } = stack.pop()!;
    if (exit) {
      open.delete(exit.node);
      size.set(exit.node, count - exit.startCount);
      continue;
    }
    if (!node) continue;
    if (isAlias(node)) {
      const source = anchors.get(node.source);
      const offset = offsetOf(node) ?? 0;
      if (!source) {
        out.push({ offset, path: pathOf(at), message: `alias *${node.source} refers to no anchor &${node.source} before it` });
      } else if (open.has(source)) {
        out.push({ offset, path: pathOf(at), message: `alias *${node.source} refers to the node that contains it (a value cannot include itself)` });
      } else {
        const added = size.get(source) ?? 1;
        count += added;
        expansion += added;
        if (expansion > MAX_ALIAS_EXPANSION && !bombReported) {
          bombReported = true;
          out.push({
            offset,
            path: pathOf(at),
            message: `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} nodes by here (a YAML alias bomb?); write the values out or use fewer aliases`,
          });
        }
      }
      continue;
    }
    count++;
    if (!isPair(node) && node.anchor) {
      anchors.set(node.anchor, node);
      open.add(node);
      stack.push({ node: null, at, exit: { node, startCount: count - 1 } });
    }
    if (isPair(node)) {
      stack.push({ node: node.value as Visit, at: { parent: at, seg: keyText(node.key) ?? '?' } }, { node: node.key as Visit, at });
    } else if (isMap(node)) {
      const seen = new Map<string, Pair>();
      for (const pair of node.items) {
        const k = keyText(pair.key);
        if (k === undefined) continue;
        const first = seen.get(k);
        if (first) {
          const firstAt = offsetOf(first.key as Visit);
          out.push({
            offset: offsetOf(pair.key as Visit) ?? offsetOf(node) ?? 0,
            path: [...pathOf(at), k],
            message: `duplicate key "${k}"${firstAt !== undefined ? ` (first at line ${lines.linePos(firstAt).line})` : ''}`,
          });
        } else seen.set(k, pair);
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i] as Visit, at });
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i] as Visit, at: { parent: at, seg: i } });
    }
  }
  return out;
}
