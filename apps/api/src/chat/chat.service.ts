import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SignalingError, characterCount, type ChatMessageParams, type ChatMessageResult } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Peer } from '../peers/peer';
import type { Room } from '../rooms/room';
import { RoomsService } from '../rooms/rooms.service';

/** Room chat over the signaling channel: broadcast to every joined peer, sender included. */
@Injectable()
export class ChatService {
  private readonly logger = new Logger(ChatService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rooms: RoomsService,
  ) {}

  send(peer: Peer, { text }: ChatMessageParams): ChatMessageResult {
    const room = this.rooms.roomOf(peer);
    peer.assertPermitted('chat');
    const max = this.config.limits.maxChatLength;
    // Characters as people count them (an emoji is one), not UTF-16 units.
    const length = characterCount(text, max);
    if (length > max) throw new SignalingError('limit_exceeded', `chat messages are at most ${max} characters (got ${length})`);
    const message = { messageId: randomUUID(), peerId: peer.id, displayName: peer.displayName, text, timestamp: Date.now() };
    room.broadcast('chatMessage', message);
    this.logger.debug(`send() | peer=${peer.id} room=${room.id} length=${length}`);
    return { messageId: message.messageId, timestamp: message.timestamp };
  }

  /** A message from the portal (server API) to everyone in `room`: `peerId` is `server`. */
  announce(room: Room, text: string, displayName: string): ChatMessageResult {
    const max = this.config.limits.maxChatLength;
    const length = characterCount(text, max);
    if (length > max) throw new SignalingError('limit_exceeded', `chat messages are at most ${max} characters (got ${length})`);
    const message = { messageId: randomUUID(), peerId: 'server', displayName, text, timestamp: Date.now() };
    room.broadcast('chatMessage', message);
    return { messageId: message.messageId, timestamp: message.timestamp };
  }
}
