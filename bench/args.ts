/** The benchmarks' command-line options: `--name value` pairs after the script's name. */
const args = process.argv.slice(2);

/** The value after `name`, or undefined when it is not given. */
export const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** A positive whole number given as `name`, else `fallback`; anything else is an error naming it. */
export const positiveInt = (name: string, fallback: number): number => {
  const v = opt(name);
  const n = v === undefined ? fallback : Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${name}: expected a positive integer, got ${v}`);
  return n;
};

/** Whether the flag `name` is given. */
export const flag = (name: string): boolean => args.includes(name);
