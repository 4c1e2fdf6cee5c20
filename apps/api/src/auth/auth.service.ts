import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SignalingError, TOKEN_CLOCK_SKEW_S, type Grants, type Role, type TokenClaims } from '@confer/signaling-contracts';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IDENTITY_MAPPER, type IdentityMapper } from '../policies/identity-mapper';
import { CLUSTER_TOKEN_KID, ClusterTokens } from './cluster-tokens';
import type { Identity } from './identity';

/** Claims Confer reads from a token; documented in the contract (`TokenClaims`, PROTOCOL.md). */
export interface ConferClaims extends JWTPayload {
  name?: string;
  rooms?: string[];
  grants?: Partial<Grants>;
  role?: Role;
}

/**
 * Verifies signaling tokens: HS256 with JWT_SECRET, or RS256/ES256 against the
 * identity provider's JWKS (JWT_JWKS_URL). Also signs development tokens.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private readonly secret: Uint8Array | null;
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | null;
  /** Redirect tokens between the nodes of a cluster (REDIS_URL + CLUSTER_SECRET). */
  readonly cluster: ClusterTokens;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(IDENTITY_MAPPER) private readonly mapper: IdentityMapper,
  ) {
    const { jwtSecret, jwksUrl } = config.auth;
    this.secret = jwtSecret ? new TextEncoder().encode(jwtSecret) : null;
    this.jwks = jwksUrl ? createRemoteJWKSet(new URL(jwksUrl)) : null;
    this.cluster = new ClusterTokens(config.cluster);
  }

  onModuleInit(): void {
    if (this.config.auth.generatedSecret) {
      this.logger.warn('DEV_TOKENS is on and JWT_SECRET is unset: using a random secret; tokens die with this process');
    }
    if (this.config.auth.devTokens) this.logger.warn('DEV_TOKENS is on: POST /api/dev/token issues tokens to anyone (local use only)');
  }

  /** The identity in `token`, or `unauthenticated` saying why not. */
  async verify(token: string): Promise<Identity> {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      throw new SignalingError('unauthenticated', 'the token is not a JWT');
    }
    // A redirect from another node of the cluster: the identity was verified and mapped there.
    if (kid === CLUSTER_TOKEN_KID && this.config.cluster.redisUrl) return this.cluster.verify(token);
    const options = {
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      // exp must be there; nbf and exp are compared with this much tolerance.
      requiredClaims: ['exp'],
      clockTolerance: TOKEN_CLOCK_SKEW_S,
    };
    let payload: ConferClaims;
    try {
      if (alg === 'HS256' && this.secret) {
        ({ payload } = await jwtVerify<ConferClaims>(token, this.secret, { ...options, algorithms: ['HS256'] }));
      } else if ((alg === 'RS256' || alg === 'ES256') && this.jwks) {
        ({ payload } = await jwtVerify<ConferClaims>(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256'] }));
      } else {
        throw new SignalingError('unauthenticated', `tokens signed with ${alg ?? 'no algorithm'} are not accepted here`);
      }
    } catch (error) {
      if (error instanceof SignalingError) throw error;
      throw new SignalingError('unauthenticated', `invalid token: ${(error as Error).message}`);
    }
    if (!payload.sub) throw new SignalingError('unauthenticated', 'the token has no subject (sub)');
    // jose does not check a future `iat`: a token "issued" later than now was not issued by a sane clock.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + TOKEN_CLOCK_SKEW_S) {
      throw new SignalingError('unauthenticated', `invalid token: issued in the future (iat ${payload.iat})`);
    }
    return this.mapper.map(payload as unknown as TokenClaims & Record<string, unknown>);
  }

  /** A development token for one room with every grant and `role` (default host); only when DEV_TOKENS is on. */
  async issueDevToken(displayName: string, roomId: string, role: Role = 'host', subject = `dev-${randomUUID()}`): Promise<string> {
    if (!this.config.auth.devTokens || !this.secret) throw new SignalingError('forbidden', 'development tokens are disabled');
    const roomAdmin = role === 'host';
    return this.sign({ sub: subject, name: displayName, rooms: [roomId], role, grants: { canPublish: role !== 'viewer', canSubscribe: true, canPublishData: role !== 'viewer', roomAdmin } });
  }

  /** Signs arbitrary Confer claims with JWT_SECRET (HS256); used by dev tokens and tests. */
  async sign(claims: ConferClaims, expiresIn = '12h'): Promise<string> {
    if (!this.secret) throw new Error('JWT_SECRET is not configured');
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
    if (claims.exp === undefined) jwt = jwt.setExpirationTime(expiresIn);
    if (this.config.auth.issuer) jwt = jwt.setIssuer(this.config.auth.issuer);
    if (this.config.auth.audience) jwt = jwt.setAudience(this.config.auth.audience);
    return jwt.sign(this.secret);
  }
}
