/**
 * Pub/Sub push subscriptions really push, as on GCP. For every subscription with a
 * pushConfig.pushEndpoint this part is a consumer of the pubsub module's delivery queue
 * (apis/pubsub/delivery.ts): it leases messages, POSTs each as the push envelope with an ID
 * token signed by the emulator's key (oidc.ts, JWKS at /__emulator/oauth2/v3/certs), acks
 * on 102/200/201/202/204 and nacks anything else (an error, a timeout at the ack deadline,
 * a refused connection, a 401). Redelivery and dead-lettering after maxDeliveryAttempts are
 * the queue's, exactly as a pull subscriber sees them.
 *
 * A rejected message is never retried at once: it waits out the subscription's retryPolicy
 * backoff (minimumBackoff doubling per attempt up to maximumBackoff; with no retryPolicy,
 * Pub/Sub's defaults 10s..600s), scaled by --latency-scale like the rest of GCP's pacing but
 * never under MIN_RETRY_MS. And a window in which nothing was acked pauses the subscription's
 * loop (Pub/Sub's push backoff), so an endpoint that rejects everything costs a few requests
 * a second, not a hot loop.
 *
 * The env and the JWKS route are registered in prepare(), before the run part starts the
 * services the state dir holds, so a restored service verifies pushes like a new one.
 *
 * Every Cloud Run instance also gets PUBSUB_JWKS_URL, where the service's push verifier finds
 * this emulator's signing keys (on GCP: Google's, the service's default). Nothing else: the
 * audience and signer it expects (PUSH_AUDIENCE, PUSH_SERVICE_ACCOUNT) are the service's own
 * env, set by the topology to its subscription's oidcToken, on GCP and here alike.
 */
import type { EmulatorContext } from '../core/types.js';
import type { Delivery } from '../apis/pubsub/delivery.js';
import { parseDuration } from '../apis/pubsub/common.js';
import { pushSubscriptions, queuesFor } from '../apis/pubsub/runtime.js';
import type { StoredSubscription } from '../apis/pubsub/model.js';
import { EmulatorOidc, JWKS_PATH } from './oidc.js';
import type { DataPlaneHost, DataPlanePart } from './types.js';

/** Status codes Pub/Sub push treats as an acknowledgement. */
const ACK_CODES = new Set([102, 200, 201, 202, 204]);
/** Messages in flight per subscription (Pub/Sub's push flow control starts small and grows; locally a fixed window). */
const WINDOW = 16;
/** How long a loop sleeps with nothing to do before re-reading its subscription. */
const IDLE_MS = 2000;
/** Pub/Sub's RetryPolicy defaults, for a push subscription without one. */
const DEFAULT_MIN_BACKOFF_S = 10;
const DEFAULT_MAX_BACKOFF_S = 600;
/** However small --latency-scale makes a backoff, a rejected message or a failing window waits at least this long. */
export const MIN_RETRY_MS = 100;
/** Pub/Sub's push backoff (the loop's pause after a window with no ack): 100 ms doubling to 60 s, scaled. */
const PUSH_BACKOFF_MAX_S = 60;

/** A retryPolicy's bounds in seconds (Pub/Sub's defaults for what is unset or unreadable). */
function policyBounds(p: StoredSubscription['retryPolicy']): { min: number; max: number } {
  const read = (v: string | undefined, fallback: number) => {
    try {
      return parseDuration(v, 'retryPolicy') ?? fallback;
    } catch {
      return fallback;
    }
  };
  const min = read(p?.minimumBackoff, DEFAULT_MIN_BACKOFF_S);
  return { min, max: Math.max(min, read(p?.maximumBackoff, DEFAULT_MAX_BACKOFF_S)) };
}

/** Exponential backoff before delivery attempt `attempt + 1`, in unscaled ms. */
function backoffFor(bounds: { min: number; max: number }, attempt: number): number {
  return Math.min(bounds.max, bounds.min * 2 ** Math.max(0, attempt - 1)) * 1000;
}

/**
 * How long a message rejected on delivery attempt `attempt` waits before the next one (ms):
 * the subscription's retry backoff (Pub/Sub's defaults without a retryPolicy) times the
 * latency scale, and never under MIN_RETRY_MS.
 */
export function retryDelayMs(policy: StoredSubscription['retryPolicy'], attempt: number, latencyScale: number): number {
  return Math.max(MIN_RETRY_MS, backoffFor(policyBounds(policy), attempt) * latencyScale);
}

