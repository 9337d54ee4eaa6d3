import { describe, expect, it } from 'vitest';
import { cpuCores, memoryBytes, memoryGiB, memoryMiB, QuantityError, quantityValue } from '../../../src/util/quantity.js';

describe('Kubernetes quantities', () => {
  it('reads CPU in cores', () => {
    expect(cpuCores('4')).toBe(4);
    expect(cpuCores('0.5')).toBe(0.5);
    expect(cpuCores('500m')).toBe(0.5);
    expect(cpuCores('1000m')).toBe(1);
    expect(cpuCores('300m')).toBe(0.3);
    expect(cpuCores(' 2 ')).toBe(2);
    expect(cpuCores('.5')).toBe(0.5);
    expect(cpuCores('1e-3')).toBe(0.001);
    expect(() => cpuCores('1e3m')).toThrow(QuantityError); // an exponent is the whole suffix
  });

  it('tells binary (Ki, Mi, Gi) from decimal (k, M, G) memory suffixes', () => {
    expect(memoryGiB('16Gi')).toBe(16);
    expect(memoryGiB('512Mi')).toBe(0.5);
    expect(memoryMiB('1Gi')).toBe(1024);
    expect(memoryBytes('2G')).toBe(2e9);
    expect(memoryGiB('2G')).toBeCloseTo(1.8626, 4);
    expect(memoryMiB('1G')).toBeCloseTo(953.67, 2);
    expect(memoryBytes('1k')).toBe(1000);
    expect(memoryBytes('1Ki')).toBe(1024);
    expect(memoryBytes('128974848')).toBe(128974848);
    expect(memoryBytes('129e6')).toBe(129e6);
    expect(memoryBytes('123Mi')).toBe(123 * 2 ** 20);
  });

  it('refuses what is not a quantity, saying what it read', () => {
    for (const bad of ['', 'lots', '1K', '1GB', '1 Gi', '1.2.3', 'Mi', '1gi', '--1']) {
      expect(quantityValue(bad), bad).toBeUndefined();
      expect(() => memoryBytes(bad), bad).toThrow(QuantityError);
    }
    expect(() => cpuCores('two')).toThrow('cannot read CPU "two" (a Kubernetes quantity, e.g. "4", "0.5" or "1000m")');
    expect(() => memoryGiB('16GB')).toThrow('cannot read memory "16GB"');
    expect(() => cpuCores('-1')).toThrow('CPU "-1" is negative');
  });
});
