import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { decodeJwt, jwtVerify } from 'jose';
import { SignalingError } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** The API key a server API request was authenticated with (set by {@link ApiKeyGuard}). */
export interface ApiRequest {
  headers: Record<string, string | string[] | undefined>;
  apiKey?: string;
}

/** Longest lifetime of a server API token: a leaked one is useless soon. */
export const MAX_API_TOKEN_TTL_S = 3600;
const CLOCK_SKEW_S = 60;

/**
 * Server API authentication: `Authorization: Bearer <JWT>` signed HS256 with
 * the secret of one of API_KEYS, `iss` = that key, `exp` at most an hour after
 * `iat`. jose checks the HMAC in constant time (WebCrypto `verify`); an
 * unknown key is checked against a throw-away secret so that it costs the same.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly decoy = new TextEncoder().encode('decoy-secret-that-never-verifies-anything');

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ApiRequest>();
    const keys = this.config.portal.apiKeys;
    if (keys.size === 0) throw new SignalingError('invalid_state', 'the server API is off: set API_KEYS', { status: 503 });
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header) : null;
    if (!match) throw new SignalingError('unauthenticated', 'Authorization: Bearer <JWT signed with an API key secret> required');
    let key: string;
    try {
      key = String(decodeJwt(match[1]).iss ?? '');
    } catch {
      throw new SignalingError('unauthenticated', 'malformed token');
    }
    const secret = keys.get(key);
    try {
      const { payload } = await jwtVerify(match[1], secret ? new TextEncoder().encode(secret) : this.decoy, {
        algorithms: ['HS256'],
        issuer: key,
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_SKEW_S,
      });
      if (!secret) throw new Error('unknown key');
      if ((payload.exp as number) - (payload.iat as number) > MAX_API_TOKEN_TTL_S) throw new Error(`exp must be at most ${MAX_API_TOKEN_TTL_S} s after iat`);
      if ((payload.iat as number) > Date.now() / 1000 + CLOCK_SKEW_S) throw new Error('iat is in the future');
    } catch (error) {
      // Which check failed is said (expired, wrong issuer, …) but never anything about the secret.
      throw new SignalingError('unauthenticated', secret ? `invalid token: ${(error as Error).message}` : 'invalid token: unknown API key');
    }
    request.apiKey = key;
    return true;
  }
}
