/**
 * Processes the data plane started, written down in the state dir, so that an emulator
 * that died without stopping them (kill -9, a crash) reaps them on its next start instead
 * of leaving Redis servers and service processes running forever.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Entry {
  pid: number;
  /** A word its command line must contain, so a recycled pid is never killed by mistake. */
  tag: string;
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

export class ChildLedger {
  private readonly entries = new Map<number, Entry>();
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'dataplane-children.json');
  }

  /** Kill what a previous run left behind; returns how many were reaped. */
  reapLeftovers(): number {
    let old: Entry[] = [];
    try {
      old = JSON.parse(readFileSync(this.file, 'utf8')) as Entry[];
    } catch {
      return 0;
    }
    let n = 0;
    for (const e of old) {
      const cmd = commandLine(e.pid);
      if (!cmd || !cmd.includes(e.tag)) continue;
      try {
        // Each child leads its own process group: take the group (a service's workers too).
        process.kill(-e.pid, 'SIGKILL');
        n++;
      } catch {
        try {
          process.kill(e.pid, 'SIGKILL');
          n++;
        } catch {
          /* gone meanwhile */
        }
      }
    }
    this.save();
    return n;
  }

  add(pid: number, tag: string): void {
    if (pid <= 0) return;
    this.entries.set(pid, { pid, tag });
    this.save();
  }

  remove(pid: number): void {
    if (this.entries.delete(pid)) this.save();
  }

  private save(): void {
    try {
      writeFileSync(this.file, JSON.stringify([...this.entries.values()]));
    } catch {
      /* the data dir went away (an in-memory world closing): nothing to remember */
    }
  }
}
