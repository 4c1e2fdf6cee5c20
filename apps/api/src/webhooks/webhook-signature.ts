import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'confer-signature';

/** Receivers should refuse a delivery signed longer ago than this (replays). */
export const DEFAULT_TOLERANCE_S = 300;

/** `v1` = hex(HMAC-SHA256(secret, `${t}.${body}`)), over the exact bytes of the body. */
export function signWebhook(secret: string, body: string, timestampS: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${v1}`;
}

/**
 * What a receiver does (exported for portal teams writing one in Node): parses
 * the header, checks the timestamp is within `toleranceS` of now, and compares
 * the signature in constant time. Returns why it failed, or null when valid.
 */
export function verifyWebhook(secret: string, body: string, header: string | undefined, nowS = Math.floor(Date.now() / 1000), toleranceS = DEFAULT_TOLERANCE_S): string | null {
  if (!header) return 'missing signature header';
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed signature header';
  if (Math.abs(nowS - t) > toleranceS) return 'timestamp outside the replay window';
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1], 'hex');
  return timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? null : 'signature mismatch';
}
