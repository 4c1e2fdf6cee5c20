import { Inject, Injectable } from '@nestjs/common';
import { isModeratorRole, SignalingError, type LobbyEntry, type Permissions, type SelfState } from '@confer/signaling-contracts';
import { ClusterBansService } from '../cluster/cluster-bans.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import type { Peer } from '../peers/peer';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import type { Room } from '../rooms/room';

const NOTHING: Permissions = { publishAudio: false, publishVideo: false, publishScreen: false, chat: false, sendFiles: false };
const EVERYTHING: Permissions = { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true };

/**
 * Who gets into a room and what they may do there: removal bans, the lock,
 * the lobby (a waiting peer is in the room but not joined: it sees no media and
 * no participants), and each peer's permissions from its role and the room's
 * settings. Moderation acts change this state through ModerationService.
 */
@Injectable()
export class RoomAccessService {
  /** `roomId \n subject` → ms since the epoch until which that identity may not re-enter. */
  private readonly bans = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly settings: RoomSettingsService,
    private readonly events: EventsService,
    private readonly clusterBans: ClusterBansService,
  ) {}

  /** `forbidden` when the identity was removed from the room recently, or the room is locked (moderators and admitted peers excepted). */
  assertMayEnter(peer: Peer, roomId: string): void {
    if (peer.roomId === roomId) return;
    const until = this.bans.get(banKey(roomId, peer.identity.subject));
    if (until !== undefined && until > Date.now()) {
      throw new SignalingError('forbidden', `removed from room "${roomId}" by a moderator; try again in ${Math.ceil((until - Date.now()) / 1000)} s`, { reason: 'removed' });
    }
    if (until !== undefined) this.bans.delete(banKey(roomId, peer.identity.subject));
    if (this.settings.get(roomId).locked && !isModeratorRole(peer.role) && peer.admittedTo !== roomId) {
      throw new SignalingError('forbidden', `room "${roomId}" is locked`, { reason: 'locked' });
    }
  }

  /** Keeps `subject` out of `roomId` for REMOVAL_BAN_S seconds. */
  ban(roomId: string, subject: string): void {
    const now = Date.now();
    for (const [key, until] of this.bans) if (until <= now) this.bans.delete(key);
    if (this.config.portal.removalBanMs > 0) this.bans.set(banKey(roomId, subject), now + this.config.portal.removalBanMs);
    // Cluster: kept in Redis too, for the room's next node after a failover.
    this.clusterBans.record(roomId, subject, this.config.portal.removalBanMs);
  }

  /** True when `peer` must wait in the lobby before joining `room`. */
  mustWait(peer: Peer, room: Room): boolean {
    return this.settings.get(room.id).lobby && !isModeratorRole(peer.role) && peer.grants.canBypassLobby !== true && peer.admittedTo !== room.id;
  }

  /** Puts `peer` in the lobby (idempotent) and tells the room's moderators. */
  wait(peer: Peer, room: Room): void {
    if (peer.lobbySince !== null) return;
    peer.lobbySince = Date.now();
    this.lobbyChanged(room);
    this.events.emit({ type: 'lobby.waiting', roomId: room.id, peerId: peer.id, displayName: peer.displayName });
  }

  /** Peers waiting in `room`'s lobby, longest waiting first. */
  lobbyOf(room: Room): Peer[] {
    return [...room.peers.values()].filter((p) => !p.joined && p.lobbySince !== null).sort((a, b) => (a.lobbySince as number) - (b.lobbySince as number));
  }

  lobbyEntries(room: Room): LobbyEntry[] {
    return this.lobbyOf(room).map((p) => ({ peerId: p.id, displayName: p.displayName, since: p.lobbySince as number }));
  }

  /** Sends the lobby to every joined moderator of `room`. */
  lobbyChanged(room: Room): void {
    const waiting = this.lobbyEntries(room);
    for (const p of room.joinedPeers()) if (isModeratorRole(p.role)) p.channel.notify('lobbyChanged', { waiting });
  }

  /** Permissions a peer of this role gets in `roomId`: moderators everything, participants the room's, viewers chat at most; never beyond the token's grants. */
  permissionsFor(peer: Peer, roomId: string): Permissions {
    const room = this.settings.get(roomId);
    const base = isModeratorRole(peer.role) ? EVERYTHING : peer.role === 'viewer' ? { ...NOTHING, chat: room.participantPermissions.chat } : room.participantPermissions;
    const publish = peer.grants.canPublish;
    return { ...base, publishAudio: base.publishAudio && publish, publishVideo: base.publishVideo && publish, publishScreen: base.publishScreen && publish };
  }

  selfState(peer: Peer): SelfState {
    return { role: peer.role, permissions: { ...peer.permissions } };
  }
}

function banKey(roomId: string, subject: string): string {
  return `${roomId}\n${subject}`;
}
