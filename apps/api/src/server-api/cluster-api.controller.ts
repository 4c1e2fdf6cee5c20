import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ClusterRedisService } from '../cluster/cluster-redis.service';
import { NodeRegistryService } from '../cluster/node-registry.service';
import { RoomPlacementService } from '../cluster/room-placement.service';
import { RoomsService } from '../rooms/rooms.service';
import { ClusterView } from './dto/cluster-views.dto';
import { SERVER_API_PREFIX, ServerApi } from './server-api.decorator';

/** The cluster as this node sees it: live nodes, their load and the rooms placed on each. */
@ServerApi('cluster')
@Controller(`${SERVER_API_PREFIX}/cluster`)
export class ClusterApiController {
  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly placement: RoomPlacementService,
    private readonly rooms: RoomsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Live nodes with their address, region, capacity and load, and the rooms placed on each. Any node answers for the whole cluster.' })
  @ApiOkResponse({ type: ClusterView })
  async get(): Promise<ClusterView> {
    const self = this.registry.self();
    const alone = (): ClusterView => ({
      enabled: this.redis.enabled,
      nodeId: self.id,
      redisUp: this.redis.enabled && this.redis.up,
      nodes: [{ ...self, self: true, placedRooms: this.rooms.all().map((r) => r.id).sort() }],
    });
    if (!this.redis.enabled || !this.redis.up) return alone();
    try {
      const nodes = await this.registry.liveNodes();
      const placed = await this.placement.roomsByNode(nodes.map((n) => n.id));
      nodes.sort((a, b) => a.id.localeCompare(b.id));
      return { enabled: true, nodeId: self.id, redisUp: true, nodes: nodes.map((n) => ({ ...n, self: n.id === self.id, placedRooms: placed.get(n.id) ?? [] })) };
    } catch {
      return alone();
    }
  }
}
