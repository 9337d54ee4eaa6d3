import { createPrng } from './prng.js';
import { EmuError } from './types.js';

export interface FaultConfig {
  /** Fraction of API calls answered with 429 or 503 (half each). */
  rate: number;
  /** Fraction of API calls held back by `delayMs` before they are served. */
  delayRate: number;
  delayMs: number;
  seed: number;
}

export interface FaultDecision {
  error?: EmuError;
  delayMs: number;
  label?: string;
}

/**
 * Seeded fault draws from their own PRNG stream, three draws per call whatever the
 * outcome, so the same sequence of calls meets the same faults on every run.
 */
export class FaultInjector {
  private next: () => number;

  constructor(public config: FaultConfig) {
    this.next = createPrng(config.seed ^ 0x5bd1e995);
  }

  configure(c: Partial<FaultConfig>): void {
    const given = Object.fromEntries(Object.entries(c).filter(([, v]) => typeof v === 'number')) as Partial<FaultConfig>;
    this.config = { ...this.config, ...given };
    if (c.seed !== undefined || c.rate !== undefined || c.delayRate !== undefined) this.next = createPrng(this.config.seed ^ 0x5bd1e995);
  }

  reseed(): void {
    this.next = createPrng(this.config.seed ^ 0x5bd1e995);
  }

  decide(): FaultDecision {
    const [a, b, c] = [this.next(), this.next(), this.next()];
    const delayMs = c < this.config.delayRate ? this.config.delayMs : 0;
    if (a < this.config.rate) {
      const error =
        b < 0.5
          ? new EmuError(429, 'RESOURCE_EXHAUSTED', 'Rate Limit Exceeded (injected fault)', 'rateLimitExceeded', {
              domain: 'usageLimits',
              metadata: { injected: 'true' },
            })
          : new EmuError(503, 'UNAVAILABLE', 'The service is currently unavailable (injected fault).', 'backendError', {
              metadata: { injected: 'true' },
            });
      return { error, delayMs, label: String(error.httpStatus) };
    }
    return { delayMs, label: delayMs > 0 ? 'delay' : undefined };
  }
}
