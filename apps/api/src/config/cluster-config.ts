import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { EnvironmentVariables } from './config-variables';

/** Scale-out over Redis (apps/api/src/cluster/). `redisUrl: null` = one node, exactly as without a cluster. */
export interface ClusterConfig {
  redisUrl: string | null;
  /** This node's id in the registry (NODE_ID, else host name + random suffix: unique per process). */
  nodeId: string;
  /** Where clients reach this node's signaling WebSocket (a redirect sends them there). */
  publicUrl: string;
  /** Where other nodes and tools reach this node's HTTP server (health, server API). */
  httpUrl: string;
  /** Placement label: a room asked for in a region prefers nodes of that region. */
  region: string;
  /** Peers this node should carry; placement skips a node at or over it while others have room. */
  maxPeers: number;
  /** HMAC key of redirect tokens and node-to-node messages; the same on every node. */
  secret: Uint8Array | null;
  heartbeatMs: number;
  /** A node that has not renewed its entry for this long is dead; its rooms are reassigned. */
  nodeTtlMs: number;
  redirectTokenS: number;
  /** CLUSTER_PIPE_SRTP: media piped between nodes (remote-pipe.service.ts) is SRTP-encrypted. */
  pipeSrtp: boolean;
  /** CLUSTER_EDGE_VIEWERS_AT: peers on a room's node past which new viewers go to edge nodes; 0 = no edge rooms. */
  edgeViewersAt: number;
}

/** Builds {@link ClusterConfig}, pushing one message per bad variable into `problems`. */
export function clusterConfig(vars: EnvironmentVariables, problems: string[]): ClusterConfig {
  const redisUrl = vars.REDIS_URL?.trim() || null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  if (redisUrl && !vars.CLUSTER_SECRET) problems.push('REDIS_URL needs CLUSTER_SECRET (the same on every node): it signs redirect tokens');
  if (vars.CLUSTER_NODE_TTL_MS < 2 * vars.CLUSTER_HEARTBEAT_MS) problems.push('CLUSTER_NODE_TTL_MS: must be at least twice CLUSTER_HEARTBEAT_MS');
  const host = vars.HOST === '0.0.0.0' || vars.HOST === '::' ? '127.0.0.1' : vars.HOST;
  const publicUrl = vars.NODE_PUBLIC_URL ?? `ws://${host}:${vars.PORT}/ws`;
  if (!/^wss?:\/\//.test(publicUrl)) problems.push('NODE_PUBLIC_URL: must be a ws:// or wss:// URL (the signaling WebSocket, path included)');
  const httpUrl = publicUrl.replace(/^ws/, 'http').replace(/\/ws\/?$/, '');
  return {
    redisUrl,
    nodeId: vars.NODE_ID ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
    publicUrl,
    httpUrl,
    region: vars.NODE_REGION,
    maxPeers: vars.NODE_MAX_PEERS,
    secret: vars.CLUSTER_SECRET ? new TextEncoder().encode(vars.CLUSTER_SECRET) : null,
    heartbeatMs: vars.CLUSTER_HEARTBEAT_MS,
    nodeTtlMs: vars.CLUSTER_NODE_TTL_MS,
    redirectTokenS: vars.CLUSTER_REDIRECT_TOKEN_S,
    pipeSrtp: vars.CLUSTER_PIPE_SRTP,
    edgeViewersAt: vars.CLUSTER_EDGE_VIEWERS_AT,
  };
}
