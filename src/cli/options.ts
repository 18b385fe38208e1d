/** Option parsers that reject bad values with a message naming what was expected. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${v}'`);
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}

export function probability(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a number in [0, 1), got '${v}'`);
  return n;
}

export function list(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `out.safetensors` → `out` (the stem pictures are named after). */
export function stem(path: string): string {
  return path.replace(/\.safetensors$/i, '');
}
