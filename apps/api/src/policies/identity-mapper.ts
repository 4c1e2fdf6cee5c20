import { ROLES, type Grants, type Role, type TokenClaims } from '@confer/signaling-contracts';
import type { Identity } from '../auth/identity';

/**
 * Turns the claims of a token whose signature, expiry and issuer were verified
 * into the identity a peer has (its display name, rooms and grants). Provide
 * your own under {@link IDENTITY_MAPPER} (or `ConferModule.forRoot({ identityMapper })`)
 * when your identity provider's claims look different. Throw a
 * `SignalingError('unauthenticated', …)` to refuse a token.
 */
export interface IdentityMapper {
  map(claims: TokenClaims & Record<string, unknown>): Identity | Promise<Identity>;
}

export const IDENTITY_MAPPER = Symbol('IDENTITY_MAPPER');

/** The claims documented in PROTOCOL.md: `sub`, `name`, `rooms`, `grants` (absent grants are false), `role`, `region`. */
export class DefaultIdentityMapper implements IdentityMapper {
  map(claims: TokenClaims & Record<string, unknown>): Identity {
    const rooms = Array.isArray(claims.rooms) ? claims.rooms.filter((r): r is string => typeof r === 'string') : [];
    const g: Partial<Grants> = typeof claims.grants === 'object' && claims.grants !== null ? claims.grants : {};
    return {
      subject: claims.sub,
      displayName: typeof claims.name === 'string' && claims.name ? claims.name.slice(0, 64) : claims.sub,
      rooms,
      grants: {
        canPublish: g.canPublish === true,
        canSubscribe: g.canSubscribe === true,
        canPublishData: g.canPublishData === true,
        roomAdmin: g.roomAdmin === true,
        canBypassLobby: g.canBypassLobby === true,
      },
      role: (ROLES as readonly unknown[]).includes(claims.role) ? (claims.role as Role) : g.roomAdmin === true ? 'host' : 'participant',
      ...(typeof claims.region === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(claims.region) ? { region: claims.region } : {}),
    };
  }
}
