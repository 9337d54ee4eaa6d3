/** Number formatting shared by the lines' descriptions, the flags and the renderers. */
export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** Dollars: cents below $100, whole dollars above. */
export const money = (n: number): string => {
  const abs = Math.abs(n);
  const s = abs.toLocaleString('en-US', abs < 100 ? { minimumFractionDigits: 2, maximumFractionDigits: 2 } : { maximumFractionDigits: 0 });
  return `${n < 0 ? '-' : ''}$${s}`;
};
