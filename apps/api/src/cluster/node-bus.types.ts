import type { WireError } from '@confer/signaling-contracts';

/**
 * Requests one node sends another over the node bus, by method: what the
 * caller sends (`params`) and what the handler answers (`result`). Each
 * feature declares its own methods by merging into this interface:
 *
 *   declare module './node-bus.types' {
 *     interface NodeBusRequests { 'room.where': { params: { roomId: string }; result: { nodeId: string } } }
 *   }
 *
 * The types are the sender's promise only: a handler gets `unknown` and must
 * validate it (another process, reached through Redis, is untrusted input).
 */
export interface NodeBusRequests {
  /** Round trip through the bus (tests, benchmarks, a health probe); answers the handler node's clock. */
  'bus.ping': { params: Record<string, never>; result: { at: number } };
}

/** One-way messages between nodes, by method (no answer, no delivery guarantee beyond Redis pub/sub's). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
export interface NodeBusMessages {}

export type NodeBusRequestMethod = keyof NodeBusRequests & string;
export type NodeBusMessageMethod = keyof NodeBusMessages & string;

/** Who sent a request or message (its HMAC verified). */
export interface NodeBusContext {
  /** The sending node's id. */
  from: string;
}

/**
 * Why a bus request failed:
 * - `node_unavailable`: the target node is not live in the registry, or nobody listens on its channel;
 * - `timeout`: no answer within the request's timeout (the node died, or is stuck);
 * - `remote`: the handler answered with an error (`remote` holds its wire code and reason);
 * - `closed`: this node's bus closed while the request was pending;
 * - `invalid`: the request could not be sent (too large, not serializable, bus not configured).
 */
export type NodeBusErrorCode = 'node_unavailable' | 'timeout' | 'remote' | 'closed' | 'invalid';

/** A failed node bus request. */
export class NodeBusError extends Error {
  override readonly name = 'NodeBusError';

  constructor(
    readonly code: NodeBusErrorCode,
    message: string,
    readonly node: string,
    readonly method: string,
    /** The handler's error, for `remote`. */
    readonly remote?: WireError,
  ) {
    super(message);
  }
}
