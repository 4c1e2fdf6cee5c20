import { DestroyRef, Injectable, inject } from '@angular/core';
import type { Role } from '@confer/signaling-contracts';

/** Message an embedding portal posts to hand over a token: `{ type: 'confer:token', token }`. */
export interface TokenMessage {
  type: 'confer:token';
  token: string;
}

/**
 * Where the join token comes from.
 *
 * - Portal hand-over, URL fragment: the portal opens `https://confer.example/#token=<jwt>`
 *   (optionally `&room=<id>&name=<display name>`). The fragment never reaches a server
 *   or its logs; the app reads it once and removes it with `history.replaceState`.
 * - Portal hand-over, postMessage: a portal embedding Confer in an iframe posts
 *   `{ type: 'confer:token', token }` to it. Only origins listed in
 *   `<meta name="confer-portal-origins" content="https://portal.example …">` (or the
 *   app's own origin) are accepted.
 * - Development: with no handed-over token, the app asks `POST /api/dev/token`, which
 *   exists only when the API runs with `DEV_TOKENS=true`, for the role picked on the
 *   join screen (`?role=participant` preselects it).
 *
 * A token is never read from the query string.
 */
@Injectable({ providedIn: 'root' })
export class TokenService {
  private handedOver: string | null = null;
  private readonly hints: { room?: string; name?: string } = {};
  private readonly allowedOrigins: string[];
  /**
   * Development tokens by name, room and role, for this page's life: joining again
   * is the same identity (as with a portal's token), so a moderator's removal ban
   * applies to it. They last 12 h.
   */
  private readonly devTokens = new Map<string, Promise<string>>();
  /** The role of the last development token asked for: the join screen offers it again (after a removal, say). */
  private lastRole: Role | undefined;

  constructor() {
    const meta = globalThis.document?.querySelector('meta[name="confer-portal-origins"]')?.getAttribute('content') ?? '';
    this.allowedOrigins = [globalThis.location.origin, ...meta.split(/\s+/).filter(Boolean)];
    this.readFragment();
    const onMessage = (event: MessageEvent) => this.onMessage(event);
    globalThis.addEventListener('message', onMessage);
    inject(DestroyRef).onDestroy(() => globalThis.removeEventListener('message', onMessage));
  }

  /** Room and name the portal suggested in the fragment, if any. */
  get suggestions(): { room?: string; name?: string } {
    return this.hints;
  }

  /** True when the portal handed over a token. */
  get hasHandedOverToken(): boolean {
    return this.handedOver !== null;
  }

  /**
   * The handed-over token, or one from the development endpoint; `role` (development
   * only) asks that endpoint for a host, moderator, participant or viewer token.
   */
  async token(displayName: string, roomId: string, role?: Role): Promise<string> {
    if (this.handedOver) return this.handedOver;
    this.lastRole = role;
    const key = JSON.stringify([displayName, roomId, role ?? null]);
    // One request per key, even when the join screen's prefetch and the Join click overlap.
    let pending = this.devTokens.get(key);
    if (!pending) {
      pending = this.fetchDevToken(displayName, roomId, role);
      this.devTokens.set(key, pending);
      pending.catch(() => this.devTokens.delete(key));
    }
    return pending;
  }

  /** The development role last asked for (undefined: none, or the server's default). */
  get lastDevRole(): Role | undefined {
    return this.lastRole;
  }

  private async fetchDevToken(displayName: string, roomId: string, role?: Role): Promise<string> {
    let response: Response;
    try {
      response = await fetch('/api/dev/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ displayName, roomId, ...(role ? { role } : {}) }),
      });
    } catch {
      throw new Error('The server cannot be reached. Check your connection and try again.');
    }
    if (response.status === 404) {
      throw new Error('No access token: open Confer from your company portal.');
    }
    if (!response.ok) throw new Error(`Could not get an access token (HTTP ${response.status}).`);
    const body = (await response.json()) as { token?: string };
    if (!body.token) throw new Error('The server returned no access token.');
    return body.token;
  }

  /**
   * Whether this server issues development tokens (`DEV_TOKENS=true`), from
   * `GET /api/health`; null when that cannot be told (server unreachable).
   */
  async devTokensAvailable(): Promise<boolean | null> {
    try {
      const response = await fetch('/api/health', { headers: { accept: 'application/json' } });
      if (!response.ok) return null;
      const body = (await response.json()) as { devTokens?: unknown };
      return typeof body.devTokens === 'boolean' ? body.devTokens : null;
    } catch {
      return null;
    }
  }

  private readFragment(): void {
    const hash = globalThis.location?.hash ?? '';
    if (!hash.includes('token=')) return;
    const params = new URLSearchParams(hash.slice(1));
    this.handedOver = params.get('token');
    this.hints.room = params.get('room') ?? undefined;
    this.hints.name = params.get('name') ?? undefined;
    // Remove the token from the address bar and history.
    const { pathname, search } = globalThis.location;
    globalThis.history.replaceState(globalThis.history.state, '', `${pathname}${search}`);
  }

  private onMessage(event: MessageEvent): void {
    const data = event.data as Partial<TokenMessage> | null;
    if (!data || data.type !== 'confer:token' || typeof data.token !== 'string') return;
    if (!this.allowedOrigins.includes(event.origin)) {
      console.warn(`[TokenService] token from untrusted origin ${event.origin} ignored`);
      return;
    }
    this.handedOver = data.token;
  }
}
