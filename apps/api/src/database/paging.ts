/** One page of a list, newest first; pass `nextCursor` back as `cursor` for the next page (null: no more). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  /** 1..200. */
  limit: number;
  /** From a previous page; absent: the newest. */
  cursor?: string;
}

/** Cursors are the row's numeric order key as a decimal string; anything else is refused by the DTOs. */
export function cursorValue(request: PageRequest): number | null {
  return request.cursor === undefined ? null : Number(request.cursor);
}

/** Builds a page from `limit + 1` rows fetched newest first. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => number, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more && kept.length ? String(key(kept[kept.length - 1])) : null };
}
