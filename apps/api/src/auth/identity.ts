import type { Grants } from '@confer/signaling-contracts';

/** The verified identity behind a connection, as the identity mapper made it from the token's claims. */
export interface Identity {
  subject: string;
  displayName: string;
  /** Rooms the token allows; `['*']` means any. */
  rooms: string[];
  grants: Grants;
}
