/**
 * The end of `ruvector deploy --local`: wait until every region's service is serving in the
 * emulator's data plane and the front door is listening, then tell the user where it is and
 * what to try. The emulator answers both questions on its control endpoints
 * (/__emulator/dataplane, /__emulator/frontdoor), so this works the same whether the
 * daemon was started by this deploy or was already running.
 */
import { UserError } from '../cli/base-command.js';
import { allRegions, type Spec } from '../spec/index.js';
import { resolveTarget } from '../gcp/target.js';
import { writeKeySecret } from '../spec/write-key.js';

export interface LocalRegion {
  region: string;
  service: string;
  /** The region's Cloud Run service, locally (its router). */
  uri: string;
  ready: boolean;
}

export interface LocalWorld {
  frontDoor: string;
  emulator: string;
  regions: LocalRegion[];
  /** What to try first, as shell commands. */
  try: string[];
}

export class LocalWorldError extends UserError {
  constructor(
    message: string,
    /** What does serve, when some regions failed for good. */
    readonly partial?: LocalWorld & { failed: string[] },
  ) {
    super(message);
  }
}

interface DataPlaneStatus {
  services?: { name: string; project: string; location: string; service: string; uri: string; ready: boolean }[];
  parts?: { run?: { services?: { name: string; revisions?: { name: string; failed?: string }[] }[] } };
}

interface FrontDoorStatus {
  url?: string;
  listeners?: { project: string; protocol: string; url: string; serves?: boolean }[];
}

export interface WaitOptions {
  /** Regions to wait for (default: every region of the spec). */
  regions?: string[];
  timeoutMs?: number;
  pollMs?: number;
  /** How long every pending region may show a failed revision before waiting stops (default 15 s; a revision can recover when what it lacked appears). */
  failedGraceMs?: number;
  /** Called when waiting starts, so a terminal is not silent for long. */
  onWaiting?: (pending: string[]) => void;
}

