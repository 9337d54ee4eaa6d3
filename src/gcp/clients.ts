/**
 * The one module that knows which target the CLI talks to: real Google Cloud (Application
 * Default Credentials, the spec's project) or the local emulator. Everything else asks this
 * module for a client and never sees an endpoint.
 */
import compute from '@google-cloud/compute';
import run from '@google-cloud/run';
import redis from '@google-cloud/redis';
import sql from '@google-cloud/sql';
import vpcaccess from '@google-cloud/vpc-access';
import cloudquotas from '@google-cloud/cloudquotas';
import secretmanager from '@google-cloud/secret-manager';
import { v1 as pubsubV1 } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { GoogleAuth, PassThroughClient } from 'google-auth-library';
import { TargetError } from './target.js';
import { AggregatedListSupport, capabilitiesFor, findFrontDoorUrl, type Capabilities } from './capabilities.js';
import type { ClientOptions } from 'google-gax';
import { iam as iamApi, type iam_v1 } from '@googleapis/iam';
import type { BackoffOptions } from '../engine/retry.js';

export type Target =
  | { kind: 'gcp'; project: string }
  | { kind: 'emulator'; project: string; host: string; port: number; /** emulator latency scale, to scale our waits */ timeScale?: number };

export interface Timing {
  backoff: BackoffOptions;
  poll: { initialMs: number; maxMs: number; timeoutMs: number };
  /** How long to wait for a just-created object to become visible before re-sending. */
  consistencyWaitMs: number;
}

export function timingFor(target: Target): Timing {
  if (target.kind === 'gcp') {
    return {
      // ~15 minutes of retries in all: enough to outlast a Cloud SQL operation in progress.
      backoff: { baseMs: 1000, maxMs: 60_000, maxAttempts: 20 },
      poll: { initialMs: 2000, maxMs: 20_000, timeoutMs: 45 * 60_000 },
      consistencyWaitMs: 30_000,
    };
  }
  // The emulator runs GCP's latencies scaled down: scale our waits the same way, with floors
  // so a tiny scale still leaves room for the event loop.
  const s = target.timeScale ?? 0.01;
  return {
    backoff: { baseMs: Math.max(10, 1000 * s), maxMs: Math.max(200, 60_000 * s), maxAttempts: 20 },
    poll: { initialMs: Math.max(5, 2000 * s), maxMs: Math.max(50, 20_000 * s), timeoutMs: Math.max(60_000, 45 * 60_000 * s) },
    // Not scaled down below 10 s: the emulator's consistency delay (--consistency-delay-ms,
    // seconds like GCP's) does not follow the latency scale.
    consistencyWaitMs: Math.max(10_000, 30_000 * s),
  };
}

type IamAuth = NonNullable<iam_v1.Options['auth']>;

type Ctor<T> = new (opts?: Record<string, unknown>) => T;

export type ComputeClients = {
  [K in keyof typeof compute as K extends `${string}Client` ? K : never]: (typeof compute)[K] extends abstract new (...args: never[]) => infer T ? T : never;
};

export class Clients {
  private cache = new Map<string, unknown>();
  private auth?: GoogleAuth;
  private passThrough?: PassThroughClient;

  /** What this target can do, for code that must not ask which target it is. */
  readonly capabilities: Capabilities;
  /** Compute kinds whose endpoint refused aggregatedList (learned while listing). */
  readonly aggregatedList = new AggregatedListSupport();

  constructor(readonly target: Target) {
    this.capabilities = capabilitiesFor(target);
  }

  get project(): string {
    return this.target.project;
  }

