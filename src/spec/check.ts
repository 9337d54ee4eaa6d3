import type { Spec } from './schema.js';

/** A cross-field problem, located by data path (parse.ts turns paths into line:col). */
export interface PathProblem {
  path: PropertyKey[];
  message: string;
  severity?: 'error' | 'warning';
  atKey?: boolean;
}

/**
 * What the user wrote, before defaults: some rules apply only to values given explicitly
 * (a default that does not fit this spec is dropped quietly; the same value written is a mistake).
 */
export interface Written {
  has(path: ReadonlyArray<PropertyKey>): boolean;
}

export type Check = (spec: Spec, out: PathProblem[], written: Written) => void;

export function writtenIn(raw: unknown): Written {
  return {
    has(path) {
      let cur: unknown = raw;
      for (const seg of path) {
        if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return false;
        cur = (cur as Record<PropertyKey, unknown>)[seg];
      }
      return true;
    },
  };
}
