/**
 * A Dockerfile read into the steps the image replay can carry out, each with its line. Only
 * the instructions service/Dockerfile uses are understood; any other that changes the image
 * is refused by name, so the replay never silently builds something else.
 */
import { DockerfileParser, type Instruction, Copy, Env, From, Healthcheck, JSONInstruction, Workdir, User } from 'dockerfile-ast';

export type Step =
  | { kind: 'from'; line: number; image: string; stage?: string }
  | { kind: 'workdir'; line: number; path: string }
  | { kind: 'env'; line: number; vars: Record<string, string> }
  | { kind: 'copy'; line: number; sources: string[]; dest: string; from?: string; chown?: string }
  | { kind: 'run'; line: number; command: string }
  | { kind: 'user'; line: number; user: string }
  | { kind: 'healthcheck'; line: number; command: string[] }
  | { kind: 'cmd'; line: number; command: string[] };

export class DockerfileError extends Error {}

/** Instructions that describe the image without changing its files or how it starts. */
const DESCRIPTIVE = new Set(['EXPOSE', 'LABEL', 'STOPSIGNAL']);

/** CMD and HEALTHCHECK CMD in exec form (a JSON array) or shell form (run by /bin/sh -c). */
function commandOf(ins: Instruction, text: string): string[] {
  if (ins instanceof JSONInstruction && ins.getJSONStrings().length > 0) return ins.getJSONStrings().map((s) => s.getJSONValue());
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed as string[];
    } catch {
      // shell form that happens to start with a bracket
    }
  }
  return ['/bin/sh', '-c', t];
}

export function parseDockerfile(text: string, file: string): Step[] {
  const steps: Step[] = [];
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    const line = ins.getRange().start.line + 1;
    const where = `${file}:${line}`;
    const keyword = ins.getKeyword();
    const args = ins.getArgumentsContent() ?? '';
    if (ins instanceof From) {
      const image = ins.getImage();
      if (!image) throw new DockerfileError(`${where}: FROM names no image`);
      steps.push({ kind: 'from', line, image, ...(ins.getBuildStage() ? { stage: ins.getBuildStage()! } : {}) });
    } else if (ins instanceof Workdir) {
      steps.push({ kind: 'workdir', line, path: ins.getPath() ?? '/' });
    } else if (ins instanceof Env) {
      const vars: Record<string, string> = {};
      for (const p of ins.getProperties()) vars[p.getName()] = p.getUnescapedValue() ?? '';
      steps.push({ kind: 'env', line, vars });
    } else if (ins instanceof Copy) {
      const flags = new Map(ins.getFlags().map((f) => [f.getName(), f.getValue() ?? '']));
      for (const name of flags.keys()) if (name !== 'from' && name !== 'chown') throw new DockerfileError(`${where}: COPY --${name} is not supported by the replay`);
      const words = ins.getArguments().map((a) => a.getValue());
      if (words.length < 2) throw new DockerfileError(`${where}: COPY needs a source and a destination`);
      steps.push({ kind: 'copy', line, sources: words.slice(0, -1), dest: words.at(-1)!, ...(flags.has('from') ? { from: flags.get('from')! } : {}), ...(flags.has('chown') ? { chown: flags.get('chown')! } : {}) });
    } else if (keyword === 'RUN') {
      if (args.trimStart().startsWith('[')) throw new DockerfileError(`${where}: RUN in exec form is not supported by the replay`);
      steps.push({ kind: 'run', line, command: args });
    } else if (ins instanceof User) {
      steps.push({ kind: 'user', line, user: args.trim() });
    } else if (ins instanceof Healthcheck) {
      const sub = ins.getSubcommand()?.getValue().toUpperCase();
      if (sub === 'NONE') continue;
      if (sub !== 'CMD') throw new DockerfileError(`${where}: HEALTHCHECK needs CMD or NONE`);
      steps.push({ kind: 'healthcheck', line, command: commandOf(ins, args.replace(/^\s*CMD\s+/i, '')) });
    } else if (keyword === 'CMD') {
      steps.push({ kind: 'cmd', line, command: commandOf(ins, args) });
    } else if (!DESCRIPTIVE.has(keyword)) {
      throw new DockerfileError(`${where}: ${keyword} is not supported by the replay`);
    }
  }
  if (!steps.some((s) => s.kind === 'cmd')) throw new DockerfileError(`${file}: no CMD: the image would not start the service`);
  return steps;
}
