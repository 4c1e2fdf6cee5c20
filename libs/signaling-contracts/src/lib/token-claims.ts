import type { Grants } from './domain';
import type { Role } from './moderation';

/**
 * The JWT a client presents in `authenticate`: signed by the portal's identity
 * provider (HS256 with the server's `JWT_SECRET`, or RS256/ES256 with a key from
 * `JWT_JWKS_URL`). The server checks the signature, `exp` (required to be in the
 * future), `nbf` and `iat` (not more than {@link TOKEN_CLOCK_SKEW_S} seconds in
 * the future), and `iss` / `aud` when it is configured with `JWT_ISSUER` /
 * `JWT_AUDIENCE`. A token that fails any check is answered `unauthenticated`.
 * The token never travels in a URL query string.
 */
export interface TokenClaims {
  /** Subject: the person's stable id in the portal. Required. The peer id is it when it is 1-64 of `A-Z a-z 0-9 _ . @ -`, else a hash of it. */
  sub: string;
  /** Display name shown to others (first 64 characters); defaults to `sub`. */
  name?: string;
  /** Rooms the bearer may enter; `["*"]` for any. Absent or empty: none. */
  rooms?: string[];
  /** What the bearer may do in a room; each absent grant is false. */
  grants?: Partial<Grants>;
  /**
   * Role in the rooms the token opens: `host`, `moderator`, `participant` or
   * `viewer`. Absent: `host` when `grants.roomAdmin`, else `participant`.
   */
  role?: Role;
  /**
   * Cluster placement: the region (a `NODE_REGION` label, 1-64 of `A-Z a-z 0-9 . _ -`)
   * a room this token opens first should be served in; nodes of that region are
   * preferred. Ignored on a single server and for rooms already open.
   */
  region?: string;
  /** Expiry (seconds since the epoch). */
  exp: number;
  /** Issued at (seconds since the epoch); refused when in the future beyond the allowed clock skew. */
  iat?: number;
  /** Not before (seconds since the epoch). */
  nbf?: number;
  /** Issuer; must equal `JWT_ISSUER` when the server sets it. */
  iss?: string;
  /** Audience; must include `JWT_AUDIENCE` when the server sets it. */
  aud?: string | string[];
}

/** Seconds a token's `iat` / `nbf` may lie in the future (clocks differ a little). */
export const TOKEN_CLOCK_SKEW_S = 60;
