import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordPath } from '../../../src/emulator/discovery.js';
import { Journal } from '../../../src/engine/journal.js';
import { ruvectorHome } from '../../../src/util/home.js';

const saved = process.env.RUVECTOR_HOME;
afterEach(() => {
  if (saved === undefined) delete process.env.RUVECTOR_HOME;
  else process.env.RUVECTOR_HOME = saved;
});

describe('the ruvector home directory', () => {
  const fallback = join(homedir(), '.ruvector');

  it('is $RUVECTOR_HOME when set, ~/.ruvector when unset or empty', () => {
    expect(ruvectorHome({ RUVECTOR_HOME: '/srv/rv' })).toBe('/srv/rv');
    expect(ruvectorHome({})).toBe(fallback);
    expect(ruvectorHome({ RUVECTOR_HOME: '' })).toBe(fallback);
  });

  it('is the same place for the journal and the emulator record when RUVECTOR_HOME is empty', () => {
    process.env.RUVECTOR_HOME = '';
    // Before one rule, the journal took "" as a home and wrote journal/… under the current directory.
    expect(Journal.forTopology('t', 'emulator-p').path).toBe(join(fallback, 'journal', 't.emulator-p.json'));
    expect(recordPath()).toBe(join(fallback, 'emulator.json'));
    process.env.RUVECTOR_HOME = '/srv/rv';
    expect(Journal.forTopology('t', 'emulator-p').path).toBe('/srv/rv/journal/t.emulator-p.json');
    expect(recordPath()).toBe('/srv/rv/emulator.json');
  });
});
