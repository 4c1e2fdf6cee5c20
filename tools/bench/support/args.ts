/** Minimal `--name value` / `--flag` parsing for the benchmark scripts. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [name, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) out.set(name, inline);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out.set(name, argv[++i]);
    else out.set(name, 'true');
  }
  return out;
}

/** A comma-separated list of positive integers, e.g. `10,100,500`. */
export function intList(value: string | undefined, fallback: number[]): number[] {
  if (!value) return fallback;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new TypeError(`not a list of positive integers: ${value}`);
  return list;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
