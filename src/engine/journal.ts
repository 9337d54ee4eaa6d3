/**
 * Pending-create markers that survive a crash (Crossplane's "external-create-pending"
 * annotation, kept locally because the object may not exist yet to carry it). A marker is
 * written before a create is sent and removed once the object is observed; a marker found on
 * the next run means "the outcome is unknown: observe before re-sending, and re-use the same
 * requestId".
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruvectorHome } from '../util/home.js';

export interface PendingCreate {
  kind: string;
  requestId: string;
  startedAt: string;
}

interface JournalFile {
  version: 1;
  pending: Record<string, PendingCreate>;
}

export class Journal {
  private data: JournalFile;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as JournalFile;
      this.data = { version: 1, pending: parsed.pending ?? {} };
    } catch {
      this.data = { version: 1, pending: {} };
    }
  }

  /** One journal per topology and target, so the emulator and real GCP never mix. */
  static forTopology(topology: string, target: string, home = ruvectorHome()): Journal {
    const safe = `${topology}.${target}`.replace(/[^a-zA-Z0-9._-]/g, '_');
    return new Journal(join(home, 'journal', `${safe}.json`));
  }

  pending(name: string): PendingCreate | undefined {
    return this.data.pending[name];
  }

  all(): Record<string, PendingCreate> {
    return { ...this.data.pending };
  }

  /** Durable before it resolves: the create is sent only after this. */
  mark(name: string, p: PendingCreate): Promise<void> {
    this.data.pending[name] = p;
    return this.persist();
  }

  clear(name: string): Promise<void> {
    if (!(name in this.data.pending)) return this.chain;
    delete this.data.pending[name];
    return this.persist();
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify(this.data, null, 2);
    this.chain = this.chain.then(() => {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, snapshot);
      renameSync(tmp, this.path); // atomic: a crash leaves the old or the new file, never half
    });
    return this.chain;
  }
}
