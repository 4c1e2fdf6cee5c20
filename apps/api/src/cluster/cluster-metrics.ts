import { Gauge, type Registry } from 'prom-client';
import type { ClusterRedisService } from './cluster-redis.service';
import type { NodeRegistryService } from './node-registry.service';
import type { RoomHomeService } from './room-home.service';

/**
 * `confer_cluster_node{node,region}` (1: this node's identity), `confer_cluster_redis_up`,
 * `confer_cluster_nodes` (live nodes as this node sees them), `confer_cluster_redirects`
 * (clients sent to another node since start-up), `confer_cluster_placement_failures`
 * (`cluster_unavailable` answers since start-up). Without REDIS_URL: node 1, the rest 0.
 */
export function registerClusterMetrics(registry: Registry, redis: ClusterRedisService, nodes: NodeRegistryService, home: RoomHomeService): void {
  const registers = [registry];
  const self = nodes.self();
  new Gauge({ name: 'confer_cluster_node', help: "This node's id and region (value 1).", labelNames: ['node', 'region'], registers }).set({ node: self.id, region: self.region }, 1);
  new Gauge({ name: 'confer_cluster_redis_up', help: "1 while the cluster's Redis is reachable (0 without REDIS_URL).", registers, collect() { this.set(redis.enabled && redis.up ? 1 : 0); } });
  new Gauge({
    name: 'confer_cluster_nodes',
    help: 'Live nodes of the cluster as this node sees them (1 without REDIS_URL).',
    registers,
    async collect() {
      if (!redis.enabled) return this.set(1);
      this.set(redis.up ? await nodes.liveNodes().then((n) => n.length, () => 0) : 0);
    },
  });
  new Gauge({ name: 'confer_cluster_redirects', help: 'Clients redirected to the node owning their room, since start-up.', registers, collect() { this.set(home.redirects); } });
  new Gauge({ name: 'confer_cluster_placement_failures', help: 'Room placements refused with cluster_unavailable, since start-up.', registers, collect() { this.set(home.placementFailures); } });
}
