/**
 * What a replayed service image must do once started: pass its own HEALTHCHECK, take writes
 * with the API key and answer a search from the native index (the addon the image kept after
 * its pruning), and drain on SIGTERM with exit 0 inside Cloud Run's 10 s.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuiltImage } from './build.js';
import { startImage } from './run.js';

export interface ImageCheck {
  runsAs: string;
  /** The hnswlib-node build the service chose, from its 'listening' log line. */
  hnswlib?: string;
  /** From start until the HEALTHCHECK first passed. */
  healthyMs: number;
  /** The nearest neighbour of a stored point's own vector was that point. */
  searchOk: boolean;
  drain: { code: number | null; signal: NodeJS.Signals | null; ms: number };
  /** The service's last log lines, for a failure's message. */
  logTail: string[];
}

/** Bytes in a directory tree (symlinks counted as themselves): an image layer's content. */
export function treeBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, e) => sum + treeBytes(join(path, e)), 0);
}

export class ImageCheckError extends Error {}

/**
 * `platformEnv` is what Cloud Run would pass (PORT, DB_*, REDIS_*, RUVECTOR_API_KEY…); PORT
 * must be set, since the HEALTHCHECK reads it.
 */
export async function checkImage(img: BuiltImage, platformEnv: Record<string, string>, readyTimeoutMs = 90_000): Promise<ImageCheck> {
  const port = Number(platformEnv.PORT);
  const key = platformEnv.RUVECTOR_API_KEY;
  if (!port) throw new ImageCheckError('PORT must name a free port: the HEALTHCHECK reads it');
  if (!key) throw new ImageCheckError('RUVECTOR_API_KEY must be set: the check writes points');
  const t0 = performance.now();
  const running = startImage(img, { LOG_LEVEL: 'info', ...platformEnv });
  const fail = (msg: string) => new ImageCheckError(`${msg}\n--- service log (last lines) ---\n${running.logs.slice(-20).join('\n')}`);
  try {
    for (;;) {
      if (running.proc.exitCode !== null) throw fail(`the service exited with ${running.proc.exitCode} before its HEALTHCHECK passed`);
      if (await running.healthcheck()) break;
      if (performance.now() - t0 > readyTimeoutMs) throw fail(`the HEALTHCHECK did not pass within ${readyTimeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const healthyMs = performance.now() - t0;
    const base = `http://127.0.0.1:${port}`;
    const call = async (path: string, body: unknown) => {
      const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': key }, body: JSON.stringify(body) });
      const json = (await r.json()) as Record<string, unknown>;
      if (!r.ok) throw fail(`POST ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const dim = 8;
    const vectors = Array.from({ length: 50 }, (_, i) => Array.from({ length: dim }, (_, j) => Math.sin(i * 7.1 + j * 1.3)));
    await call('/api/v1/collections', { name: 'image_check', dimension: dim, metric: 'cosine' });
    await call('/api/v1/collections/image_check/points', { points: vectors.map((vector, id) => ({ id, vector, metadata: { id } })) });
    const found = (await call('/api/v1/collections/image_check/search', { vector: vectors[17], k: 3 })) as { results?: { id: string }[] };
    const searchOk = found.results?.[0]?.id === '17';
    const listening = running.logs.map((l) => /"message":"listening"/.test(l) && /"hnswlib":"(\w+)"/.exec(l)?.[1]).find(Boolean);
    const drain = await running.stop();
    return { runsAs: running.runsAs, ...(listening ? { hnswlib: listening } : {}), healthyMs, searchOk, drain, logTail: running.logs.slice(-20) };
  } finally {
    if (running.proc.exitCode === null && running.proc.signalCode === null) running.proc.kill('SIGKILL');
  }
}
