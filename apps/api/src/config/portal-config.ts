import { databaseTarget, type DatabaseTarget } from '../database/database-url';
import type { EnvironmentVariables } from './config-variables';

/** Server API, webhooks, database and moderation settings (the portal-facing half of AppConfig). */
export interface PortalConfig {
  dataDir: string;
  database: DatabaseTarget;
  /** Server API credentials: key id → secret. Empty: the server API is off (503). */
  apiKeys: ReadonlyMap<string, string>;
  webhooks: { urls: string[]; secret?: string; maxAttempts: number; retryBaseMs: number; timeoutMs: number };
  /** How long a removed identity is kept out of the room it was removed from. */
  removalBanMs: number;
  /** Lobby for rooms not created through the server API. */
  defaultLobby: boolean;
}

/** Builds {@link PortalConfig}, pushing one message per bad variable into `problems`. */
export function portalConfig(vars: EnvironmentVariables, problems: string[]): PortalConfig {
  const database = databaseTarget(vars.DATABASE_URL, vars.DATA_DIR);
  if (!database) problems.push(`DATABASE_URL: must be a postgres:// or postgresql:// URL, or memory: (unset: embedded database in DATA_DIR)`);

  const apiKeys = new Map<string, string>();
  for (const pair of (vars.API_KEYS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const key = at < 0 ? '' : pair.slice(0, at);
    const secret = at < 0 ? '' : pair.slice(at + 1);
    // The key is public (it names the credential in logs and the audit trail); only the secret is not.
    if (!/^[A-Za-z0-9_-]{3,64}$/.test(key)) problems.push(`API_KEYS: each entry must be key:secret with a key of 3-64 letters, digits, - or _`);
    else if (secret.length < 32) problems.push(`API_KEYS: the secret of key "${key}" must be at least 32 characters`);
    else if (apiKeys.has(key)) problems.push(`API_KEYS: key "${key}" appears twice`);
    else apiKeys.set(key, secret);
  }

  const urls = (vars.WEBHOOK_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  const badUrl = urls.find((u) => !isHttpUrl(u));
  if (badUrl) problems.push(`WEBHOOK_URLS: "${badUrl}" is not an http(s) URL`);
  if (urls.length > 0 && !vars.WEBHOOK_SECRET) problems.push('WEBHOOK_URLS needs WEBHOOK_SECRET to sign deliveries');

  return {
    dataDir: vars.DATA_DIR,
    database: database ?? { kind: 'embedded', dir: null },
    apiKeys,
    webhooks: {
      urls,
      secret: vars.WEBHOOK_SECRET,
      maxAttempts: vars.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: vars.WEBHOOK_RETRY_BASE_MS,
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
    },
    removalBanMs: vars.REMOVAL_BAN_S * 1000,
    defaultLobby: vars.ROOM_DEFAULT_LOBBY,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
