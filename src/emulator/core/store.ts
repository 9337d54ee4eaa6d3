import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection, Store } from './types.js';

interface Entry {
  value: unknown;
  /** Epoch ms from which get/list see it (eventual consistency); 0 = always. */
  visibleAt: number;
}

interface StateFile {
  version: 1;
  savedAt: string;
  collections: Record<string, [key: string, value: unknown, visibleAt: number][]>;
}

export interface StoreOptions {
  /** Directory holding state.json; undefined keeps the world in memory only. */
  stateDir?: string;
  /** Upper bound of the seeded delay before an inserted resource becomes visible. */
  consistencyDelayMs: number;
  random: () => number;
  /** Debounce for writes to disk. */
  saveDebounceMs?: number;
}

const STATE_FILE = 'state.json';

/**
 * Every collection lives in one Map, persisted as one JSON file (atomic rename) a short
 * debounce after each write, so a restart with the same --state dir restores the world.
 * Values are cloned in and out: a handler that mutates what it read cannot change
 * stored state without a put, just as with a real API.
 */
export class FileStore implements Store {
  private readonly data = new Map<string, Map<string, Entry>>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly opts: StoreOptions) {}

  get consistencyDelayMs(): number {
    return this.opts.consistencyDelayMs;
  }

  set consistencyDelayMs(ms: number) {
    this.opts.consistencyDelayMs = ms;
  }

  async load(): Promise<void> {
    if (!this.opts.stateDir) return;
    await mkdir(this.opts.stateDir, { recursive: true });
    const file = join(this.opts.stateDir, STATE_FILE);
    if (!existsSync(file)) return;
    const parsed = JSON.parse(await readFile(file, 'utf8')) as StateFile;
    for (const m of this.data.values()) m.clear();
    for (const [name, entries] of Object.entries(parsed.collections ?? {})) {
      let m = this.data.get(name);
      if (!m) {
        m = new Map<string, Entry>();
        this.data.set(name, m);
      }
      for (const [key, value, visibleAt] of entries) m.set(key, { value, visibleAt });
    }
  }

  collection<T>(name: string): Collection<T> {
    let m = this.data.get(name);
    if (!m) {
      m = new Map();
      this.data.set(name, m);
    }
    return new MapCollection<T>(m, this);
  }

  /** Names of all collections that hold something (for the debug endpoints). */
  names(): string[] {
    return [...this.data.entries()].filter(([, m]) => m.size > 0).map(([n]) => n).sort();
  }

  clear(): void {
    // Modules hold Collection handles over these maps: empty them, never replace them.
    for (const m of this.data.values()) m.clear();
    this.markDirty();
  }

  /**
   * Delay for a fresh insert: uniform in [consistencyDelayMs/2, consistencyDelayMs), from the
   * seeded stream. The floor keeps "briefly invisible" from collapsing to nothing on a draw near 0.
   */
  nextVisibility(): number {
    const d = this.opts.consistencyDelayMs;
    return d > 0 ? Date.now() + Math.floor(d / 2 + (this.opts.random() * d) / 2) : 0;
  }

  markDirty(): void {
    if (!this.opts.stateDir) return;
    this.dirty = true;
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.flush();
    }, this.opts.saveDebounceMs ?? 50);
    this.saveTimer.unref();
  }

  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    // Chain saves so two flushes never interleave their renames.
    this.saving = this.saving.then(() => this.writeNow());
    return this.saving;
  }

  private async writeNow(): Promise<void> {
    const dir = this.opts.stateDir;
    if (!dir || !this.dirty) return;
    this.dirty = false;
    const state: StateFile = { version: 1, savedAt: new Date().toISOString(), collections: {} };
    for (const [name, m] of this.data) {
      if (m.size === 0) continue;
      state.collections[name] = [...m.entries()].map(([k, e]) => [k, e.value, e.visibleAt]);
    }
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, join(dir, STATE_FILE));
  }
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

class MapCollection<T> implements Collection<T> {
  constructor(
    private readonly m: Map<string, Entry>,
    private readonly store: FileStore,
  ) {}

  private visible(e: Entry | undefined): boolean {
    return !!e && (e.visibleAt === 0 || e.visibleAt <= Date.now());
  }

  get(key: string): T | undefined {
    const e = this.m.get(key);
    return this.visible(e) ? clone(e!.value as T) : undefined;
  }

  peek(key: string): T | undefined {
    return clone(this.m.get(key)?.value as T | undefined);
  }

  private entries(prefix: string | undefined, onlyVisible: boolean): T[] {
    const keys = [...this.m.keys()].filter((k) => !prefix || k.startsWith(prefix)).sort();
    const out: T[] = [];
    for (const k of keys) {
      const e = this.m.get(k)!;
      if (!onlyVisible || this.visible(e)) out.push(clone(e.value as T));
    }
    return out;
  }

  list(prefix?: string): T[] {
    return this.entries(prefix, true);
  }

  peekAll(prefix?: string): T[] {
    return this.entries(prefix, false);
  }

  insert(key: string, value: T): void {
    this.m.set(key, { value: clone(value), visibleAt: this.store.nextVisibility() });
    this.store.markDirty();
  }

  put(key: string, value: T): void {
    // An update does not make a still-invisible insert visible any earlier.
    const pending = this.m.get(key)?.visibleAt ?? 0;
    this.m.set(key, { value: clone(value), visibleAt: pending > Date.now() ? pending : 0 });
    this.store.markDirty();
  }

  delete(key: string): boolean {
    const had = this.m.delete(key);
    if (had) this.store.markDirty();
    return had;
  }

  has(key: string): boolean {
    return this.m.has(key);
  }
}
