import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { RoomsModule } from '../rooms/rooms.module';
import { RoomAccessService } from './room-access.service';

/** Bans, lock, lobby and permissions; above rooms, below sessions and moderation. */
@Module({
  imports: [RoomsModule, ClusterModule],
  providers: [RoomAccessService],
  exports: [RoomAccessService],
})
export class RoomAccessModule {}
