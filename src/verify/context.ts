import type { Session } from '../engine/session.js';
import type { FrontDoor } from './frontdoor.js';
import type { Live } from './live.js';

export interface VerifyOptions {
  /** Searches per region for the latency check (0 = skip). */
  samples: number;
  /** Per-check budget. */
  timeoutMs: number;
  /** Include the drift check (a full plan). */
  drift: boolean;
  /** Write key for the latency probe collection when a region has none to search. */
  apiKey?: string;
}

export interface VerifyContext {
  session: Session;
  live: Live;
  opts: VerifyOptions;
  frontDoor(): Promise<FrontDoor | undefined>;
}
