import type { Identity } from '../auth/identity';

/** What a peer wants to do in a room, for {@link RoomPolicy.may}. */
export type RoomAction = 'enter' | 'publish' | 'subscribe' | 'publishData' | 'moderate';

/**
 * Who may do what in which room, and how many fit. Provide your own under
 * {@link ROOM_POLICY} (or `ConferModule.forRoot({ roomPolicy })`) to ask your
 * portal's directory, lock rooms, or size them per room. A refusal is answered
 * `forbidden` (`limit_exceeded` when the room is full).
 */
export interface RoomPolicy {
  may(identity: Identity, roomId: string, action: RoomAction): boolean | Promise<boolean>;
  /** Most peers in `roomId`. */
  capacity(roomId: string): number;
}

export const ROOM_POLICY = Symbol('ROOM_POLICY');

/** The token decides: its `rooms` for entering, its `grants` for the rest; MAX_PEERS_PER_ROOM for every room. */
export class TokenRoomPolicy implements RoomPolicy {
  constructor(private readonly maxPeersPerRoom: number) {}

  may(identity: Identity, roomId: string, action: RoomAction): boolean {
    switch (action) {
      case 'enter':
        return identity.rooms.includes('*') || identity.rooms.includes(roomId);
      case 'publish':
        return identity.grants.canPublish;
      case 'subscribe':
        return identity.grants.canSubscribe;
      case 'publishData':
        return identity.grants.canPublishData;
      case 'moderate':
        return identity.grants.roomAdmin;
    }
  }

  capacity(): number {
    return this.maxPeersPerRoom;
  }
}
