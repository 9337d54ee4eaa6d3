import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

/** Maps a path in the parsed object back to a line and column in the YAML text. */
export class PositionMap {
  /** Each map's pairs by key, built on first use: a spec with many problems stays linear. */
  private readonly index = new WeakMap<YAMLMap, Map<unknown, Pair>>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of the value at `path`; `atKey` points at the key instead (unknown keys).
   * When the path does not exist in the YAML (a missing field, a default), the deepest
   * node that does exist is used, so the user is sent to the enclosing block.
   */
  locate(path: ReadonlyArray<PropertyKey>, atKey = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let keyNode: Node | undefined;
    let lastGood: unknown = node;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = this.pairs(node).get(seg);
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        keyNode = undefined;
      } else break;
      if (node === undefined || node === null) break;
      lastGood = node;
    }
    const target = atKey && keyNode ? keyNode : ((node ?? lastGood) as Node | undefined);
    const offset = target && 'range' in target && target.range ? target.range[0] : 0;
    return this.lines.linePos(offset);
  }

  private pairs(map: YAMLMap): Map<unknown, Pair> {
    let byKey = this.index.get(map);
    if (!byKey) {
      byKey = new Map();
      // The first of duplicate keys, as a linear scan would find it.
      for (const p of map.items) {
        if (!isPair(p)) continue;
        const k = isScalar(p.key) ? p.key.value : p.key;
        if (!byKey.has(k)) byKey.set(k, p);
      }
      this.index.set(map, byKey);
    }
    return byKey;
  }

  /** Position of the key `key` inside the map at `path` (for unrecognised keys). */
  locateKey(path: ReadonlyArray<PropertyKey>, key: string): { line: number; col: number } {
    return this.locate([...path, key], true);
  }
}
