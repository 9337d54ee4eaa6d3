/**
 * The write key the latency check needs for its probe collection: --api-key, else the secret
 * the spec wires to RUVECTOR_API_KEY, read through Secret Manager (held in memory, never
 * printed). Without access it is simply absent and the check says how to pass one.
 */
import type { Session } from '../engine/session.js';
import { writeKeySecret } from '../spec/write-key.js';
import { readWithRetry } from './live.js';

export async function serviceWriteKey(session: Session, given?: string): Promise<string | undefined> {
  if (given) return given;
  const secret = writeKeySecret(session.spec);
  if (!secret) return undefined;
  try {
    const [version] = await readWithRetry(session, `reading secret ${secret}`, () =>
      session.clients.secrets.accessSecretVersion({ name: `projects/${session.clients.project}/secrets/${secret}/versions/latest` }),
    );
    const data = version.payload?.data;
    if (data === undefined || data === null) return undefined;
    return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  } catch {
    return undefined;
  }
}
