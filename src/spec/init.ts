import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { packageRoot } from './paths.js';

export const TEMPLATES = ['production', 'regional', 'local'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export function templatePath(name: TemplateName): string {
  return join(packageRoot(), 'templates', `${name}.yaml`);
}

export function schemaPath(): string {
  return join(packageRoot(), 'config', 'ruvector.schema.json');
}

export interface InitResult {
  template: TemplateName;
  out: string;
  schema: string;
}

export class InitExistsError extends Error {}

/**
 * Write a spec from a template. The `$schema` line is rewritten to point at this
 * installation's schema relative to the new file, and `project` is set when given
 * (comments and layout survive: the yaml Document API edits in place).
 */
export async function initSpec(opts: { template: TemplateName; out: string; force?: boolean; project?: string; name?: string }): Promise<InitResult> {
  const out = resolve(opts.out);
  if (!opts.force) {
    const exists = await access(out).then(() => true, () => false);
    if (exists) throw new InitExistsError(`${opts.out} already exists (use --force to overwrite)`);
  }
  let text = await readFile(templatePath(opts.template), 'utf8');
  let schemaRef = relative(dirname(out), schemaPath()).split('\\').join('/');
  if (!schemaRef.startsWith('.')) schemaRef = `./${schemaRef}`;
  text = text.replace(/^# yaml-language-server: \$schema=.*$/m, `# yaml-language-server: $schema=${schemaRef}`);
  if (opts.project || opts.name) {
    const doc = parseDocument(text);
    if (opts.project) doc.set('project', opts.project);
    if (opts.name) doc.setIn(['metadata', 'name'], opts.name);
    text = doc.toString({ lineWidth: 0 });
  }
  await writeFile(out, text);
  return { template: opts.template, out: opts.out, schema: schemaRef };
}
