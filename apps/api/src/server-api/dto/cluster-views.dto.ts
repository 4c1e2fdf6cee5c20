import { ApiProperty } from '@nestjs/swagger';

/** Response shapes of the cluster route, for the OpenAPI document. */

export class ClusterNodeView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Signaling WebSocket URL clients are redirected to.' }) url!: string;
  @ApiProperty({ description: 'HTTP base URL of the node (health, server API).' }) httpUrl!: string;
  @ApiProperty() region!: string;
  @ApiProperty({ description: 'NODE_MAX_PEERS.' }) maxPeers!: number;
  @ApiProperty({ description: 'Rooms open on the node.' }) rooms!: number;
  @ApiProperty() peers!: number;
  @ApiProperty() consumers!: number;
  @ApiProperty({ description: 'Share of one core the API process used over the last heartbeat.' }) cpu!: number;
  @ApiProperty({ description: 'Draining (SIGTERM): takes no new rooms.' }) draining!: boolean;
  @ApiProperty({ description: 'Started, ms since the epoch.' }) startedAt!: number;
  @ApiProperty({ description: 'Last heartbeat, ms since the epoch.' }) updatedAt!: number;
  @ApiProperty({ description: 'This is the node that answered.' }) self!: boolean;
  @ApiProperty({ type: [String], description: 'Rooms the registry places on this node.' }) placedRooms!: string[];
}

export class ClusterView {
  @ApiProperty({ description: 'REDIS_URL is set: the server is one node of a cluster.' }) enabled!: boolean;
  @ApiProperty({ description: "This node's id." }) nodeId!: string;
  @ApiProperty({ description: "The cluster's Redis is reachable from this node now." }) redisUp!: boolean;
  @ApiProperty({ type: [ClusterNodeView], description: 'Live nodes (with only this node when the cluster is off or Redis is away).' }) nodes!: ClusterNodeView[];
}
