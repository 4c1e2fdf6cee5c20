import type { ModerationActor } from '../policies/event-sink';

/**
 * A recording's life: `idle` (none yet) → `starting` (taps being set up) →
 * `recording` → `stopping` (tracks finishing, then the mix) → `stored`, or
 * `failed` from any of them (the reason says why; the meeting goes on).
 */
export type RecordingState = 'idle' | 'starting' | 'recording' | 'stopping' | 'stored' | 'failed';

/** Who started or stopped a recording: a participant, an API key, or the server itself (room closed). */
export type RecordingActor = ModerationActor | { kind: 'system'; id: string; name: string };

/** One producer recorded to its own file. Offsets are ms from the recording's start. */
export interface RecordedTrack {
  producerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  /** The producer's `appData.source`: mic, webcam, screen… */
  source: string;
  /** The codec as it arrived (copied, not transcoded), e.g. `video/VP8`. */
  mimeType: string;
  /** File name in the recording (Matroska, the codec as sent); `.partial.mkv` while unfinished. */
  fileName: string;
  /** When the consumer was resumed: the file's time 0 is this far into the recording. */
  startOffsetMs: number;
  /** When the track ended (producer closed, participant left, or the recording stopped). */
  endOffsetMs: number | null;
  /** `recording`, `complete` (file finished), `empty` (nothing arrived), `partial` (not finished cleanly). */
  status: 'recording' | 'complete' | 'empty' | 'partial';
}

/** A participant seen during the recording. */
export interface RecordedParticipant {
  peerId: string;
  subject?: string;
  displayName: string;
  /** First seen, ms from the recording's start (0 for those present at the start). */
  joinedOffsetMs: number;
  leftOffsetMs: number | null;
}

/** What `status()` and `list()` report about one recording. */
export interface RecordingInfo {
  recordingId: string;
  roomId: string;
  state: RecordingState;
  /** Why it failed (state `failed`). */
  reason?: string;
  startedBy: RecordingActor | null;
  /** ISO times. */
  startedAt: string;
  stoppedAt: string | null;
  durationMs: number | null;
  /** The mixed file's name once stored, and every stored file (mix, tracks, manifest). */
  fileName: string | null;
  files: string[];
  tracks: RecordedTrack[];
  participants: RecordedParticipant[];
}

/** Whether recording can be used now, and why not. */
export interface RecordingAvailability {
  available: boolean;
  reason?: string;
  ffmpeg?: string;
}

/**
 * `manifest.json`, stored next to the files: enough to re-synchronise the
 * tracks without the mix (each track's file starts at its `startOffsetMs`).
 */
export interface RecordingManifest {
  version: 1;
  recordingId: string;
  roomId: string;
  state: RecordingState;
  reason?: string;
  startedBy: RecordingActor | null;
  startedAt: string;
  stoppedAt: string | null;
  durationMs: number | null;
  /** The mixed file (null when there is none). */
  mix: { fileName: string; container: 'mp4'; video: string; audio: string; width: number; height: number } | null;
  participants: RecordedParticipant[];
  tracks: RecordedTrack[];
}
