/**
 * An error in the cost model's input (spec, usage, price table) that names the field at
 * fault, so the CLI can print one clear line instead of a stack trace.
 */
export class CostError extends Error {
  readonly exitCode = 2;
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'CostError';
  }
}
