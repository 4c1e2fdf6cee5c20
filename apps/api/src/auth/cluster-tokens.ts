import { SignalingError, TOKEN_CLOCK_SKEW_S, type Grants, type Role } from '@confer/signaling-contracts';
import { jwtVerify, SignJWT } from 'jose';
import type { ClusterConfig } from '../config/cluster-config';
import type { Identity } from './identity';

/** `kid` of the tokens nodes hand each other's clients (a redirect); tells them from the portal's tokens. */
export const CLUSTER_TOKEN_KID = 'confer-cluster';
const ISSUER = 'confer-cluster';
const audienceOf = (nodeId: string): string => `confer-node:${nodeId}`;

interface ClusterClaims {
  name: string;
  rooms: string[];
  grants: Grants;
  role?: Role;
  region?: string;
  /** The room the redirect was for: the token lets its holder into that room only. */
  room: string;
}

/**
 * Redirect tokens: the identity a node already verified (and mapped), signed
 * with CLUSTER_SECRET for one target node and one room, valid for
 * CLUSTER_REDIRECT_TOKEN_S. The target takes the identity as it is (the
 * portal's identity mapper ran once, on the node the client reached first).
 */
export class ClusterTokens {
  constructor(private readonly cluster: ClusterConfig) {}

  async sign(identity: Identity, targetNodeId: string, roomId: string): Promise<string> {
    if (!this.cluster.secret) throw new Error('CLUSTER_SECRET is not configured');
    const claims: ClusterClaims = { name: identity.displayName, rooms: [roomId], grants: identity.grants, room: roomId, ...(identity.role ? { role: identity.role } : {}), ...(identity.region ? { region: identity.region } : {}) };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', kid: CLUSTER_TOKEN_KID })
      .setSubject(identity.subject)
      .setIssuer(ISSUER)
      .setAudience(audienceOf(targetNodeId))
      .setIssuedAt()
      .setExpirationTime(`${this.cluster.redirectTokenS}s`)
      .sign(this.cluster.secret);
  }

  /** The identity in a redirect token meant for this node; `unauthenticated` otherwise. */
  async verify(token: string): Promise<Identity> {
    if (!this.cluster.secret) throw new SignalingError('unauthenticated', 'cluster tokens are not accepted here (no cluster configured)');
    let payload: ClusterClaims & { sub?: string };
    try {
      ({ payload } = await jwtVerify<ClusterClaims>(token, this.cluster.secret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: audienceOf(this.cluster.nodeId),
        requiredClaims: ['exp', 'sub'],
        clockTolerance: TOKEN_CLOCK_SKEW_S,
      }));
    } catch (error) {
      throw new SignalingError('unauthenticated', `invalid redirect token: ${(error as Error).message}`);
    }
    if (!payload.sub || typeof payload.name !== 'string' || typeof payload.room !== 'string' || typeof payload.grants !== 'object' || payload.grants === null) {
      throw new SignalingError('unauthenticated', 'invalid redirect token: missing claims');
    }
    return {
      subject: payload.sub,
      displayName: payload.name,
      rooms: [payload.room],
      grants: payload.grants,
      ...(payload.role ? { role: payload.role } : {}),
      ...(typeof payload.region === 'string' ? { region: payload.region } : {}),
    };
  }
}
