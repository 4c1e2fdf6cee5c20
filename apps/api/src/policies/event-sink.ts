/**
 * What happened, for a portal's own systems (audit, analytics, webhooks).
 * `at` is milliseconds since the epoch.
 */
export type ConferEvent =
  | { type: 'room.started'; at: number; roomId: string }
  | { type: 'room.finished'; at: number; roomId: string }
  | { type: 'participant.joined'; at: number; roomId: string; peerId: string; displayName: string }
  | { type: 'participant.left'; at: number; roomId: string; peerId: string }
  | { type: 'track.published'; at: number; roomId: string; peerId: string; producerId: string; kind: 'audio' | 'video'; source: string }
  | { type: 'track.unpublished'; at: number; roomId: string; peerId: string; producerId: string };

/**
 * Receives every {@link ConferEvent}. Provide sinks under {@link EVENT_SINKS}
 * (or `ConferModule.forRoot({ eventSinks })`). `emit` runs on the signaling
 * path: keep it quick and hand slow work (HTTP, databases) to a queue. A sink
 * that throws or rejects is logged and does not disturb the meeting or the
 * other sinks.
 */
export interface EventSink {
  emit(event: ConferEvent): void | Promise<void>;
}

export const EVENT_SINKS = Symbol('EVENT_SINKS');
