import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RoomsService } from '../rooms/rooms.service';
import { ClusterRedisService, KEY_PREFIX } from './cluster-redis.service';
import { nodeFromHash, nodeToHash, type ClusterNode } from './cluster-node';

export const NODES_KEY = `${KEY_PREFIX}nodes`;
export const nodeKey = (id: string): string => `${KEY_PREFIX}node:${id}`;

/**
 * The node registry: this node's entry (address, capacity, live load) renewed
 * every CLUSTER_HEARTBEAT_MS with a CLUSTER_NODE_TTL_MS expiry, and the list of
 * live nodes. A node that stops renewing (killed, cut off) expires and is dead
 * for everyone. Heartbeats that fail while Redis is away are retried on the
 * next beat; the node keeps serving the rooms it has.
 */
@Injectable()
export class NodeRegistryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(NodeRegistryService.name);
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();
  private cpuMark = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  private cpuShare = 0;
  private drainingFlag = false;
  private readonly beatListeners = new Set<() => Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: ClusterRedisService,
    private readonly rooms: RoomsService,
  ) {}

  get selfId(): string {
    return this.config.cluster.nodeId;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Once: a second call would start a second heartbeat that onModuleDestroy never stops.
    if (!this.redis.enabled || this.timer) return;
    const up = await this.redis.start();
    this.logger.log(`cluster node ${this.selfId} | url=${this.config.cluster.publicUrl} region=${this.config.cluster.region} redis=${up ? 'up' : 'not reachable yet (retrying)'}`);
    this.timer = setInterval(() => void this.beat(), this.config.cluster.heartbeatMs);
    this.timer.unref();
    await this.beat();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.redis.up) return;
    // A clean stop leaves at once instead of waiting for the entry to expire.
    await this.redis.client.multi().del(nodeKey(this.selfId)).zrem(NODES_KEY, this.selfId).exec().catch(() => undefined);
  }

  /** Also run on every heartbeat (room ownership renewal, dead-node sweep). */
  onBeat(run: () => Promise<void>): void {
    this.beatListeners.add(run);
  }

  /** Stop taking new rooms (SIGTERM drain); published with the next beat, which this call sends now. */
  async setDraining(): Promise<void> {
    this.drainingFlag = true;
    await this.beat();
  }

  /** This node as it would be written now. */
  self(): ClusterNode {
    let peers = 0;
    let consumers = 0;
    const rooms = this.rooms.all();
    for (const room of rooms) {
      peers += room.peers.size;
      for (const peer of room.peers.values()) consumers += peer.consumers.size;
    }
    const { nodeId, publicUrl, httpUrl, region, maxPeers } = this.config.cluster;
    return { id: nodeId, url: publicUrl, httpUrl, region, maxPeers, rooms: rooms.length, peers, consumers, cpu: this.cpuShare, draining: this.drainingFlag, startedAt: this.startedAt, updatedAt: Date.now() };
  }

  /** Live nodes (their entry has not expired), this one included when registered. */
  async liveNodes(): Promise<ClusterNode[]> {
    const client = this.redis.client;
    const ids = await client.zrange(NODES_KEY, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hgetall(nodeKey(id));
    const hashes = (await pipeline.exec()) ?? [];
    const nodes: ClusterNode[] = [];
    // Expired entries stay in the index until the placement has swept their rooms (deadNodeIds).
    for (const [error, hash] of hashes) {
      const node = error ? null : nodeFromHash(hash as Record<string, string>);
      if (node) nodes.push(node);
    }
    return nodes;
  }

  /** Ids in the index whose entry has expired: dead nodes not swept yet. */
  async deadNodeIds(): Promise<string[]> {
    const client = this.redis.client;
    const ids = await client.zrange(NODES_KEY, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.exists(nodeKey(id));
    const exists = (await pipeline.exec()) ?? [];
    return ids.filter((_, i) => exists[i]?.[1] === 0);
  }

  async node(id: string): Promise<ClusterNode | null> {
    return nodeFromHash(await this.redis.client.hgetall(nodeKey(id)));
  }

  private async beat(): Promise<void> {
    this.sampleCpu();
    if (!this.redis.up) return;
    const self = this.self();
    try {
      await this.redis.client
        .multi()
        .hset(nodeKey(self.id), nodeToHash(self))
        .pexpire(nodeKey(self.id), this.config.cluster.nodeTtlMs)
        .zadd(NODES_KEY, self.updatedAt, self.id)
        .exec();
    } catch (error) {
      this.logger.warn(`heartbeat failed | ${(error as Error).message}`);
      return;
    }
    // Each listener on its own: one that fails does not stop the others.
    for (const run of this.beatListeners) {
      await run().catch((error: Error) => this.logger.warn(`heartbeat listener failed | ${error.message}`));
    }
  }

  private sampleCpu(): void {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const elapsedUs = Number(now - this.cpuMark.at) / 1000;
    if (elapsedUs > 0) this.cpuShare = Math.round(((usage.user - this.cpuMark.usage.user + usage.system - this.cpuMark.usage.system) / elapsedUs) * 1000) / 1000;
    this.cpuMark = { usage, at: now };
  }
}
