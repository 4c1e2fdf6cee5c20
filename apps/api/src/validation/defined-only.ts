/**
 * The fields of a patch that were given. DTO instances declare every optional
 * field, so absent ones exist with `undefined` and would erase values when spread.
 */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
