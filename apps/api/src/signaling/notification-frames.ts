import type { ServerNotifications } from '@confer/signaling-contracts';

/**
 * The wire form of a notification, serialized once per broadcast: a room's
 * broadcast calls `notify(method, data)` for every peer with the same `data`
 * object, one after the other, and each used to run JSON.stringify and the
 * UTF-8 encoding again (a chat message in a room of 10: ten times). The last
 * frame is kept until the current synchronous run ends (a microtask clears it),
 * so a `data` object changed later is never sent in an old form.
 */
let last: { method: string; data: unknown; frame: Buffer } | null = null;

export function notificationFrame<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]): Buffer {
  if (last && last.data === data && last.method === method) return last.frame;
  const frame = Buffer.from(JSON.stringify({ type: 'notification', method, data }));
  if (last === null) queueMicrotask(() => (last = null));
  last = { method, data, frame };
  return frame;
}
