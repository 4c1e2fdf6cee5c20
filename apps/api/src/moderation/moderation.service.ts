import { Injectable, Logger } from '@nestjs/common';
import {
  isModeratorRole,
  PERMISSION_NAMES,
  permissionForSource,
  SignalingError,
  type MutableSource,
  type Permissions,
  type RecordingNotice,
  type Role,
  type RoomSettings,
} from '@confer/signaling-contracts';
import { ChatService } from '../chat/chat.service';
import { EventsService } from '../events/events.service';
import { AuditLogService } from '../history/audit-log.service';
import type { Peer } from '../peers/peer';
import type { ModerationAction } from '../policies/event-sink';
import { RecordingControlService } from '../recording/recording-control.service';
import { RoomAccessService } from '../room-access/room-access.service';
import { RoomSettingsService, type RoomSettingsPatch } from '../room-settings/room-settings.service';
import type { Room } from '../rooms/room';
import { RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import { definedOnly } from '../validation/defined-only';
import { WorkerHealthService } from '../workers/worker-health.service';
import { auditActor, eventActor, shownActor, type Actor } from './moderation-actor';

/** Producer sources each mutable source covers (a screen share may carry its audio). */
const SOURCES: Record<MutableSource, string[]> = { mic: ['mic'], webcam: ['webcam'], screen: ['screen', 'screen-audio'] };
const SOURCE_OF: Partial<Record<keyof Permissions, MutableSource>> = { publishAudio: 'mic', publishVideo: 'webcam', publishScreen: 'screen' };

/**
 * Moderation acts, by a moderator over signaling or by the portal over the
 * server API: each one checks the actor, is audited with its outcome (refusals
 * included), raises an event for the sinks (webhooks), and tells the peers
 * concerned. The server enforces the result (RoomAccessService, Peer.assertPermitted).
 */
@Injectable()
export class ModerationService {
  private readonly logger = new Logger(ModerationService.name);

  constructor(
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsService,
    private readonly access: RoomAccessService,
    private readonly settings: RoomSettingsService,
    private readonly events: EventsService,
    private readonly audit: AuditLogService,
    private readonly health: WorkerHealthService,
    private readonly chat: ChatService,
    private readonly recording: RecordingControlService,
  ) {}

  /** The room a participant moderates: its own, joined. */
  roomOfActor(actor: Actor, roomId?: string): string {
    if (actor.kind === 'api') return roomId as string;
    if (!actor.peer.roomId || !actor.peer.joined) throw new SignalingError('invalid_state', 'join a room first');
    return actor.peer.roomId;
  }

  async lobbyDecide(actor: Actor, roomId: string, admit: boolean, target: { peerId?: string; all?: boolean; reason?: string }): Promise<number> {
    return this.perform(actor, roomId, admit ? 'lobby.admit' : 'lobby.deny', target.peerId ?? (target.all ? '*' : null), { reason: target.reason }, (room) => {
      if (!target.all && !target.peerId) throw new SignalingError('invalid_request', 'give peerId or all: true');
      const waiting = this.access.lobbyOf(room).filter((p) => target.all || p.id === target.peerId);
      if (!target.all && waiting.length === 0) throw new SignalingError('not_found', `peer ${target.peerId} is not waiting in room ${room.id}`);
      const reason = target.reason ?? 'a moderator declined your request to join';
      for (const peer of waiting) {
        peer.lobbySince = null;
        if (admit) {
          peer.admittedTo = room.id;
          peer.channel.notify('lobbyDecision', { admitted: true });
          this.events.emit({ type: 'lobby.admitted', roomId: room.id, peerId: peer.id, by: eventActor(actor) });
        } else {
          peer.channel.notify('lobbyDecision', { admitted: false, reason });
          this.events.emit({ type: 'lobby.denied', roomId: room.id, peerId: peer.id, by: eventActor(actor), reason });
          this.sessions.exitRoom(peer, 'lobby_denied');
        }
      }
      if (!room.closed) this.access.lobbyChanged(room);
      return waiting.length;
    });
  }

  mute(actor: Actor, roomId: string, peerId: string, source: MutableSource): Promise<number> {
    return this.act(actor, roomId, 'mute', peerId, { source }, async (room) => {
      const target = this.target(actor, room, peerId);
      await this.applyPermissions(actor, target, { [permissionForSource(source)]: false });
      return 1;
    });
  }

  muteAll(actor: Actor, roomId: string, source: MutableSource = 'mic'): Promise<number> {
    return this.act(actor, roomId, 'mute_all', null, { source }, async (room) => {
      const targets = room.joinedPeers().filter((p) => !isModeratorRole(p.role) && !(actor.kind === 'participant' && actor.peer === p));
      for (const peer of targets) await this.applyPermissions(actor, peer, { [permissionForSource(source)]: false });
      return targets.length;
    });
  }

  setPermissions(actor: Actor, roomId: string, peerId: string, patch: Partial<Permissions>): Promise<number> {
    return this.act(actor, roomId, 'set_permissions', peerId, { permissions: patch }, async (room) => {
      await this.applyPermissions(actor, this.target(actor, room, peerId), patch);
      return 1;
    });
  }

  setRole(actor: Actor, roomId: string, peerId: string, role: Exclude<Role, 'host'>): Promise<number> {
    return this.act(actor, roomId, 'set_role', peerId, { role }, async (room) => {
      const target = this.target(actor, room, peerId);
      if (target.role === 'host') throw new SignalingError('forbidden', "a host's role cannot be changed");
      target.role = role;
      room.broadcast('peerRoleChanged', { peerId: target.id, role });
      await this.applyPermissions(actor, target, this.access.permissionsFor(target, room.id), true);
      if (isModeratorRole(role)) target.channel.notify('lobbyChanged', { waiting: this.access.lobbyEntries(room) });
      return 1;
    });
  }

  remove(actor: Actor, roomId: string, peerId: string, reason = 'removed by a moderator'): Promise<number> {
    return this.act(actor, roomId, 'remove', peerId, { reason }, (room) => {
      const target = room.peers.get(peerId);
      if (!target) throw new SignalingError('not_found', `peer ${peerId} is not in room ${room.id}`);
      if (target.role === 'host' && actor.kind !== 'api') throw new SignalingError('forbidden', 'a host cannot be removed by a participant');
      if (actor.kind === 'participant' && actor.peer === target) throw new SignalingError('invalid_request', 'use leave to leave the room');
      this.access.ban(room.id, target.identity.subject);
      target.channel.notify('removed', { reason, by: shownActor(actor) });
      this.sessions.exitRoom(target, 'removed');
      return 1;
    });
  }

  endMeeting(actor: Actor, roomId: string, reason = 'the meeting was ended'): Promise<number> {
    return this.act(actor, roomId, 'end_meeting', roomId, { reason }, (room) => {
      const everyone = [...room.peers.values()];
      room.endReason = 'ended';
      for (const peer of everyone) peer.channel.notify('meetingEnded', { reason, by: shownActor(actor) });
      for (const peer of everyone) this.sessions.exitRoom(peer, 'meeting_ended');
      return everyone.length;
    });
  }

  /** A chat message from the portal to everyone in the room (server API). */
  async sendMessage(actor: Actor, roomId: string, text: string, displayName: string): Promise<{ messageId: string; timestamp: number }> {
    let sent!: { messageId: string; timestamp: number };
    await this.act(actor, roomId, 'send_message', roomId, { displayName, length: text.length }, (room) => {
      sent = this.chat.announce(room, text, displayName);
      return room.joinedPeers().length;
    });
    return sent;
  }

  /**
   * Starts recording the room (a host, a moderator or the server API); the
   * room's policy may forbid it. Everyone gets `recordingStateChanged`.
   */
  async startRecording(actor: Actor, roomId: string): Promise<RecordingNotice> {
    let notice!: RecordingNotice;
    await this.act(actor, roomId, 'start_recording', roomId, {}, async (room) => {
      notice = await this.recording.start(roomId, eventActor(actor));
      return room.joinedPeers().length;
    });
    return notice;
  }

  /** Stops it (a participant may not when the room's policy requires recording). */
  async stopRecording(actor: Actor, roomId: string): Promise<RecordingNotice> {
    let notice!: RecordingNotice;
    await this.act(actor, roomId, 'stop_recording', roomId, {}, async (room) => {
      notice = await this.recording.stop(roomId, eventActor(actor));
      return room.joinedPeers().length;
    });
    return notice;
  }

  /**
   * Lock, lobby (both sides), and through the server API also capacity and
   * participant permissions (applied at once to the participants present).
   */
  async updateSettings(actor: Actor, roomId: string, patch: RoomSettingsPatch): Promise<RoomSettings> {
    let settings!: RoomSettings;
    await this.act(actor, roomId, 'update_room_settings', roomId, { ...patch }, async (room) => {
      settings = await this.settings.update(roomId, patch);
      if (!room) return 0;
      room.broadcast('roomSettingsChanged', { settings });
      if (patch.recording) this.recording.policyChanged(roomId);
      if (patch.participantPermissions) {
        for (const peer of room.joinedPeers()) if (peer.role === 'participant') await this.applyPermissions(actor, peer, this.access.permissionsFor(peer, roomId), true);
      }
      // Lobby off: whoever was waiting comes in.
      if (patch.lobby === false && this.access.lobbyOf(room).length) await this.lobbyDecide(actor, roomId, true, { all: true });
      return 1;
    }, true);
    return settings;
  }

  /**
   * Gives `target` the permissions in `patch` (merged, or as a whole with
   * `replace`): a publish permission taken away pauses (mic, camera) or closes
   * (screen) the producers of that source; the peer hears of each.
   */
  private async applyPermissions(actor: Actor, target: Peer, patch: Partial<Permissions>, replace = false): Promise<void> {
    const next: Permissions = replace ? (patch as Permissions) : { ...target.permissions, ...definedOnly(patch) };
    const revoked = PERMISSION_NAMES.filter((p) => target.permissions[p] && !next[p]);
    target.permissions = next;
    for (const permission of revoked) {
      const source = SOURCE_OF[permission];
      if (source) await this.silence(actor, target, source);
    }
    target.channel.notify('permissionsChanged', { ...this.access.selfState(target), by: shownActor(actor) });
  }

  private async silence(actor: Actor, target: Peer, source: MutableSource): Promise<void> {
    for (const producer of [...target.producers.values()]) {
      const producerSource = String(producer.appData['source']);
      if (!SOURCES[source].includes(producerSource) || producer.closed) continue;
      const note = { producerId: producer.id, source: producerSource, by: shownActor(actor) };
      if (source === 'screen') {
        this.health.closeQuietly(producer);
        target.channel.notify('producerClosedByModerator', note);
      } else {
        if (!producer.paused) await producer.pause().catch((e: Error) => this.logger.warn(`pause() by moderator failed | producer=${producer.id} | ${e.message}`));
        target.channel.notify('producerPausedByModerator', note);
      }
    }
  }

  /** A moderation act: `moderation.<action>` in the audit trail and a `moderation.performed` event when it succeeds. */
  private act(actor: Actor, roomId: string, action: ModerationAction, target: string | null, detail: Record<string, unknown>, run: (room: Room) => number | Promise<number>, roomOptional = false): Promise<number> {
    return this.perform(actor, roomId, `moderation.${action}`, target, detail, async (room) => {
      const affected = await run(room);
      this.events.emit({ type: 'moderation.performed', roomId, action, by: eventActor(actor), target, detail });
      return affected;
    }, roomOptional);
  }

  /** Checks the actor may moderate `roomId`, runs the act, and audits its outcome either way. */
  private async perform<T>(actor: Actor, roomId: string, action: string, target: string | null, detail: Record<string, unknown>, run: (room: Room) => T | Promise<T>, roomOptional = false): Promise<T> {
    try {
      if (actor.kind === 'participant' && !(actor.peer.joined && actor.peer.roomId === roomId && isModeratorRole(actor.peer.role))) {
        throw new SignalingError('forbidden', 'only a host or moderator of this room may do this');
      }
      const room = this.rooms.get(roomId);
      if (!room && !roomOptional) throw new SignalingError('not_found', `room ${roomId} has no meeting in progress`);
      const result = await run(room as Room);
      void this.audit.record({ actor: auditActor(actor), action, roomId, target, outcome: 'ok', detail });
      this.logger.log(`${action} | room=${roomId} by=${actor.kind === 'api' ? `api:${actor.key}` : actor.peer.id} target=${target ?? '-'}`);
      return result;
    } catch (error) {
      const code = error instanceof SignalingError ? error.code : 'internal';
      void this.audit.record({ actor: auditActor(actor), action, roomId, target, outcome: code, detail });
      throw error;
    }
  }

  /** A joined or waiting peer of the room that a participant actor may act on (a host only by a host or the API). */
  private target(actor: Actor, room: Room, peerId: string): Peer {
    const target = room.peers.get(peerId);
    if (!target?.joined) throw new SignalingError('not_found', `peer ${peerId} is not in room ${room.id}`);
    if (target.role === 'host' && actor.kind === 'participant' && actor.peer.role !== 'host') throw new SignalingError('forbidden', 'only a host may moderate a host');
    return target;
  }
}
