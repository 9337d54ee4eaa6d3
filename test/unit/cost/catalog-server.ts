import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../../../src/spec/paths.js';

export const FIXTURES = join(packageRoot(), 'test', 'fixtures', 'billing');

/**
 * Serves the recorded Cloud Billing Catalog pages the way the API does (API key, paging)
 * on a free loopback port. SKU ids added to `hidden` vanish from the answers.
 */
export async function startCatalog(key: string) {
  const hidden = new Set<string>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    const m = /^\/v1\/services\/([A-Z0-9-]+)\/skus$/.exec(url.pathname);
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.searchParams.get('key') !== key) return reply(403, { error: { code: 403, message: 'API key not valid' } });
    const token = url.searchParams.get('pageToken');
    const file = m && join(FIXTURES, `${m[1]}${token ? `.${token}` : ''}.json`);
    if (!file || !existsSync(file)) return reply(404, { error: { code: 404, message: 'Service not found' } });
    const page = JSON.parse(readFileSync(file, 'utf8')) as { skus: { skuId: string }[] };
    page.skus = page.skus.filter((s) => !hidden.has(s.skuId));
    return reply(200, page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hidden,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
