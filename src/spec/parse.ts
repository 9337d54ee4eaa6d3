import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath, SpecError, type SpecProblem } from './errors.js';
import { PositionMap } from './positions.js';
import { SpecSchema, specJsonSchema, type Spec } from './schema.js';
import { didYouMean } from './suggest.js';
import { checkSemantics, type PathProblem } from './validate.js';

/** A spec that parsed and validated, with where it came from. */
export interface LoadedSpec {
  spec: Spec;
  file: string;
  /** Warnings (not errors) found while validating. */
  warnings: SpecProblem[];
  /** Resolves a spec path to its position, for later checks that want to point at YAML. */
  positions: PositionMap;
}

type JsonSchemaNode = {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
};

let jsonSchemaCache: JsonSchemaNode | undefined;

/** The JSON Schema node at a data path: used to list the keys a map accepts. */
function schemaAt(path: ReadonlyArray<PropertyKey>): JsonSchemaNode | undefined {
  jsonSchemaCache ??= specJsonSchema() as JsonSchemaNode;
  let node: JsonSchemaNode | undefined = jsonSchemaCache;
  for (const seg of path) {
    if (!node) return undefined;
    const alts: JsonSchemaNode[] = [node, ...(node.anyOf ?? []), ...(node.oneOf ?? [])];
    let next: JsonSchemaNode | undefined;
    for (const alt of alts) {
      if (typeof seg === 'number' && alt.items) next = alt.items;
      else if (typeof seg === 'string' && alt.properties?.[seg]) next = alt.properties[seg];
      else if (typeof seg === 'string' && typeof alt.additionalProperties === 'object') next = alt.additionalProperties;
      if (next) break;
    }
    node = next;
  }
  return node;
}

function issueMessage(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code === 'invalid_type') {
    const actual = valueAt(data, issue.path);
    if (actual === undefined) return 'required field is missing';
    return `expected ${issue.expected}, got ${describe(actual)}`;
  }
  if (issue.code === 'invalid_value') {
    const actual = valueAt(data, issue.path);
    return `${JSON.stringify(actual)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function zodProblems(issues: z.core.$ZodIssue[], data: unknown, file: string, pos: PositionMap): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const accepted = Object.keys(schemaAt(issue.path)?.properties ?? {});
      for (const key of issue.keys) {
        const hint = didYouMean(key, accepted);
        const { line, col } = pos.locateKey(issue.path, key);
        out.push({
          file, line, col,
          path: formatPath([...issue.path, key]),
          message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : accepted.length ? ` (expected one of: ${accepted.join(', ')})` : ''}`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest rather than "invalid input".
      const branches = issue.errors.filter((b) => b.length > 0);
      const best = branches.sort((a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)))[0];
      if (best && best.some((i) => i.path.length > 0)) {
        out.push(...zodProblems(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), data, file, pos));
        continue;
      }
    }
    const { line, col } = pos.locate(issue.path);
    out.push({ file, line, col, path: formatPath(issue.path), message: issueMessage(issue, data) });
  }
  return out;
}

function toProblems(found: PathProblem[], file: string, pos: PositionMap): SpecProblem[] {
  return found.map((p) => ({ file, ...pos.locate(p.path, p.atKey), path: formatPath(p.path), message: p.message, severity: p.severity }));
}

function sortProblems(ps: SpecProblem[]): SpecProblem[] {
  return ps.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Parse and validate spec text. Collects every problem (YAML syntax, schema, cross-field
 * rules) and throws one SpecError carrying them all; returns warnings alongside the spec.
 */
export function parseSpec(text: string, file: string): LoadedSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pos = new PositionMap(doc, lines);

  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { file, line: at.line, col: at.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: 'a spec is a YAML map with apiVersion, kind, metadata, project, regions, service, ...' }]);
  }

  const parsed = SpecSchema.safeParse(data);
  if (!parsed.success) throw new SpecError(sortProblems(zodProblems(parsed.error.issues, data, file, pos)));

  const semantic = toProblems(checkSemantics(parsed.data), file, pos);
  const errors = semantic.filter((p) => p.severity !== 'warning');
  if (errors.length > 0) throw new SpecError(sortProblems(semantic));
  return { spec: parsed.data, file, warnings: sortProblems(semantic), positions: pos };
}
