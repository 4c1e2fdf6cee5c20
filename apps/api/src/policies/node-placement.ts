/** What node placement knows of one live node (the registry's entry). */
export interface NodeLoad {
  id: string;
  region: string;
  maxPeers: number;
  rooms: number;
  peers: number;
  consumers: number;
  /** Share of one core the node's API process used over its last heartbeat. */
  cpu: number;
  draining: boolean;
}

/** The room being placed and the node asking (the one the client reached). */
export interface NodePlacementRequest {
  roomId: string;
  /** The region the room prefers (a server API room's `region`), when it has one. */
  region?: string;
  /** The node that received the request: placing the room there costs the client no redirect. */
  selfId: string;
}

/**
 * Which node a room that has no live owner goes to (cluster mode, REDIS_URL).
 * Returns a node `id` from `nodes`, or null to refuse (the client gets
 * `cluster_unavailable`). Provide your own under {@link NODE_PLACEMENT} (or
 * `ConferModule.forRoot({ nodePlacement })`), e.g. to pin a tenant's rooms
 * to its own nodes.
 */
export interface NodePlacement {
  place(nodes: readonly NodeLoad[], request: NodePlacementRequest): string | null;
}

export const NODE_PLACEMENT = Symbol('NODE_PLACEMENT');

/** A node whose API process used more than this share of one core over its last heartbeat is busy. */
export const BUSY_CPU = 0.85;

/** How full a node is, 0 = idle: its share of NODE_MAX_PEERS. */
export function nodeLoadScore(node: NodeLoad): number {
  return node.peers / Math.max(1, node.maxPeers);
}

/**
 * The default: nodes that are not draining; of those, the room's region first
 * when it has one (any region when none of its nodes is live); nodes under
 * NODE_MAX_PEERS before full ones, and not busy (CPU over {@link BUSY_CPU} of a
 * core: its event loop is saturated) before busy ones; then the lowest
 * {@link nodeLoadScore}. Within 0.05 of the best the asking node wins (no
 * redirect for the client). CPU only sorts nodes out when it is high: a
 * second's CPU share is too noisy to rank idle nodes by.
 */
export class LeastLoadedNodePlacement implements NodePlacement {
  place(nodes: readonly NodeLoad[], request: NodePlacementRequest): string | null {
    let candidates = nodes.filter((n) => !n.draining);
    if (request.region) {
      const inRegion = candidates.filter((n) => n.region === request.region);
      if (inRegion.length) candidates = inRegion;
    }
    const withRoom = candidates.filter((n) => n.peers < n.maxPeers);
    if (withRoom.length) candidates = withRoom;
    const notBusy = candidates.filter((n) => n.cpu <= BUSY_CPU);
    if (notBusy.length) candidates = notBusy;
    if (candidates.length === 0) return null;
    const best = Math.min(...candidates.map(nodeLoadScore));
    const self = candidates.find((n) => n.id === request.selfId);
    if (self && nodeLoadScore(self) <= best + 0.05) return self.id;
    return [...candidates].sort((a, b) => nodeLoadScore(a) - nodeLoadScore(b) || a.id.localeCompare(b.id))[0].id;
  }
}
