import type { Role } from '@confer/signaling-contracts';

/**
 * What happened, for a portal's own systems (audit, analytics, webhooks).
 * `at` is milliseconds since the epoch.
 */
export type ConferEvent =
  | { type: 'room.started'; at: number; roomId: string }
  | { type: 'room.finished'; at: number; roomId: string; reason?: string }
  | { type: 'participant.joined'; at: number; roomId: string; peerId: string; displayName: string; subject?: string; role?: Role }
  | { type: 'participant.left'; at: number; roomId: string; peerId: string; subject?: string; reason?: string }
  | { type: 'track.published'; at: number; roomId: string; peerId: string; producerId: string; kind: 'audio' | 'video'; source: string }
  | { type: 'track.unpublished'; at: number; roomId: string; peerId: string; producerId: string }
  | { type: 'lobby.waiting'; at: number; roomId: string; peerId: string; displayName: string }
  | { type: 'lobby.admitted'; at: number; roomId: string; peerId: string; by: ModerationActor }
  | { type: 'lobby.denied'; at: number; roomId: string; peerId: string; by: ModerationActor; reason: string }
  | { type: 'moderation.performed'; at: number; roomId: string; action: ModerationAction; by: ModerationActor; target: string | null; detail: Record<string, unknown> }
  /** A server-side recording began (its tracks are being written). */
  | { type: 'recording.started'; at: number; roomId: string; recordingId: string; by: ModerationActor | null }
  /** A recording ended and its files (the mixed `fileName`, the tracks, the manifest) were stored through RECORDING_STORAGE. */
  | { type: 'recording.stopped'; at: number; roomId: string; recordingId: string; durationMs: number; fileName: string; files: string[] }
  /** A recording failed (ffmpeg died, the mix failed, storage refused); the meeting goes on. Nothing was stored as complete. */
  | { type: 'recording.failed'; at: number; roomId: string; recordingId: string; reason: string };

/** Who performed a moderation act: a participant with a moderator role, or a server API key. */
export interface ModerationActor {
  kind: 'participant' | 'api';
  /** Peer id, or API key. */
  id: string;
  /** Display name, or the API key. */
  name: string;
}

/** The moderation acts, as named in events and in the audit trail (`moderation.<act>`). */
export type ModerationAction = 'mute' | 'mute_all' | 'set_permissions' | 'set_role' | 'remove' | 'end_meeting' | 'update_room_settings' | 'send_message' | 'start_recording' | 'stop_recording';

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
