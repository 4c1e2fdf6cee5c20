import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RoomsModule } from '../rooms/rooms.module';
import { ClusterBansService } from './cluster-bans.service';
import { CLUSTER_PIPE_PROVIDERS } from './cluster-pipes.providers';
import { ClusterRedisService } from './cluster-redis.service';
import { NodeRegistryService } from './node-registry.service';
import { RoomHandoverService } from './room-handover.service';
import { RoomHomeService } from './room-home.service';
import { RoomPlacementService } from './room-placement.service';

/**
 * Scale-out over Redis (REDIS_URL): node registry, room placement, the
 * redirect gate, the drain hand-over, the node bus and cross-node pipes. Without REDIS_URL every service here
 * is inert and the server is one node. Above rooms/, below sessions/.
 */
@Module({
  imports: [AuthModule, RoomsModule],
  providers: [ClusterBansService, ClusterRedisService, NodeRegistryService, RoomPlacementService, RoomHomeService, RoomHandoverService, ...CLUSTER_PIPE_PROVIDERS],
  exports: [ClusterBansService, ClusterRedisService, NodeRegistryService, RoomPlacementService, RoomHomeService, RoomHandoverService, ...CLUSTER_PIPE_PROVIDERS],
})
export class ClusterModule {}
