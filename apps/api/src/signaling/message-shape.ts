import { MAX_JSON_DEPTH, RESERVED_KEYS } from '@confer/signaling-contracts';

/**
 * Checks a parsed message before any other work touches it: nesting at most
 * MAX_JSON_DEPTH and no key that could reach a prototype (`__proto__`,
 * `constructor`, `prototype`) at any level. Iterative, and linear in the
 * message (whose size is bounded before parsing), so a hostile message costs no
 * more than a flat one of the same size. Returns the problem, or null.
 */
export function messageShapeProblem(message: unknown): string | null {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: message, depth: 1, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop() as { value: unknown; depth: number; path: string };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_JSON_DEPTH) return `the message is nested more than ${MAX_JSON_DEPTH} levels deep (at ${path || 'top level'})`;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1, path: `${path}[${i}]` });
      continue;
    }
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) return `${at}: "${key}" is not allowed as a key`;
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: at });
    }
  }
  return null;
}