/** The attempt a delivery is: deliveryAttempt when the subscription dead-letters, else what the queue's ack ID carries (messageId:attempt:nonce). */
function attemptOf(d: Delivery): number {
  if (d.deliveryAttempt !== undefined) return d.deliveryAttempt;
  const m = /^\d+:(\d+):/.exec(Buffer.from(d.ackId, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : 1;
}

export interface PushStats {
  delivered: number;
  acked: number;
  nacked: number;
  /** Windows in a row with no ack (the loop pauses after each, longer every time). */
  failingWindows: number;
  lastStatus?: number;
  lastError?: string;
}

interface Loop {
  stop: AbortController;
  done: Promise<void>;
  stats: PushStats;
}

export interface PushPartOptions {
  /** Where the signing key lives (default: the emulator's data dir). */
  keyFile?: string;
}

export function createPushPart(opts: PushPartOptions = {}): DataPlanePart & { oidc(): EmulatorOidc | undefined } {
  const loops = new Map<string, Loop>();
  let host: DataPlaneHost | undefined;
  let oidc: EmulatorOidc | undefined;
  let scanTimer: NodeJS.Timeout | undefined;
  let offAvailable: (() => void) | undefined;
  /** The host prepare() registered with (once per host). */
  let prepared: DataPlaneHost | undefined;

  const ctx = (): EmulatorContext => host!.ctx;

  /** Start a loop for every push subscription, stop the ones that no longer push. */
  function sync(): void {
    if (!host) return;
    const wanted = new Set(pushSubscriptions(ctx()).map((s) => s.name));
    for (const name of wanted) if (!loops.has(name)) loops.set(name, startLoop(name));
    for (const [name, loop] of loops) {
      if (!wanted.has(name)) {
        loop.stop.abort();
        loops.delete(name);
      }
    }
  }

  function current(name: string): StoredSubscription | undefined {
    return pushSubscriptions(ctx()).find((s) => s.name === name);
  }

  function startLoop(name: string): Loop {
    const stop = new AbortController();
    const stats: PushStats = { delivered: 0, acked: 0, nacked: 0, failingWindows: 0 };
    const done = (async () => {
      const q = queuesFor(ctx());
      const stopped = aborted(stop.signal);
      while (!stop.signal.aborted) {
        const sub = current(name);
        if (!sub) return;
        let batch: Delivery[];
        try {
          batch = q.lease(name, WINDOW);
        } catch {
          return; // deleted between the read and the lease
        }
        if (batch.length === 0) {
          await Promise.race([q.waitForWork(name, Date.now() + IDLE_MS), stopped]);
          continue;
        }
        const acked = (await Promise.all(batch.map((d) => deliver(sub, d, stop.signal, stats)))).some(Boolean);
        if (acked) {
          stats.failingWindows = 0;
          continue;
        }
        // Nothing in the window was accepted: Pub/Sub's push backoff holds the whole subscription.
        stats.failingWindows += 1;
        const pause = Math.max(MIN_RETRY_MS, Math.min(PUSH_BACKOFF_MAX_S * 1000, MIN_RETRY_MS * 2 ** (stats.failingWindows - 1)) * ctx().latencyScale);
        await Promise.race([new Promise((r) => setTimeout(r, pause).unref()), stopped]);
      }
    })().catch((e: unknown) => host?.log(`push ${name}: loop failed: ${e instanceof Error ? e.message : String(e)}`));
    return { stop, done, stats };
  }

  /** POSTs one delivery; true when the endpoint acknowledged it. */
  async function deliver(sub: StoredSubscription, d: Delivery, signal: AbortSignal, stats: PushStats): Promise<boolean> {
    const q = queuesFor(ctx());
    const endpoint = localEndpoint(sub.pushConfig.pushEndpoint!);
    const req = await buildRequest(sub, d);
    stats.delivered += 1;
    let status: number | undefined;
    try {
      const timeout = AbortSignal.timeout(sub.ackDeadlineSeconds * 1000);
      const res = await fetch(endpoint, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.any([signal, timeout]), redirect: 'manual' });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      stats.lastStatus = status;
    } catch (e) {
      stats.lastError = e instanceof Error ? e.message : String(e);
    }
    if (signal.aborted) return false; // stopping: the lease runs out and the message stays queued
    const ok = status !== undefined && ACK_CODES.has(status);
    try {
      if (ok) {
        q.ack(sub.name, [d.ackId]);
        stats.acked += 1;
      } else {
        // Held for the retry backoff, then deliverable again. The queue adds its own backoff
        // after the hold when the subscription has a retryPolicy (the same exponential one,
        // scaled): hold only for what it does not cover.
        const attempt = attemptOf(d);
        const wait = retryDelayMs(sub.retryPolicy, attempt, ctx().latencyScale);
        const queueWait = sub.retryPolicy ? backoffFor(policyBounds(sub.retryPolicy), attempt) * ctx().latencyScale : 0;
        q.modifyDeadline(sub.name, [d.ackId], Math.max(0, wait - queueWait) / 1000);
        stats.nacked += 1;
      }
    } catch {
      /* the subscription went away meanwhile */
    }
    return ok;
  }

  /** The envelope (or, with noWrapper, the bare payload) and headers for one delivery. */
  async function buildRequest(sub: StoredSubscription, d: Delivery): Promise<{ headers: Record<string, string>; body: string | Buffer }> {
    const pc = sub.pushConfig;
    const headers: Record<string, string> = { 'User-Agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)' };
    if (pc.oidcToken?.serviceAccountEmail && oidc) {
      // Pub/Sub's default audience is the endpoint URL as configured (with its query string).
      const audience = pc.oidcToken.audience || pc.pushEndpoint!;
      headers.Authorization = `Bearer ${await oidc.idToken({ audience, email: pc.oidcToken.serviceAccountEmail })}`;
    }
    const m = d.message;
    if (pc.noWrapper) {
      headers['Content-Type'] = 'application/octet-stream';
      if (pc.noWrapper.writeMetadata) {
        headers['x-goog-pubsub-subscription-name'] = sub.name;
        headers['x-goog-pubsub-message-id'] = m.messageId;
        headers['x-goog-pubsub-publish-time'] = m.publishTime;
        if (m.orderingKey) headers['x-goog-pubsub-ordering-key'] = m.orderingKey;
        for (const [k, v] of Object.entries(m.attributes ?? {})) headers[k] = v;
      }
      return { headers, body: Buffer.from(m.data ?? '', 'base64') };
    }
    headers['Content-Type'] = 'application/json';
    const message = {
      ...(m.attributes ? { attributes: m.attributes } : {}),
      ...(m.data !== undefined ? { data: m.data } : {}),
      messageId: m.messageId,
      message_id: m.messageId,
      publishTime: m.publishTime,
      publish_time: m.publishTime,
      ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
    };
    return { headers, body: JSON.stringify({ message, subscription: sub.name, ...(d.deliveryAttempt !== undefined ? { deliveryAttempt: d.deliveryAttempt } : {}) }) };
  }

  /**
   * An endpoint naming a Cloud Run service by the address the control plane first gave it
   * (https://NAME-HASH.a.run.app) goes to the service's local router instead.
   */
  function localEndpoint(endpoint: string): string {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return endpoint;
    }
    if (!url.hostname.endsWith('.run.app') || !host) return endpoint;
    for (const s of ctx().store.collection<{ name: string; uri?: string; urls?: string[] }>('run.services').peekAll()) {
      const known = [s.uri, ...(s.urls ?? [])].filter((u): u is string => !!u).map((u) => new URL(u).host);
      const local = known.includes(url.host) ? host.serviceUri(s.name) : undefined;
      if (local) return `${local.replace(/\/$/, '')}${url.pathname}${url.search}`;
    }
    return endpoint;
  }

  async function stopLoops(): Promise<void> {
    const all = [...loops.values()];
    loops.clear();
    for (const l of all) l.stop.abort();
    await Promise.all(all.map((l) => l.done));
  }

  /** The JWKS route and the env every Cloud Run instance gets: before any service starts. */
  async function prepare(h: DataPlaneHost): Promise<void> {
    if (prepared === h) return;
    prepared = h;
    host = h;
    oidc = await EmulatorOidc.open(opts.keyFile ?? EmulatorOidc.keyFileIn(h.ctx.dataDir));
    h.addControlRoute(oidc.route());
    h.addServiceEnv(() => ({ PUBSUB_JWKS_URL: `${h.ctx.baseUrl()}/__emulator${JWKS_PATH}` }));
  }

  return {
    name: 'pubsub-push',
    oidc: () => oidc,
    prepare,
    async attach(h) {
      await prepare(h); // a no-op when the data plane ran it already
      host = h;
      h.ctx.events.on('resource.changed', (e) => {
        if (e.api === 'pubsub' && e.kind === 'subscription') sync();
      });
      // A subscription created with no event (restored from the state dir) or a message queued
      // for a subscription this part has not seen yet.
      offAvailable = queuesFor(h.ctx).onAvailable((s) => {
        if (!loops.has(s)) sync();
      });
      scanTimer = setInterval(sync, IDLE_MS);
      scanTimer.unref();
      sync();
    },
    async reset() {
      await stopLoops();
    },
    async stop() {
      if (scanTimer) clearInterval(scanTimer);
      scanTimer = undefined;
      offAvailable?.();
      offAvailable = undefined;
      await stopLoops();
      host = undefined;
    },
    status() {
      return { subscriptions: Object.fromEntries([...loops].map(([n, l]) => [n, l.stats])) };
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
