/**
 * The contract between the local data plane's parts (Redis, SQL, Cloud Run here; Pub/Sub
 * push and the front door in their own modules). index.ts composes parts into the one
 * `DataPlane` the emulator core sees; a part only ever talks to the host below.
 */
import type { EmuResponse, EmulatorContext } from '../core/types.js';

/** A Cloud Run service as the run part serves it locally. */
export interface LocalService {
  /** Full resource name: projects/P/locations/L/services/S. */
  name: string;
  project: string;
  location: string;
  service: string;
  /** The per-service router: stable while instances come and go (what status.uri reports). */
  uri: string;
  /** True when at least one instance of a revision with traffic passed its startup probe and is ready. */
  ready: boolean;
}

export type EnvContribution = (service: { name: string; project: string; location: string; service: string }) => Record<string, string> | undefined;

/** Extra route under /__emulator/ (e.g. the JWKS the push part signs with). `path` excludes the /__emulator prefix. */
export interface ControlRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler(req: { query: URLSearchParams; body: unknown }): Promise<EmuResponse> | EmuResponse;
}

/** What the composed data plane offers its parts. */
export interface DataPlaneHost {
  ctx: EmulatorContext;
  /** Local URI of a Cloud Run service by full resource name, once the run part serves it. */
  serviceUri(name: string): string | undefined;
  /** Same, by parts (what a serverless NEG's cloudRun.service + region names). */
  serviceUriFor(project: string, location: string, service: string): string | undefined;
  /** Every Cloud Run service the run part serves. */
  services(): LocalService[];
  /** Called whenever a local service starts, becomes ready/unready or goes away. */
  onServiceChange(listener: (s: LocalService, change: 'ready' | 'unready' | 'started' | 'stopped') => void): void;
  /** Env every Cloud Run instance also gets (merged under the revision's own env). */
  addServiceEnv(contribution: EnvContribution): void;
  /** Serve an extra /__emulator/... endpoint on the emulator's own port. */
  addControlRoute(route: ControlRoute): void;
  /** One line for the emulator log (the daemon's stdout): what started, fallbacks taken. */
  log(message: string): void;
}

/** One piece of the local data plane. */
export interface DataPlanePart {
  name: string;
  /**
   * Register what other parts read when they start (addServiceEnv, addControlRoute), and
   * nothing else. Every part's prepare runs before any part's attach: the run part starts the
   * services restored from the state dir during its attach, and their env is built from the
   * contributions registered by then.
   */
  prepare?(host: DataPlaneHost): void | Promise<void>;
  attach(host: DataPlaneHost): void | Promise<void>;
  /** Stop everything this part started: no process, port or temp file left. */
  stop(): void | Promise<void>;
  /** Emulator reset: forget the world (default: stop). The part stays attached. */
  reset?(): void | Promise<void>;
  /** Status for GET /__emulator/dataplane. */
  status?(): unknown;
}

/** The Memorystore part, as the run part needs it to fill REDIS_HOST/REDIS_PORT. */
export interface RedisResolver {
  /** Real endpoint of an instance (full name), with a key prefix when it shares the local Redis. */
  endpoint(instanceName: string): { host: string; port: number; keyPrefix?: string; password?: string } | undefined;
  /** The instance a REDIS_HOST value names: by the address the control plane gave it, or the only one in the region. */
  resolve(project: string, location: string, hostValue: string | undefined): string | undefined;
  /** True when no Redis can be had on this machine: services then run with their cache off. */
  unavailable(): boolean;
}

/** The Cloud SQL part, as the run part needs it to fill DB_HOST/DB_NAME/DB_USER. */
export interface SqlResolver {
  endpoint(instanceKey: string): { host: string; port: number } | undefined;
  /** Real database and role behind an instance's database and user (names are per instance in Cloud SQL, global in Postgres). */
  connection(instanceKey: string, database: string, user: string | undefined): { host: string; port: number; database: string; user: string } | undefined;
  /** The instance a DB_HOST value names: /cloudsql/PROJECT:REGION:INSTANCE, an instance IP, or the only one in the region. */
  resolve(project: string, location: string, hostValue: string | undefined): string | undefined;
  /** Called when an instance's real database moved (a replica promoted to its own copy): connections made before point at the old one. */
  onMoved?(listener: (instanceKey: string) => void): void;
}
