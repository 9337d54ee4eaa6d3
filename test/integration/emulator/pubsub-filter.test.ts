import { describe, expect, it } from 'vitest';
import { EmuError } from '../../../src/emulator/core/types.js';
import { compileFilter } from '../../../src/emulator/apis/pubsub/filter.js';

describe('Pub/Sub subscription filter language', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['attributes:region', { region: 'x' }, true],
    ['attributes:region', {}, false],
    ['NOT attributes:region', {}, true],
    ['-attributes:region', { region: 'x' }, false],
    ['attributes.region = "europe-west1"', { region: 'europe-west1' }, true],
    ['attributes.region != "europe-west1"', { region: 'us-east1' }, true],
    ['attributes.region != "europe-west1"', {}, true],
    ['hasPrefix(attributes.region, "europe-")', { region: 'europe-west4' }, true],
    ['hasPrefix(attributes.region, "europe-")', {}, false],
    ['attributes.a = "1" AND attributes.b = "2"', { a: '1', b: '2' }, true],
    ['attributes.a = "1" AND attributes.b = "2"', { a: '1' }, false],
    ['attributes.a = "1" OR attributes.b = "2"', { b: '2' }, true],
    ['(attributes.a = "1" OR attributes.b = "2") AND NOT attributes:skip', { a: '1', skip: '' }, false],
    ['attributes.quoted = "say \\"hi\\""', { quoted: 'say "hi"' }, true],
  ];
  it.each(cases)('%s with %j -> %s', (src, attrs, want) => {
    expect(compileFilter(src)(attrs)).toBe(want);
  });

  it.each([
    'attributes.a = "1" AND attributes.b = "2" OR attributes:c',
    'attributes.a = 1',
    'attributes.a ==',
    'hasPrefix(attributes.a)',
    '(attributes:a',
    'labels.a = "1"',
    'attributes:a extra',
  ])('rejects %s as INVALID_ARGUMENT', (src) => {
    let err: unknown;
    try {
      compileFilter(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EmuError);
    expect((err as EmuError).grpcStatus).toBe('INVALID_ARGUMENT');
  });
});
