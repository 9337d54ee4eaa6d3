import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec, SpecError, type LoadedSpec, type SpecProblem } from '../../../src/spec/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The smallest useful spec: one region, everything else defaulted (15 lines with comments). */
export const MINIMAL = `apiVersion: ruvector.dev/v1alpha1
kind: Topology
metadata:
  name: demo
project: my-project-1
regions:
  tier1: [us-central1]
service:
  image: gcr.io/my-project-1/ruvector:v1
`;

export function template(name: 'production' | 'regional' | 'local'): string {
  return readFileSync(join(ROOT, 'templates', `${name}.yaml`), 'utf8');
}

export function load(text: string, file = 'spec.yaml'): LoadedSpec {
  return parseSpec(text, file);
}

/** The problems a spec has (fails the test if it is valid). */
export function problems(text: string): SpecProblem[] {
  try {
    parseSpec(text, 'spec.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.problems.filter((p) => p.severity !== 'warning');
    throw e;
  }
  throw new Error('expected the spec to be invalid');
}

/** MINIMAL with extra YAML appended (top-level keys). */
export function withExtra(extra: string, base = MINIMAL): string {
  return `${base}${extra}`;
}
