import { Injectable } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import { MeetingHistoryService } from '../history/meeting-history.service';
import type { Peer } from '../peers/peer';
import { RoomAccessService } from '../room-access/room-access.service';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import { RoomsService } from '../rooms/rooms.service';
import type { ParticipantView, RoomView } from './dto/room-views.dto';

/** What the server API shows of rooms: those created through it and those with a meeting in progress. */
@Injectable()
export class RoomDirectoryService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly settings: RoomSettingsService,
    private readonly access: RoomAccessService,
    private readonly history: MeetingHistoryService,
  ) {}

  list(): RoomView[] {
    const ids = new Set([...this.settings.configuredRooms().map((r) => r.roomId), ...this.rooms.all().map((r) => r.id)]);
    return [...ids].sort().map((id) => this.view(id) as RoomView);
  }

  /** The room, or `not_found` when it was neither created through the API nor has a meeting in progress. */
  get(roomId: string): RoomView {
    const view = this.view(roomId);
    if (!view) throw new SignalingError('not_found', `no room ${roomId}`);
    return view;
  }

  participants(roomId: string): ParticipantView[] {
    this.get(roomId);
    const room = this.rooms.get(roomId);
    if (!room) return [];
    return [...room.peers.values()].filter((p) => p.joined || p.lobbySince !== null).map(participantView);
  }

  private view(roomId: string): RoomView | null {
    const configured = this.settings.configuredRoom(roomId);
    const room = this.rooms.get(roomId);
    if (!configured && !room) return null;
    return {
      roomId,
      settings: this.settings.get(roomId),
      created: configured !== undefined,
      createdAt: configured?.createdAt ?? null,
      live: room !== undefined,
      meetingId: this.history.meetingOf(roomId) ?? null,
      participants: room ? room.joinedPeers().length : 0,
      waiting: room ? this.access.lobbyOf(room).length : 0,
    };
  }
}

function participantView(peer: Peer): ParticipantView {
  return {
    peerId: peer.id,
    subject: peer.identity.subject,
    displayName: peer.displayName,
    role: peer.role,
    state: peer.joined ? 'joined' : 'waiting',
    permissions: { ...peer.permissions },
    tracks: [...peer.producers.values()].map((p) => ({ producerId: p.id, kind: p.kind, source: String(p.appData['source'] ?? ''), paused: p.paused })),
  };
}
