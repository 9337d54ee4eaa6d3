/**
 * Integration-test harness: an in-process emulator on a free port plus the official GCP
 * clients pointed at it. Every engineer's emulator tests import this.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThroughClient } from 'google-auth-library';
import * as run from '@google-cloud/run';
import * as redis from '@google-cloud/redis';
import * as sql from '@google-cloud/sql';
import * as vpcaccess from '@google-cloud/vpc-access';
import * as secretmanager from '@google-cloud/secret-manager';
import * as cloudquotas from '@google-cloud/cloudquotas';
import { PubSub, v1 as pubsubV1 } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../../src/emulator/server.js';

export const PROJECT = 'emu-test-project';
export const REGION = 'us-central1';

/** Options every gax client (Run, Redis, SQL, Compute, VPC Access, ...) takes to reach the emulator. */
export function gaxOptions(emu: { host: string; port: number }) {
  return {
    apiEndpoint: emu.host,
    port: emu.port,
    protocol: 'http' as const,
    fallback: true as const,
    authClient: new PassThroughClient(),
    projectId: PROJECT,
  };
}

/** Pub/Sub ignores `port` over REST: it wants host:port in apiEndpoint. */
export function pubsubOptions(emu: { host: string; port: number }) {
  return { ...gaxOptions(emu), apiEndpoint: `${emu.host}:${emu.port}` };
}

interface Closeable {
  close?: () => Promise<unknown> | unknown;
}

export interface TestEmulator {
  emu: RunningEmulator;
  url: string;
  /** Build any gax client class against the emulator (closed on stop). */
  gax<T>(Ctor: new (...args: never[]) => T): T;
  clients: {
    runServices(): run.ServicesClient;
    runRevisions(): run.RevisionsClient;
    redis(): redis.CloudRedisClient;
    vpcAccess(): vpcaccess.VpcAccessServiceClient;
    sqlInstances(): sql.SqlInstancesServiceClient;
    sqlDatabases(): sql.SqlDatabasesServiceClient;
    sqlUsers(): sql.SqlUsersServiceClient;
    sqlOperations(): sql.SqlOperationsServiceClient;
    secretManager(): secretmanager.SecretManagerServiceClient;
    cloudQuotas(): cloudquotas.CloudQuotasClient;
    pubsub(): PubSub;
    publisher(): pubsubV1.PublisherClient;
    subscriber(): pubsubV1.SubscriberClient;
    schemas(): pubsubV1.SchemaServiceClient;
    storage(): Storage;
  };
  /** GET/POST the emulator's own endpoints (/__emulator/...). */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts an emulator for a test file. Defaults: latencyScale 0.001 (a 5-minute create takes
 * 0.3 s), no faults, no consistency delay, gcp-default quotas, in-memory state. Pass
 * `persistent: true` for a temp --state dir (removed on stop unless `stateDir` was given).
 */
export async function startTestEmulator(opts: EmulatorOptions & { persistent?: boolean } = {}): Promise<TestEmulator> {
  let tempDir: string | undefined;
  let stateDir = opts.stateDir;
  if (!stateDir && opts.persistent) {
    tempDir = await mkdtemp(join(tmpdir(), 'ruvector-emu-state-'));
    stateDir = tempDir;
  }
  const emu = await startEmulator({ latencyScale: 0.001, ...opts, stateDir, port: opts.port ?? 0 });
  const made: Closeable[] = [];
  const track = <T>(c: T): T => {
    made.push(c as Closeable);
    return c;
  };
  // The clients' ClientOptions name google-gax's nested google-auth-library; the runtime
  // PassThroughClient from ours works the same, so construct through an untyped signature.
  const gax = <T>(Ctor: new (...args: never[]) => T): T => track(new (Ctor as unknown as new (o: unknown) => T)(gaxOptions(emu)));
  return {
    emu,
    url: emu.url,
    gax,
    clients: {
      runServices: () => gax(run.ServicesClient),
      runRevisions: () => gax(run.RevisionsClient),
      redis: () => gax(redis.CloudRedisClient),
      vpcAccess: () => gax(vpcaccess.VpcAccessServiceClient),
      sqlInstances: () => gax(sql.SqlInstancesServiceClient),
      sqlDatabases: () => gax(sql.SqlDatabasesServiceClient),
      sqlUsers: () => gax(sql.SqlUsersServiceClient),
      sqlOperations: () => gax(sql.SqlOperationsServiceClient),
      secretManager: () => gax(secretmanager.SecretManagerServiceClient),
      cloudQuotas: () => gax(cloudquotas.CloudQuotasClient),
      pubsub: () => track(new (PubSub as unknown as new (o: unknown) => PubSub)({ ...pubsubOptions(emu) })),
      publisher: () => track(new (pubsubV1.PublisherClient as unknown as new (o: unknown) => pubsubV1.PublisherClient)(pubsubOptions(emu))),
      subscriber: () => track(new (pubsubV1.SubscriberClient as unknown as new (o: unknown) => pubsubV1.SubscriberClient)(pubsubOptions(emu))),
      schemas: () => track(new (pubsubV1.SchemaServiceClient as unknown as new (o: unknown) => pubsubV1.SchemaServiceClient)(pubsubOptions(emu))),
      storage: () => new Storage({ apiEndpoint: emu.url, projectId: PROJECT }),
    },
    async control<T>(method: string, path: string, body?: unknown): Promise<T> {
      const r = await fetch(`${emu.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path} -> ${r.status} ${text}`);
      return (text ? JSON.parse(text) : {}) as T;
    },
    async stop() {
      for (const c of made) await c.close?.();
      await emu.stop();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** Parse the AIP-193 / legacy error body a GaxiosError or ApiError carries. */
export function errorBody(e: unknown): { code?: number; status?: string; message?: string; details?: Record<string, unknown>[]; errors?: { reason: string; domain?: string; message?: string }[] } {
  const err = e as { message?: string; code?: number | string; response?: { data?: unknown } };
  const data = err.response?.data;
  if (data && typeof data === 'object' && 'error' in data) return (data as { error: ReturnType<typeof errorBody> }).error;
  try {
    return (JSON.parse(err.message ?? '') as { error: ReturnType<typeof errorBody> }).error;
  } catch {
    return { message: err.message, code: typeof err.code === 'number' ? err.code : undefined };
  }
}

/** A google.longrunning.Operation as the gax OperationsClient returns it at runtime. */
export interface LroOperation {
  name?: string;
  done?: boolean;
  error?: { code?: number; message?: string } | null;
}

/**
 * The LRO calls of a gax client's `operationsClient`. Their typings want protobuf message
 * classes and claim a bare response; at runtime they take plain objects and resolve to
 * `[result, ...]` like every other gax call.
 */
export function lro(client: { operationsClient: unknown }) {
  const oc = client.operationsClient as {
    listOperations(r: { name: string }): Promise<[LroOperation[]]>;
    getOperation(r: { name: string }): Promise<[LroOperation]>;
    cancelOperation(r: { name: string }): Promise<unknown>;
    deleteOperation(r: { name: string }): Promise<unknown>;
  };
  return {
    list: async (name: string) => (await oc.listOperations({ name }))[0],
    get: async (name: string) => (await oc.getOperation({ name }))[0],
    cancel: (name: string) => oc.cancelOperation({ name }),
    delete: (name: string) => oc.deleteOperation({ name }),
  };
}
