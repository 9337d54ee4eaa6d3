/** One thing wrong with a spec, pointing at the YAML that says it. */
export interface SpecProblem {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  path: string; // dotted path, e.g. service.probes.startup.path or regions.tier1[2]
  message: string;
  /** Warnings are printed but do not fail validation. */
  severity?: 'error' | 'warning';
}

const MAX_PROBLEMS_IN_MESSAGE = 50;

/** How a spec's file is named in messages: an empty path still reads as one. */
export function fileLabel(file: string): string {
  return file === '' ? '(empty path)' : file;
}

/** Thrown by loadSpec/parseSpec when a spec has errors; carries every problem at once. */
export class SpecError extends Error {
  readonly problems: SpecProblem[];

  constructor(problems: SpecProblem[]) {
    const errors = problems.filter((p) => p.severity !== 'warning');
    // Every problem stays in `problems`; the message shows enough to act on without flooding a terminal.
    const shown = errors.slice(0, MAX_PROBLEMS_IN_MESSAGE).map(formatProblem);
    if (errors.length > shown.length) shown.push(`... and ${errors.length - shown.length} more (ruvector validate --json lists them all)`);
    super(`${errors.length} problem${errors.length === 1 ? '' : 's'} in ${fileLabel(problems[0]?.file ?? 'spec')}:\n${shown.join('\n')}`);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** `file:line:col  path  message`, the format editors and CI annotate from. */
export function formatProblem(p: SpecProblem): string {
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return `${fileLabel(p.file)}:${p.line}:${p.col}  ${p.path || '(root)'}  ${prefix}${p.message}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
