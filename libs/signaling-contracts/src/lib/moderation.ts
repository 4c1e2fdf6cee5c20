/**
 * Roles, permissions, room settings and the lobby: the shapes shared by the
 * moderation messages, the server API and the webhooks.
 */

/**
 * A participant's role, from the verified token (claim `role`) through the
 * identity mapper; moderators can change it during the meeting.
 * - `host`: everything, including promoting moderators; cannot be demoted.
 * - `moderator`: moderation acts and the lobby; bypasses the lobby and the lock.
 * - `participant`: what the room's `participantPermissions` allow.
 * - `viewer`: watches and listens; may chat when participants may.
 */
export const ROLES = ['host', 'moderator', 'participant', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** True for the roles that may moderate. */
export function isModeratorRole(role: Role): boolean {
  return role === 'host' || role === 'moderator';
}

/** What a participant may do right now (the server enforces it; a moderator can change it at any time). */
export interface Permissions {
  publishAudio: boolean;
  publishVideo: boolean;
  publishScreen: boolean;
  chat: boolean;
  sendFiles: boolean;
}

export const PERMISSION_NAMES = ['publishAudio', 'publishVideo', 'publishScreen', 'chat', 'sendFiles'] as const satisfies readonly (keyof Permissions)[];

/** A room's policy: set when the room is created through the server API, changed by moderators or the API. */
export interface RoomSettings {
  /** Joiners wait in the lobby until a moderator admits them (moderators and `canBypassLobby` tokens do not wait). */
  lobby: boolean;
  /** Nobody new may enter except moderators. */
  locked: boolean;
  /** Most peers in the room at once (at most the server's MAX_PEERS_PER_ROOM). */
  capacity: number;
  /** What a `participant` may do on entering. */
  participantPermissions: Permissions;
  /**
   * Server-side recording: `allowed` (a host or moderator may start it),
   * `required` (starts by itself when the meeting's first track is published;
   * participants cannot stop it), `forbidden` (refused).
   */
  recording: RecordingPolicy;
  /**
   * False: everyone is told the meeting is recorded (a notice). True: only the
   * media of participants who sent `acknowledgeRecording` is recorded.
   */
  recordingConsent: boolean;
}

/** Whether a room may be recorded; see {@link RoomSettings.recording}. */
export type RecordingPolicy = 'allowed' | 'required' | 'forbidden';
export const RECORDING_POLICIES = ['allowed', 'required', 'forbidden'] as const satisfies readonly RecordingPolicy[];

/** A recording's state as peers see it (`stored` and `failed` mean it is over). */
export type RecordingNoticeState = 'starting' | 'recording' | 'stopping' | 'stored' | 'failed';

/** `recordingStateChanged`, and `JoinResult.recording`: what everyone in the room is told about its recording. */
export interface RecordingNotice {
  state: RecordingNoticeState;
  recordingId: string;
  /** Display name of the host or moderator who started it; null for the server API or the room's policy. */
  startedBy: string | null;
  /** Server time, ms since the epoch. */
  startedAt: number;
  /** True: this peer's media is recorded only once it sent `acknowledgeRecording`. */
  consentRequired: boolean;
  /** Why it failed (state `failed`). */
  reason?: string;
}

/** `acknowledgeRecording`'s answer: whether this peer's media is now being recorded. */
export interface AcknowledgeRecordingResult {
  recorded: boolean;
}

/** A peer waiting in the lobby, as moderators see it. */
export interface LobbyEntry {
  peerId: string;
  displayName: string;
  /** Server time the peer started waiting, ms since the epoch. */
  since: number;
}

/** The permission that publishing from `source` needs (`mic` → publishAudio, `webcam` → publishVideo, screen → publishScreen). */
export function permissionForSource(source: string): keyof Permissions {
  if (source === 'mic') return 'publishAudio';
  if (source === 'webcam') return 'publishVideo';
  return 'publishScreen';
}

/** Sources a moderator can mute; `mic` and `webcam` are paused, `screen` (and its audio) closed. */
export const MUTABLE_SOURCES = ['mic', 'webcam', 'screen'] as const;
export type MutableSource = (typeof MUTABLE_SOURCES)[number];

// ---- Messages ---------------------------------------------------------------------

/** `lobbyAdmit` / `lobbyDeny`: one waiting peer, or everyone waiting (`all: true`). */
export interface LobbyDecisionParams {
  peerId?: string;
  all?: boolean;
  /** Shown to a denied peer. */
  reason?: string;
}

/** `muteParticipant`: a hard mute; the participant cannot re-enable `source` until a moderator gives the permission back. */
export interface MuteParticipantParams {
  peerId: string;
  source: MutableSource;
}

/** `muteAll`: every participant and viewer (not moderators) loses `source` (default `mic`). */
export interface MuteAllParams {
  source?: MutableSource;
}

/** `setPermissions`: changes one peer's permissions at once (granting `publishAudio` lifts a hard mute). */
export interface SetPermissionsParams {
  peerId: string;
  permissions: Partial<Permissions>;
}

/** `removeParticipant`: out of the room; the same identity cannot re-enter for REMOVAL_BAN_S seconds. */
export interface RemoveParticipantParams {
  peerId: string;
  reason?: string;
}

/** `setRole`: promote to moderator or demote; a host's role cannot be changed. */
export interface SetRoleParams {
  peerId: string;
  role: Exclude<Role, 'host'>;
}

/** `updateRoomSettings`: lock the room or turn the lobby on or off. */
export interface UpdateRoomSettingsParams {
  lobby?: boolean;
  locked?: boolean;
}

/** `endMeeting`: everyone leaves. */
export interface EndMeetingParams {
  reason?: string;
}

/** Count of peers a moderation act reached. */
export interface ModerationResult {
  affected: number;
}

/** What a peer learns about itself on `join` and on every change. */
export interface SelfState {
  role: Role;
  permissions: Permissions;
}

export interface PermissionsChangedNotification extends SelfState {
  /** Display name of the moderator, or null for the server API. */
  by: string | null;
  reason?: string;
}

export interface LobbyDecisionNotification {
  admitted: boolean;
  reason?: string;
}

/** The server paused or closed one of this peer's producers (a moderator's mute); do not resume it yourself. */
export interface ProducerModeratedNotification {
  producerId: string;
  source: string;
  by: string | null;
}

/** This peer was removed (`removed`) or the meeting ended for everyone (`meetingEnded`). */
export interface ExpelledNotification {
  reason: string;
  by: string | null;
}
