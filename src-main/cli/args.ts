/** What every CLI command shares: its parsed options, its IO, and the checks on option values. */

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
}

/** A mistake in how the command was called (exit code 2, usage printed). */
export class UsageError extends Error {}

/** `--json` output: exactly one JSON object on one line of stdout. */
export function printJson(io: CliIO, obj: unknown): void {
  io.stdout.write(JSON.stringify(obj) + '\n');
}

export function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** A number option (an integer with `integer`, at least `min` if given), or undefined when it is absent. */
export function num(values: Values, name: string, integer: boolean, min?: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (
    typeof v !== 'string' ||
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    (min !== undefined && n < min)
  )
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'}${min === undefined ? '' : ` >= ${min}`}, got ${JSON.stringify(v)}`,
    );
  return n;
}