/** Polls the emulator until each region's service is ready and the front door listens. */
export async function waitForLocalWorld(emulatorUrl: string, spec: Spec, o: WaitOptions = {}): Promise<LocalWorld> {
  const regions = o.regions?.length ? o.regions : allRegions(spec);
  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  let told = false;
  let pending: string[] = regions;
  let lastProblem = '';
  let allFailedSince: number | undefined;
  for (;;) {
    try {
      const dp = await getJson<DataPlaneStatus>(`${emulatorUrl}/__emulator/dataplane`);
      const fd = await getJson<FrontDoorStatus>(`${emulatorUrl}/__emulator/frontdoor`).catch(() => undefined);
      const mine = (dp.services ?? []).filter((s) => s.project === spec.project && regions.includes(s.location) && s.service === spec.service.name);
      const found: LocalRegion[] = regions.flatMap((r) => {
        const s = mine.find((x) => x.location === r);
        return s ? [{ region: r, service: s.service, uri: s.uri, ready: s.ready }] : [];
      });
      pending = regions.filter((r) => !found.some((f) => f.region === r && f.ready));
      const door = frontDoorOf(fd, spec.project);
      if (pending.length === 0 && door) return { frontDoor: door, emulator: emulatorUrl, regions: found, try: tryCommands(door, writeKeyFrom(emulatorUrl, spec)) };
      lastProblem = pending.length ? `not ready: ${pending.map((r) => withReason(dp, spec, r)).join('; ')}` : 'the front door is not listening yet';
      const failed = pending.filter((r) => failureOf(dp, spec, r) !== undefined);
      allFailedSince = pending.length && door && failed.length === pending.length ? (allFailedSince ?? Date.now()) : undefined;
      if (allFailedSince !== undefined && Date.now() - allFailedSince >= (o.failedGraceMs ?? 15_000)) {
        const serving = found.filter((f) => f.ready);
        throw new LocalWorldError(`deployed, but ${failed.map((r) => withReason(dp, spec, r)).join('; ')} cannot serve`, {
          frontDoor: door!,
          emulator: emulatorUrl,
          regions: serving,
          try: tryCommands(door!, writeKeyFrom(emulatorUrl, spec)),
          failed,
        });
      }
    } catch (e) {
      if (e instanceof LocalWorldError) throw e;
      lastProblem = e instanceof Error ? e.message : String(e);
      if (/dataplane: HTTP 404$/.test(lastProblem)) throw new LocalWorldError('the emulator runs without its data plane (started with --no-data-plane?): nothing serves the deployed services locally');
    }
    if (!told) {
      o.onWaiting?.(pending);
      told = true;
    }
    if (Date.now() > deadline) {
      throw new LocalWorldError(`deployed, but the local world is not serving after ${Math.round((o.timeoutMs ?? 180_000) / 1000)} s (${lastProblem}); see \`ruvector emulator status\` and the emulator log`);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
}

/** A pending region, with why its revision cannot serve when the run data plane knows. */
function withReason(dp: DataPlaneStatus, spec: Spec, region: string): string {
  const failed = failureOf(dp, spec, region);
  return failed ? `${region} (${failed.length > 400 ? `${failed.slice(0, 400)}...` : failed})` : region;
}

function failureOf(dp: DataPlaneStatus, spec: Spec, region: string): string | undefined {
  const name = `projects/${spec.project}/locations/${region}/services/${spec.service.name}`;
  return dp.parts?.run?.services?.find((s) => s.name === name)?.revisions?.find((r) => r.failed)?.failed;
}

function frontDoorOf(fd: FrontDoorStatus | undefined, project: string): string | undefined {
  // A redirect-only rule (HTTP -> HTTPS) is not the front door; wait for the one that serves.
  const mine = (fd?.listeners ?? []).filter((l) => l.project === project && l.serves !== false);
  return (mine.find((l) => l.protocol === 'HTTPS') ?? mine[0])?.url;
}

/** The write key's Secret Manager access URL on the emulator, when the spec gives the service one. */
function writeKeyFrom(emulatorUrl: string, spec: Spec): string | undefined {
  const secret = writeKeySecret(spec);
  return secret ? `${emulatorUrl}/v1/projects/${spec.project}/secrets/${secret}/versions/latest:access` : undefined;
}

/**
 * First things to try against the front door: health, a region-routed read, a CDN-cacheable
 * search, and — when the service has a write key — how to read it from (local) Secret
 * Manager and create a collection. The key itself is never printed.
 */
export function tryCommands(door: string, writeKeyUrl?: string): string[] {
  const lines = [
    `curl -s ${door}/health/ready`,
    `curl -s -H 'X-Client-Region: eu' ${door}/api/v1/collections`,
    `curl -s -D - -o /dev/null '${door}/api/v1/search?collection=default&query_vector_id=1&k=5&metric=cosine'   # twice: X-Cache: HIT`,
  ];
  if (writeKeyUrl) {
    lines.push(
      `KEY=$(curl -s ${writeKeyUrl} | node -pe 'Buffer.from(JSON.parse(require("fs").readFileSync(0)).payload.data, "base64").toString()')`,
      `curl -s -H "api-key: $KEY" -H 'content-type: application/json' -d '{"name":"docs","dimension":3,"metric":"cosine"}' ${door}/api/v1/collections`,
    );
  }
  return lines;
}

export function renderLocalWorld(w: LocalWorld & { failed?: string[] }): string {
  const width = Math.max(...w.regions.map((r) => r.region.length));
  return [
    '',
    `Local world ${w.failed?.length ? 'partly ' : ''}ready: ${w.regions.length} region${w.regions.length === 1 ? '' : 's'} serving${w.failed?.length ? `; not serving: ${w.failed.join(', ')}` : ''}.`,
    ...w.regions.map((r) => `  ${r.region.padEnd(width)}  ${r.uri}`),
    '',
    `Front door (the global load balancer, locally): ${w.frontDoor}`,
    '',
    'Try:',
    ...w.try.map((c) => `  ${c}`),
    '',
  ].join('\n');
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * What `deploy --local` calls once the plan is applied (or nothing needed changing): finds
 * the emulator the deploy used, waits for the world, prints it (one NDJSON event with --json).
 */
export async function showLocalWorld(o: { spec: Spec; regions?: string[]; json: boolean; log: (line: string) => void; timeoutMs?: number }): Promise<LocalWorld | undefined> {
  const target = await resolveTarget({ local: true, project: o.spec.project, start: false });
  if (target.kind !== 'emulator') throw new LocalWorldError('--local did not resolve to the emulator');
  const url = `http://${target.host}:${target.port}`;
  const health = await getJson<{ dataPlane?: boolean }>(`${url}/__emulator/health`);
  if (health.dataPlane === false) {
    o.log(o.json ? JSON.stringify({ event: 'local-ready', dataPlane: false }) : 'The emulator runs without its data plane (--no-data-plane): the resources are recorded, nothing serves them. Restart it with `ruvector emulator stop && ruvector emulator start` for a world you can curl.');
    return undefined;
  }
  let world: LocalWorld;
  try {
    world = await waitForLocalWorld(url, o.spec, {
      regions: o.regions,
      timeoutMs: o.timeoutMs,
      onWaiting: (pending) => {
        if (!o.json && pending.length) o.log(`Waiting for ${pending.join(', ')} to serve...`);
      },
    });
  } catch (e) {
    // Some regions failed for good: still show what serves, then fail the command.
    if (e instanceof LocalWorldError && e.partial && e.partial.regions.length) {
      o.log(o.json ? JSON.stringify({ event: 'local-partial', ...e.partial }) : renderLocalWorld(e.partial));
    }
    throw e;
  }
  o.log(o.json ? JSON.stringify({ event: 'local-ready', ...world }) : renderLocalWorld(world));
  return world;
}
