import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { MediaModule } from '../media/media.module';
import { RoomsModule } from '../rooms/rooms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { EdgeHubService } from './edge-hub.service';
import { EdgeRoomService } from './edge-room.service';

/**
 * Rooms across nodes for large audiences (CLUSTER_EDGE_VIEWERS_AT): the room's
 * node mirrors the room to edge nodes (EdgeHubService), which serve viewers
 * with the producers piped in (EdgeRoomService). Above sessions, below signaling.
 */
@Module({
  imports: [SessionsModule, MediaModule, ChatModule, RoomsModule],
  providers: [EdgeHubService, EdgeRoomService],
  exports: [EdgeRoomService],
})
export class EdgeModule {}
