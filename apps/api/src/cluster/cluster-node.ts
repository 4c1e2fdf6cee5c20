import type { NodeLoad } from '../policies/node-placement';

/** One node of the cluster as the registry holds it (Redis hash `confer:node:<id>`): its load as placement sees it, and where it is. */
export interface ClusterNode extends NodeLoad {
  /** Signaling WebSocket URL clients are redirected to. */
  url: string;
  /** HTTP base URL (health, server API). */
  httpUrl: string;
  startedAt: number;
  /** Last heartbeat, ms since the epoch (the node's clock). */
  updatedAt: number;
}

/** The hash fields of a node, written as strings. */
export function nodeToHash(node: ClusterNode): Record<string, string> {
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, String(v)]));
}

/** A node read back from its hash; null when the hash is missing or not a node's. */
export function nodeFromHash(hash: Record<string, string>): ClusterNode | null {
  if (!hash['id'] || !hash['url']) return null;
  const n = (k: string): number => Number(hash[k] ?? 0) || 0;
  return {
    id: hash['id'],
    url: hash['url'],
    httpUrl: hash['httpUrl'] ?? '',
    region: hash['region'] ?? 'default',
    maxPeers: n('maxPeers'),
    rooms: n('rooms'),
    peers: n('peers'),
    consumers: n('consumers'),
    cpu: n('cpu'),
    draining: hash['draining'] === 'true',
    startedAt: n('startedAt'),
    updatedAt: n('updatedAt'),
  };
}
