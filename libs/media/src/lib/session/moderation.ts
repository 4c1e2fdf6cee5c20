import {
  PERMISSION_NAMES,
  type ClientRequestParams,
  type ModerationResult,
  type MutableSource,
  type Permissions,
  type PermissionsChangedNotification,
  type RecordingNotice,
  type RoomSettings,
  type SetRoleParams,
  type UpdateRoomSettingsParams,
} from '@confer/signaling-contracts';
import { Subscription } from 'rxjs';
import { PermissionDeniedError } from '../errors';
import { Logger } from '../util/logger';
import type { Publisher } from './publisher';
import type { SessionContext } from './session-context';

/** The moderator's requests that answer how many peers they reached. */
type ModerationMethod = 'lobbyAdmit' | 'lobbyDeny' | 'muteParticipant' | 'muteAll' | 'setPermissions' | 'setRole' | 'removeParticipant' | 'endMeeting';

/**
 * Roles, permissions, the lobby and the moderator's acts. Follows the moderation
 * notifications into the store (a hard mute pauses or closes the local producer
 * through the {@link Publisher}; the SDK never unmutes by itself) and sends the
 * moderator's requests. Being put out of the room (`removed`, `meetingEnded`) is
 * the recovery coordinator's to handle: it ends the session.
 */
export class Moderation {
  private readonly logger = new Logger('Moderation');

  constructor(
    private readonly context: SessionContext,
    private readonly publisher: Publisher,
  ) {}

  /** Follows the moderation notifications, for the whole session. */
  listen(): Subscription {
    const { signaling: s, store } = this.context;
    const sub = new Subscription();
    sub.add(s.on('lobbyChanged').subscribe(({ waiting }) => store.lobby.set(waiting)));
    sub.add(s.on('roomSettingsChanged').subscribe(({ settings }) => store.roomSettings.set(settings)));
    sub.add(s.on('permissionsChanged').subscribe((change) => this.onPermissionsChanged(change)));
    sub.add(s.on('recordingStateChanged').subscribe((notice) => store.applyRecording(notice)));
    sub.add(
      s.on('peerRoleChanged').subscribe(({ peerId, role }) => {
        store.peers.update((peers) => peers.map((p) => (p.id === peerId ? { ...p, role } : p)));
        if (peerId === s.session()?.peerId) store.role.set(role);
      }),
    );
    for (const [method, closed] of [
      ['producerPausedByModerator', false],
      ['producerClosedByModerator', true],
    ] as const) {
      sub.add(
        s.on(method).subscribe(({ producerId, by }) => {
          const source = this.publisher.moderated(producerId, closed);
          this.logger.debug(`${method} | producer=${producerId} source=${source} by=${by}`);
          if (source) store.moderatorActions.next({ type: closed ? 'stopped' : 'muted', source, by });
        }),
      );
    }
    return sub;
  }

  /** Lets one waiting peer in. */
  admit(peerId: string): Promise<ModerationResult> {
    return this.act('lobbyAdmit', { peerId });
  }

  /** Lets everyone waiting in. */
  admitAll(): Promise<ModerationResult> {
    return this.act('lobbyAdmit', { all: true });
  }

  /** Refuses one waiting peer, with a reason it is shown. */
  deny(peerId: string, reason?: string): Promise<ModerationResult> {
    return this.act('lobbyDeny', { peerId, ...(reason ? { reason } : {}) });
  }

  /** Refuses everyone waiting. */
  denyAll(reason?: string): Promise<ModerationResult> {
    return this.act('lobbyDeny', { all: true, ...(reason ? { reason } : {}) });
  }

  /** Hard mute of one peer's `source`. */
  muteParticipant(peerId: string, source: MutableSource): Promise<ModerationResult> {
    return this.act('muteParticipant', { peerId, source });
  }

  /** Hard mute of `source` (default `mic`) for everyone but moderators. */
  muteAll(source?: MutableSource): Promise<ModerationResult> {
    return this.act('muteAll', source ? { source } : {});
  }

  /** Changes what one peer may do (granting `publishAudio` lets it unmute again). */
  setPermissions(peerId: string, permissions: Partial<Permissions>): Promise<ModerationResult> {
    return this.act('setPermissions', { peerId, permissions });
  }

  /** Promotes to moderator, or demotes. */
  setRole(peerId: string, role: SetRoleParams['role']): Promise<ModerationResult> {
    return this.act('setRole', { peerId, role });
  }

  /** Removes one peer from the meeting. */
  removeParticipant(peerId: string, reason?: string): Promise<ModerationResult> {
    return this.act('removeParticipant', { peerId, ...(reason ? { reason } : {}) });
  }

  /** Locks or unlocks the room, turns the lobby on or off; resolves with (and stores) the new settings. */
  async updateRoomSettings(patch: UpdateRoomSettingsParams): Promise<RoomSettings> {
    this.assertModerator('updateRoomSettings()');
    const settings = await this.context.request('updateRoomSettings', patch);
    this.context.store.roomSettings.set(settings);
    return settings;
  }

  /** Ends the meeting for everyone (this peer too: `meetingEnded` follows). */
  endMeeting(reason?: string): Promise<ModerationResult> {
    return this.act('endMeeting', reason ? { reason } : {});
  }

  /** Starts recording the room on the server (hosts and moderators); everyone gets the notice. */
  async startRecording(): Promise<RecordingNotice> {
    this.assertModerator('startRecording()');
    const notice = await this.context.request('startRecording', {});
    this.context.store.applyRecording(notice);
    return notice;
  }

  /** Stops it (refused by the server when the room's policy requires recording). */
  async stopRecording(): Promise<RecordingNotice> {
    this.assertModerator('stopRecording()');
    const notice = await this.context.request('stopRecording', {});
    this.context.store.applyRecording(notice);
    return notice;
  }

  /** This peer consents to being recorded; with consent required, its media is recorded from now on. */
  async acknowledgeRecording(): Promise<{ recorded: boolean }> {
    this.context.store.assertInRoom('acknowledgeRecording()');
    const result = await this.context.request('acknowledgeRecording', {});
    const { store } = this.context;
    if (store.recording.value) store.applyRecording(store.recording.value, true);
    return result;
  }

  private async act<M extends ModerationMethod>(method: M, params: ClientRequestParams<M>): Promise<ModerationResult> {
    this.assertModerator(`${method}()`);
    return (await this.context.request(method, params)) as ModerationResult;
  }

  /** Said here rather than by a `forbidden` round trip; the server checks again. */
  private assertModerator(what: string): void {
    this.context.store.assertInRoom(what);
    if (!this.context.store.isModerator()) throw new PermissionDeniedError('moderate', `${what}: only hosts and moderators may do this`);
  }

  private onPermissionsChanged({ role, permissions, by, reason }: PermissionsChangedNotification): void {
    const { store } = this.context;
    const previous = store.permissions.value;
    const previousRole = store.role.value;
    store.role.set(role);
    store.permissions.set(permissions);
    if (!store.isModerator()) store.lobby.set([]);
    this.publisher.enforce(permissions);
    const granted = PERMISSION_NAMES.filter((name) => permissions[name] && previous?.[name] === false);
    const revoked = PERMISSION_NAMES.filter((name) => !permissions[name] && previous?.[name] !== false);
    this.logger.debug(`permissionsChanged | role=${role} granted=${granted.join(',')} revoked=${revoked.join(',')} by=${by}`);
    store.moderatorActions.next({ type: 'permissionsChanged', role, previousRole, permissions, granted, revoked, by, ...(reason ? { reason } : {}) });
  }
}
