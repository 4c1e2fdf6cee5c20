import { randomUUID } from 'node:crypto';
import type { Grants, ServerNotifications, ServerRequests } from '@confer/signaling-contracts';
import type { Identity } from '../auth/identity';
import { Peer, type PeerChannel } from '../peers/peer';
import { PeerLink } from '../peers/peer-link';

type ServerRequestAnswer = (method: keyof ServerRequests, data: unknown) => Promise<unknown>;

/**
 * A client as services see it (a {@link PeerChannel}): records every
 * notification and server request, answers server requests with `answer`
 * (success by default), and records its close.
 */
export class RecordingChannel implements PeerChannel {
  readonly notifications: { method: keyof ServerNotifications; data: unknown }[] = [];
  readonly requests: { method: keyof ServerRequests; data: unknown }[] = [];
  closedWith: { code: number; reason: string } | null = null;
  answer: ServerRequestAnswer = async () => ({});

  notify<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]): void {
    this.notifications.push({ method, data });
  }

  request<M extends keyof ServerRequests>(method: M, data: ServerRequests[M]['params']): Promise<ServerRequests[M]['result']> {
    this.requests.push({ method, data });
    return this.answer(method, data) as Promise<ServerRequests[M]['result']>;
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  notificationsOf<M extends keyof ServerNotifications>(method: M): ServerNotifications[M][] {
    return this.notifications.filter((n) => n.method === method).map((n) => n.data as ServerNotifications[M]);
  }

  requestsOf<M extends keyof ServerRequests>(method: M): ServerRequests[M]['params'][] {
    return this.requests.filter((r) => r.method === method).map((r) => r.data as ServerRequests[M]['params']);
  }
}

const ALL_GRANTS: Grants = { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false };

/** An identity allowed in every room, with every grant but room admin. */
export function testIdentity(subject: string, overrides: Partial<Identity> = {}): Identity {
  return { subject, displayName: subject, rooms: ['*'], grants: { ...ALL_GRANTS }, ...overrides };
}

/** A peer as SessionsService makes one (a PeerLink around `channel`), for specs below the sessions layer. */
export function testPeer(id: string, options: { identity?: Identity; channel?: RecordingChannel } = {}): { peer: Peer; channel: RecordingChannel } {
  const channel = options.channel ?? new RecordingChannel();
  const peer = new Peer(id, options.identity ?? testIdentity(id), randomUUID(), new PeerLink(channel, () => undefined));
  return { peer, channel };
}

/** Resolves once `predicate` holds, polling (work detached from requests settles on later ticks). */
export async function eventually(predicate: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets pending promise callbacks and immediates run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
