import type { Grants, Role } from '@confer/signaling-contracts';

/** The verified identity behind a connection, as the identity mapper made it from the token's claims. */
export interface Identity {
  subject: string;
  displayName: string;
  /** Rooms the token allows; `['*']` means any. */
  rooms: string[];
  grants: Grants;
  /** Role on entering a room; absent: `host` with `grants.roomAdmin`, else `participant` ({@link roleOf}). */
  role?: Role;
  /** Cluster placement: the region a room this identity opens first prefers (the token's `region` claim). */
  region?: string;
}

/** The role an identity enters rooms with. */
export function roleOf(identity: Identity): Role {
  return identity.role ?? (identity.grants.roomAdmin ? 'host' : 'participant');
}
