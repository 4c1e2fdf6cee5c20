import { createHmac } from 'node:crypto';
import type { IceServer } from '@confer/signaling-contracts';
import type { AppConfig } from './app-config';

/**
 * TURN credentials in the coturn REST scheme (`use-auth-secret`): the username
 * is `<expiry unix seconds>:<peerId>` and the credential is
 * base64(HMAC-SHA1(shared secret, username)), so the TURN server checks them
 * without asking us and they stop working at the expiry.
 */
export function turnCredentials(sharedSecret: string, peerId: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${peerId}`;
  return { username, credential: createHmac('sha1', sharedSecret).update(username).digest('base64') };
}

/** ICE_SERVERS as configured, plus TURN with fresh credentials for `peerId` when TURN is configured. */
export function iceServersFor(media: AppConfig['media'], peerId: string, nowMs = Date.now()): IceServer[] {
  if (!media.turn) return media.iceServers;
  return [...media.iceServers, { urls: media.turn.urls, ...turnCredentials(media.turn.sharedSecret, peerId, media.turn.ttlSeconds, nowMs) }];
}
