import { Composer, LineCounter, Parser, YAMLParseError, type Document } from 'yaml';
import type { z } from 'zod';
import { formatPath, SpecError, type SpecProblem } from './errors.js';
import { oversize, structureProblems, type LimitProblem } from './limits.js';
import { PositionMap } from './positions.js';
import { SpecSchema, specJsonSchema, type Spec } from './schema.js';
import { didYouMean } from './suggest.js';
import { checkSemantics, type PathProblem } from './validate.js';
import { documentProblems } from './yaml-checks.js';

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
    const expected = ({ object: 'a map', array: 'a list' } as Record<string, string>)[issue.expected] ?? issue.expected;
    return `expected ${expected}, got ${describe(actual)}`;
  }
  if (issue.code === 'invalid_key') {
    const key = issue.path[issue.path.length - 1];
    return `invalid key "${String(key)}": ${issue.issues[0]?.message ?? issue.message}`;
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
      let best: z.core.$ZodIssue[] | undefined;
      let bestDepth = 0;
      for (const branch of issue.errors) {
        let depth = 0;
        for (const i of branch) depth = Math.max(depth, i.path.length);
        if (depth > bestDepth) [best, bestDepth] = [branch, depth];
      }
      if (best) {
        for (const p of zodProblems(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), data, file, pos)) out.push(p);
        continue;
      }
    }
    const { line, col } = pos.locate(issue.path, issue.code === 'invalid_key');
    out.push({ file, line, col, path: formatPath(issue.path), message: issueMessage(issue, data) });
  }
  return out;
}

/**
 * Drop the values the schema rejected (defaults take their place) and parse again, so
 * cross-field rules can still run. Gives up when a rejected value has no default or sits
 * in a list (removing it would shift the paths the rules report).
 */
function repair(data: unknown, issues: z.core.$ZodIssue[]): Spec | undefined {
  let current: unknown = structuredClone(data);
  let pending = issues;
  for (let round = 0; round < 5; round++) {
    for (const issue of pending) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const path of keys) {
        if (path.length === 0 || typeof path[path.length - 1] === 'number') return undefined;
        const parent = valueAt(current, path.slice(0, -1));
        if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return undefined;
        delete (parent as Record<PropertyKey, unknown>)[path[path.length - 1]!];
      }
    }
    const again = SpecSchema.safeParse(current);
    if (again.success) return again.data;
    pending = again.error.issues;
  }
  return undefined;
}

function toProblems(found: PathProblem[], file: string, pos: PositionMap): SpecProblem[] {
  return found.map((p) => ({ file, ...pos.locate(p.path, p.atKey), path: formatPath(p.path), message: p.message, severity: p.severity }));
}

function sortProblems(ps: SpecProblem[]): SpecProblem[] {
  return ps.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Problems at character offsets, as spec problems at the root path. */
function atOffsets(found: LimitProblem[], file: string, lines: LineCounter): SpecProblem[] {
  return found.map((p) => ({ file, ...lines.linePos(p.offset), path: formatPath(p.path ?? []), message: p.message }));
}

/**
 * Text -> one YAML document, refusing what would make the later steps slow or unsafe (size,
 * nesting, collection length) before the composer sees it.
 */
function composeDocument(text: string, file: string, bytes?: number): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  const tooBig = oversize(text, bytes);
  if (tooBig) {
    // Line starts up to the limit only: the rest is never parsed.
    lines.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1 && i < tooBig.offset; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
    throw new SpecError(atOffsets([tooBig], file, lines));
  }
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const structural = structureProblems(tokens);
  if (structural.length > 0) throw new SpecError(atOffsets(structural, file, lines));
  // Duplicate keys are found by documentProblems in linear time (the library's own check is quadratic).
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'more than one document'));
      break;
    }
  }
  return { doc: doc!, lines };
}

/**
 * Parse and validate spec text. Collects every problem (YAML syntax, schema, cross-field
 * rules) and throws one SpecError carrying them all; returns warnings alongside the spec.
 * `bytes` is the whole file's size when `text` is only its beginning (loadSpec reads no more).
 */
export function parseSpec(text: string, file: string, o: { bytes?: number } = {}): LoadedSpec {
  const { doc, lines } = composeDocument(text, file, o.bytes);
  const pos = new PositionMap(doc, lines);

  if (doc.errors.length > 0) {
    // After a syntax error the parser reports every following token too; only the first
    // error is the user's, the rest are its echo.
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    const more = doc.errors.length - 1;
    const hint = /flow-map-start|flow-seq-start/.test(e.message) ? ' (quote values that contain ${...} inside { } or [ ])' : '';
    const firstMessage = e.code === 'MULTIPLE_DOCS' ? 'a spec is one YAML document; this file has another after "---"' : e.message.split('\n')[0];
    throw new SpecError([
      {
        file, line: at.line, col: at.col, path: '',
        message: `malformed YAML: ${firstMessage}${hint}${more > 0 ? ` (${more} follow-on error${more === 1 ? '' : 's'} not shown)` : ''}`,
      },
    ]);
  }
  const yamlProblems = documentProblems(doc, lines);
  if (yamlProblems.length > 0) throw new SpecError(sortProblems(atOffsets(yamlProblems, file, lines)));
  // Aliases were bounded above, so the library's own alias counter is not needed (its error has no position).
  const data: unknown = doc.toJS({ maxAliasCount: -1 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: 'a spec is a YAML map with apiVersion, kind, metadata, project, regions, service, ...' }]);
  }

  const parsed = SpecSchema.safeParse(data);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error.issues, data, file, pos);
    // Report cross-field problems in the same run when the schema errors can be set aside.
    const repaired = repair(data, parsed.error.issues);
    if (repaired) {
      const reported = new Set(problems.map((p) => p.path));
      for (const p of toProblems(checkSemantics(repaired, data), file, pos)) if (!reported.has(p.path)) problems.push(p);
    }
    throw new SpecError(sortProblems(problems));
  }

  const semantic = toProblems(checkSemantics(parsed.data, data), file, pos);
  const errors = semantic.filter((p) => p.severity !== 'warning');
  if (errors.length > 0) throw new SpecError(sortProblems(semantic));
  return { spec: parsed.data, file, warnings: sortProblems(semantic), positions: pos };
}