  /**
   * The front door's base URL as the emulator's data plane reports it (GET
   * /__emulator/dataplane); undefined when it serves none, or on a target without a data plane.
   */
  async dataPlaneFrontDoor(): Promise<string | undefined> {
    if (this.target.kind !== 'emulator') return undefined;
    const res = await fetch(`http://${this.target.host}:${this.target.port}/__emulator/dataplane`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    if (!res?.ok) return undefined;
    return findFrontDoorUrl(await res.json().catch(() => undefined));
  }

  /** Options every gax client takes for this target. */
  gaxOptions(): ClientOptions {
    if (this.target.kind === 'emulator') {
      return { apiEndpoint: this.target.host, port: this.target.port, protocol: 'http', fallback: true, authClient: this.authClient() } as unknown as ClientOptions;
    }
    // REST fallback for real GCP too: one transport for both targets, and no gRPC native deps.
    return { fallback: true, projectId: this.target.project, auth: this.googleAuth() } as unknown as ClientOptions;
  }

  /**
   * Fails early, saying what to do, when Google credentials cannot be found: otherwise the
   * first API call fails deep inside a client library, and for some commands a promise the
   * library does not await crashed the process with a stack trace.
   */
  async checkCredentials(): Promise<void> {
    if (this.target.kind === 'emulator') return;
    try {
      await this.googleAuth().getClient();
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
      throw new TargetError(
        `no Google Cloud credentials for project ${this.project}: run \`gcloud auth application-default login\`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file (on GCP the attached service account is used); --local targets the local emulator instead. (${why})`,
      );
    }
  }

  private googleAuth(): GoogleAuth {
    this.auth ??= new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'], projectId: this.project });
    return this.auth;
  }

  private authClient(): PassThroughClient {
    this.passThrough ??= new PassThroughClient();
    return this.passThrough;
  }

  private memo<T>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  compute<K extends keyof ComputeClients>(name: K): ComputeClients[K] {
    return this.memo(`compute.${name}`, () => {
      const C = compute[name] as unknown as Ctor<ComputeClients[K]>;
      return new C(this.gaxOptions() as Record<string, unknown>);
    });
  }

  get run(): InstanceType<typeof run.ServicesClient> {
    return this.memo('run', () => new run.ServicesClient(this.gaxOptions()));
  }

  get redis(): InstanceType<typeof redis.CloudRedisClient> {
    return this.memo('redis', () => new redis.CloudRedisClient(this.gaxOptions()));
  }

  get vpcaccess(): InstanceType<typeof vpcaccess.VpcAccessServiceClient> {
    return this.memo('vpcaccess', () => new vpcaccess.VpcAccessServiceClient(this.gaxOptions()));
  }

  get cloudQuotas(): InstanceType<typeof cloudquotas.CloudQuotasClient> {
    return this.memo('cloudQuotas', () => new cloudquotas.CloudQuotasClient(this.gaxOptions()));
  }

  get secrets(): InstanceType<typeof secretmanager.SecretManagerServiceClient> {
    return this.memo('secrets', () => new secretmanager.SecretManagerServiceClient(this.gaxOptions()));
  }

  get sqlInstances(): InstanceType<typeof sql.SqlInstancesServiceClient> {
    return this.memo('sqlInstances', () => new sql.SqlInstancesServiceClient(this.gaxOptions()));
  }

  get sqlDatabases(): InstanceType<typeof sql.SqlDatabasesServiceClient> {
    return this.memo('sqlDatabases', () => new sql.SqlDatabasesServiceClient(this.gaxOptions()));
  }

  get sqlUsers(): InstanceType<typeof sql.SqlUsersServiceClient> {
    return this.memo('sqlUsers', () => new sql.SqlUsersServiceClient(this.gaxOptions()));
  }

  get sqlOperations(): InstanceType<typeof sql.SqlOperationsServiceClient> {
    return this.memo('sqlOperations', () => new sql.SqlOperationsServiceClient(this.gaxOptions()));
  }

  get publisher(): InstanceType<typeof pubsubV1.PublisherClient> {
    return this.memo('publisher', () => new pubsubV1.PublisherClient(this.gaxOptions()));
  }

  get subscriber(): InstanceType<typeof pubsubV1.SubscriberClient> {
    return this.memo('subscriber', () => new pubsubV1.SubscriberClient(this.gaxOptions()));
  }

  get schemas(): InstanceType<typeof pubsubV1.SchemaServiceClient> {
    return this.memo('schemas', () => new pubsubV1.SchemaServiceClient(this.gaxOptions()));
  }

  get storage(): Storage {
    return this.memo('storage', () =>
      this.target.kind === 'emulator'
        ? new Storage({ apiEndpoint: `http://${this.target.host}:${this.target.port}`, projectId: this.project, retryOptions: { autoRetry: false } })
        : new Storage({ projectId: this.project, retryOptions: { autoRetry: false } }),
    );
  }

  get iam(): iam_v1.Iam {
    return this.memo('iam', () =>
      this.target.kind === 'emulator'
        ? iamApi({ version: 'v1', rootUrl: `http://${this.target.host}:${this.target.port}/`, auth: this.authClient() as unknown as IamAuth })
        : iamApi({ version: 'v1', auth: this.googleAuth() as unknown as IamAuth }),
    );
  }

  /** Plain authenticated REST for APIs without a client library here (Service Networking). */
  async request<T>(opts: { api: 'servicenetworking' | 'cloudresourcemanager'; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; data?: unknown; params?: Record<string, string> }): Promise<T> {
    const base = this.target.kind === 'emulator' ? `http://${this.target.host}:${this.target.port}` : `https://${opts.api}.googleapis.com`;
    const url = `${base}/${opts.path.replace(/^\//, '')}`;
    const client = this.target.kind === 'emulator' ? this.authClient() : await this.googleAuth().getClient();
    const res = await client.request<T>({ url, method: opts.method, data: opts.data, params: opts.params, responseType: 'json' });
    return res.data;
  }

  /** Release sockets (tests and short-lived commands). */
  async close(): Promise<void> {
    for (const c of this.cache.values()) {
      const closable = c as { close?: () => Promise<void> };
      if (typeof closable.close === 'function') await closable.close().catch(() => undefined);
    }
    this.cache.clear();
  }
}
