import { Inject, Injectable, Logger } from '@nestjs/common';
import { NODE_PLACEMENT, type NodePlacement } from '../policies/node-placement';
import { RoomsService } from '../rooms/rooms.service';
import { ClusterRedisService } from './cluster-redis.service';
import { NodeRegistryService } from './node-registry.service';
import { RoomHomeService } from './room-home.service';
import { RoomPlacementService } from './room-placement.service';

/**
 * A drain's hand-over (SIGTERM on a cluster node): the node stops taking rooms,
 * and each of its rooms is given to a live node chosen by the placement
 * policy, so that the gateway can send every peer there (`serverShutdown`
 * with `moveTo`) before the sockets close.
 */
@Injectable()
export class RoomHandoverService {
  private readonly logger = new Logger(RoomHandoverService.name);

  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly placement: RoomPlacementService,
    private readonly rooms: RoomsService,
    private readonly home: RoomHomeService,
    @Inject(NODE_PLACEMENT) private readonly policy: NodePlacement,
  ) {}

  /** Room id → the node it was handed to; rooms that could not be handed over are absent. */
  async handOverAll(): Promise<Map<string, string>> {
    const moved = new Map<string, string>();
    if (!this.redis.enabled || !this.redis.up) return moved;
    try {
      await this.registry.setDraining();
      const others = (await this.registry.liveNodes()).filter((n) => n.id !== this.registry.selfId && !n.draining);
      for (const room of this.rooms.all()) {
        const to = this.policy.place(others, { roomId: room.id, selfId: this.registry.selfId });
        // An edge room's viewers go back to the room's node, which sends them to a live edge.
        const edgeOwner = this.home.edgeRooms.get(room.id);
        if (edgeOwner) moved.set(room.id, edgeOwner);
        else if (to && (await this.placement.handOver(room.id, to))) moved.set(room.id, to);
      }
    } catch (error) {
      this.logger.warn(`hand-over stopped | ${(error as Error).message}`);
    }
    this.logger.warn(`hand-over | ${moved.size}/${this.rooms.all().length} rooms moved | ${[...moved].map(([r, n]) => `${r}→${n}`).join(' ')}`);
    return moved;
  }
}
