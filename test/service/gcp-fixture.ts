import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { VECTOR_UPDATE_SCHEMA } from '../../service/src/replication/schema.js';

/**
 * The project's GCP emulator holding what the service writes to — a bucket, the VectorUpdate
 * schema and topic — and a subscription to read back what it published.
 */
export interface GcpFixture {
  emu: RunningEmulator;
  project: string;
  bucket: string;
  /** The service's variables for this bucket and topic on the emulator. */
  env: Record<string, string>;
  /** JSON REST call to the emulator; throws on a non-2xx answer. */
  call(method: string, path: string, body?: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Pulls and acknowledges until `count` messages arrived (or ~5 s passed): their data, decoded. */
  pull(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startGcpFixture(o: { bucket: string; subscription: string; project?: string }): Promise<GcpFixture> {
  const project = o.project ?? 'proj';
  const emu = await startEmulator({ port: 0, host: '127.0.0.1' });
  const call: GcpFixture['call'] = async (method, path, body) => {
    const r = await fetch(emu.url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const t = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${t}`);
    return t ? JSON.parse(t) : undefined;
  };
  const topic = `projects/${project}/topics/vector-updates`;
  const sub = `/v1/projects/${project}/subscriptions/${o.subscription}`;
  await call('POST', `/storage/v1/b?project=${project}`, { name: o.bucket });
  await call('POST', `/v1/projects/${project}/schemas?schemaId=vector-update-schema`, { type: 'AVRO', definition: JSON.stringify(VECTOR_UPDATE_SCHEMA) });
  await call('PUT', `/v1/${topic}`, { schemaSettings: { schema: `projects/${project}/schemas/vector-update-schema`, encoding: 'JSON' } });
  await call('PUT', sub, { topic, ackDeadlineSeconds: 30 });
  return {
    emu,
    project,
    bucket: o.bucket,
    env: { STORAGE_BUCKET: o.bucket, STORAGE_EMULATOR_HOST: emu.url, PUBSUB_TOPIC: topic, PUBSUB_EMULATOR_HOST: `127.0.0.1:${emu.port}` },
    call,
    async pull(count) {
      const got: string[] = [];
      for (let tries = 0; tries < 50 && got.length < count; tries++) {
        const r = (await call('POST', `${sub}:pull`, { maxMessages: 100 })) as { receivedMessages?: { ackId: string; message: { data: string } }[] };
        const msgs = r.receivedMessages ?? [];
        for (const m of msgs) got.push(Buffer.from(m.message.data, 'base64').toString());
        if (msgs.length) await call('POST', `${sub}:acknowledge`, { ackIds: msgs.map((m) => m.ackId) });
        else await new Promise((res) => setTimeout(res, 100));
      }
      return got;
    },
    stop: () => emu.stop(),
  };
}
