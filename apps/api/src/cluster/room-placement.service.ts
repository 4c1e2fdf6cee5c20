import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NODE_PLACEMENT, type NodePlacement } from '../policies/node-placement';
import { EventsService } from '../events/events.service';
import { RoomsService } from '../rooms/rooms.service';
import { ClusterRedisService, KEY_PREFIX, unavailable } from './cluster-redis.service';
import { NodeBusService } from './node-bus.service';
import { NodeRegistryService, NODES_KEY, nodeKey } from './node-registry.service';

export const roomKey = (roomId: string): string => `${KEY_PREFIX}room:${roomId}`;
export const nodeRoomsKey = (nodeId: string): string => `${KEY_PREFIX}node-rooms:${nodeId}`;

/**
 * Claims `room` for `candidate` unless a live node owns it already; answers the
 * owner after the call (nil when the candidate is not live). Atomic: two nodes
 * placing the same room at once agree on one owner.
 * KEYS[1] room key; ARGV: candidate, room id, node key prefix, node-rooms prefix.
 */
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur and redis.call('EXISTS', ARGV[3] .. cur) == 1 then return cur end
if redis.call('EXISTS', ARGV[3] .. ARGV[1]) == 0 then return false end
redis.call('SET', KEYS[1], ARGV[1])
if cur then redis.call('SREM', ARGV[4] .. cur, ARGV[2]) end
redis.call('SADD', ARGV[4] .. ARGV[1], ARGV[2])
return ARGV[1]`;

/** Moves `room` from ARGV[1] (its owner) to ARGV[2] (live): a drain's hand-over. Answers 1 when moved. */
const HAND_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', ARGV[4] .. ARGV[2]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SREM', ARGV[5] .. ARGV[1], ARGV[3])
redis.call('SADD', ARGV[5] .. ARGV[2], ARGV[3])
return 1`;

/** Deletes `room` if ARGV[1] still owns it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[3] .. ARGV[1], ARGV[2])
return 1`;

/** Deletes a node's entry if it is still silent (PTTL under ARGV[1]): a node found dead by a probe. Answers 1 when deleted. */
const DECLARE_DEAD = `
local pttl = redis.call('PTTL', KEYS[1])
if pttl >= 0 and pttl < tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return 1 end
return 0`;

/** How long a silent owner has to answer the probe. */
const PROBE_TIMEOUT_MS = 500;
/** Heartbeats an owner may miss before it is probed. */
const MISSED_BEATS = 2;

/**
 * Room placement: every room has one owning node, recorded in Redis
 * (`confer:room:<id>` → node id). A room with no live owner is placed by the
 * {@link NodePlacement} policy and claimed atomically; a node's rooms are
 * released when they close, swept to live nodes when it dies, handed over
 * when it drains, and re-claimed by it after Redis lost them (a restart).
 */
@Injectable()
export class RoomPlacementService implements OnModuleInit {
  private readonly logger = new Logger(RoomPlacementService.name);
  /** Local rooms whose claim is known to be in Redis; emptied when Redis comes back (it may have lost them). */
  private readonly confirmed = new Set<string>();
  /** Probes of silent owners in flight or just answered (one per node for a moment, however many clients ask). */
  private readonly probes = new Map<string, { at: number; alive: Promise<boolean> }>();

  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly rooms: RoomsService,
    private readonly events: EventsService,
    @Inject(NODE_PLACEMENT) private readonly policy: NodePlacement,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: NodeBusService,
  ) {}

  onModuleInit(): void {
    if (!this.redis.enabled) return;
    this.registry.onBeat(() => this.onBeat());
    this.redis.onUp(() => this.confirmed.clear());
    // A room that closed here is free again.
    this.events.attach({
      emit: (event) => {
        if (event.type === 'room.finished') void this.release(event.roomId);
      },
    });
  }

  /**
   * The live owner of `roomId`, or null when it has none. An owner that has
   * missed two heartbeats (its entry not renewed for 2 × CLUSTER_HEARTBEAT_MS,
   * timed by Redis, not by clocks) is probed over the node bus; one that does
   * not answer within 500 ms (a killed node has no subscriber: at once) is
   * dead now, without waiting for its entry to expire (CLUSTER_NODE_TTL_MS).
   */
  async ownerOf(roomId: string): Promise<string | null> {
    const owner = await this.redis.client.get(roomKey(roomId));
    if (!owner) return null;
    if (owner === this.registry.selfId) return owner;
    const pttl = await this.redis.client.pttl(nodeKey(owner));
    if (pttl < 0) return null;
    const silentMs = this.config.cluster.nodeTtlMs - pttl;
    if (silentMs > MISSED_BEATS * this.config.cluster.heartbeatMs && !(await this.answers(owner))) {
      await this.redis.client.eval(DECLARE_DEAD, 1, nodeKey(owner), String(this.config.cluster.nodeTtlMs - MISSED_BEATS * this.config.cluster.heartbeatMs));
      this.logger.warn(`node ${owner} missed its heartbeat and does not answer: dead (room ${roomId} is placed again)`);
      return null;
    }
    return owner;
  }

  private answers(nodeId: string): Promise<boolean> {
    const recent = this.probes.get(nodeId);
    if (recent && Date.now() - recent.at < 1000) return recent.alive;
    const alive = this.bus.request(nodeId, 'bus.ping', {}, { timeoutMs: PROBE_TIMEOUT_MS }).then(
      () => true,
      () => false,
    );
    this.probes.set(nodeId, { at: Date.now(), alive });
    for (const [id, probe] of this.probes) if (Date.now() - probe.at > 5000) this.probes.delete(id);
    return alive;
  }

  /** The owner of `roomId`, placing the room first when it has no live owner. `cluster_unavailable` when no node can take it. */
  async locate(roomId: string, region?: string): Promise<string> {
    const owner = await this.ownerOf(roomId);
    if (owner) return owner;
    const nodes = await this.registry.liveNodes();
    const chosen = this.policy.place(nodes, { roomId, region, selfId: this.registry.selfId });
    if (!chosen || !nodes.some((n) => n.id === chosen)) throw unavailable(`no live node can take room "${roomId}" now`);
    const claimed = await this.claim(roomId, chosen);
    if (claimed) return claimed;
    // The chosen node died in between: this node takes it (or whoever won meanwhile).
    const fallback = await this.claim(roomId, this.registry.selfId);
    if (!fallback) throw unavailable(`no live node can take room "${roomId}" now`);
    return fallback;
  }

  /** Gives a room this node owns to `toNodeId` (drain); false when it was not ours or the target is not live. */
  async handOver(roomId: string, toNodeId: string): Promise<boolean> {
    const moved = await this.redis.client.eval(HAND_OVER, 1, roomKey(roomId), this.registry.selfId, toNodeId, roomId, nodeKey(''), nodeRoomsKey(''));
    if (moved === 1) this.confirmed.delete(roomId);
    return moved === 1;
  }

  /** Rooms of the cluster by owning node (the server API's cluster view). */
  async roomsByNode(nodeIds: string[]): Promise<Map<string, string[]>> {
    const pipeline = this.redis.client.pipeline();
    for (const id of nodeIds) pipeline.smembers(nodeRoomsKey(id));
    const answers = (await pipeline.exec()) ?? [];
    return new Map(nodeIds.map((id, i) => [id, ((answers[i]?.[1] as string[] | undefined) ?? []).sort()]));
  }

  private async claim(roomId: string, candidate: string): Promise<string | null> {
    const owner = await this.redis.client.eval(CLAIM, 1, roomKey(roomId), candidate, roomId, nodeKey(''), nodeRoomsKey(''));
    return typeof owner === 'string' ? owner : null;
  }

  private async release(roomId: string): Promise<void> {
    this.confirmed.delete(roomId);
    if (!this.redis.up || this.rooms.get(roomId)) return;
    await this.redis.client.eval(RELEASE, 1, roomKey(roomId), this.registry.selfId, roomId, nodeRoomsKey('')).catch((e: Error) => this.logger.warn(`release of room ${roomId} failed | ${e.message}`));
  }

  /** Every heartbeat: claims for local rooms Redis does not know yet (after a restart), then sweeps dead nodes. */
  private async onBeat(): Promise<void> {
    const self = this.registry.selfId;
    for (const room of this.rooms.all()) {
      if (this.confirmed.has(room.id) || room.closed) continue;
      const owner = await this.claim(room.id, self);
      if (owner === self) this.confirmed.add(room.id);
      else if (owner) this.logger.warn(`room ${room.id} is served here but owned by node ${owner} in the registry; new clients go there`);
    }
    await this.sweepDeadNodes();
  }

  /** Rooms of nodes whose entry expired go to live nodes (created there when their clients come back). */
  private async sweepDeadNodes(): Promise<void> {
    const dead = await this.registry.deadNodeIds();
    if (dead.length === 0) return;
    const nodes = await this.registry.liveNodes();
    for (const id of dead) {
      const roomIds = await this.redis.client.smembers(nodeRoomsKey(id));
      for (const roomId of roomIds) {
        const chosen = this.policy.place(nodes, { roomId, selfId: this.registry.selfId }) ?? this.registry.selfId;
        const owner = await this.claim(roomId, chosen);
        this.logger.warn(`room ${roomId} of dead node ${id} → node ${owner ?? '(none live)'}`);
      }
      await this.redis.client.multi().del(nodeRoomsKey(id)).zrem(NODES_KEY, id).exec();
    }
  }
}
