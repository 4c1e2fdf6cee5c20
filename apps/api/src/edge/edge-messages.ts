import { ROLES, SignalingError, type PeerInfo, type Role, type ServerNotifications } from '@confer/signaling-contracts';
import { ROOM_ID_PATTERN } from '../rooms/dto/room.dto';

/** A peer of the room's node as an edge node mirrors it: who, and the producers to pipe in. */
export interface RemotePeer {
  info: PeerInfo;
  producers: { producerId: string }[];
}

/** Room notifications an edge node passes on to its viewers as they are. */
export const MIRRORED = ['chatMessage', 'activeSpeaker', 'roomSettingsChanged', 'recordingStateChanged', 'peerDisplayNameChanged', 'peerRoleChanged', 'peerJoined', 'peerLeft'] as const;
export type MirroredMethod = (typeof MIRRORED)[number];

/** Notifications for one edge viewer the room's node may forward (a moderator's act on it). */
export const FORWARDED = ['removed', 'meetingEnded', 'permissionsChanged', 'producerClosedByModerator', 'producerPausedByModerator'] as const;
export type ForwardedMethod = (typeof FORWARDED)[number];

declare module '../cluster/node-bus.types' {
  interface NodeBusRequests {
    /** Edge → room's node: start mirroring `roomId` to me; answers who is there and what they publish. */
    'edge.attach': { params: { roomId: string }; result: { peers: RemotePeer[] } };
    /** Edge → room's node: a chat message from one of my viewers (the room's node checks and broadcasts it). */
    'edge.chat': { params: { roomId: string; peerId: string; text: string }; result: { messageId: string; timestamp: number } };
  }
  interface NodeBusMessages {
    /** Edge → room's node: I serve no viewer of `roomId` any more. */
    'edge.detach': { roomId: string };
    /** Edge → room's node: a viewer of mine joined or left (presence). */
    'edge.viewer': { roomId: string; op: 'joined' | 'left'; info: PeerInfo };
    /** Room's node → edges: a room broadcast. */
    'edge.event': { roomId: string; method: MirroredMethod; data: unknown };
    /** Room's node → edges: a new producer to pipe in. */
    'edge.producer': { roomId: string; peerId: string; producerId: string };
    /** Room's node → the edge of one viewer: a notification for that viewer only. */
    'edge.notify': { roomId: string; peerId: string; method: ForwardedMethod; data: unknown };
    /** Room's node → edges: the room closed there (`reason`: ended, empty, …). */
    'edge.closed': { roomId: string; reason: string };
  }
}

const ID = /^[A-Za-z0-9_.@:-]{1,128}$/;

function bad(what: string): SignalingError {
  return new SignalingError('invalid_request', `edge message: ${what}`);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string, max: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || (pattern && !pattern.test(value))) throw bad(`${what} is not a valid string`);
  return value;
}

export function checkedRoomId(value: unknown): string {
  return text(value, 'roomId', 64, ROOM_ID_PATTERN);
}

export function checkedId(value: unknown, what: string): string {
  return text(value, what, 128, ID);
}

/** A PeerInfo from another node, rebuilt field by field (nothing else is kept). */
export function checkedPeerInfo(value: unknown): PeerInfo {
  const v = record(value, 'peer');
  const device = record(v['device'], 'peer.device');
  const role = v['role'];
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw bad('peer.role is not a role');
  return {
    id: checkedId(v['id'], 'peer.id'),
    displayName: text(v['displayName'], 'peer.displayName', 256),
    device: { flag: text(device['flag'], 'device.flag', 64), name: text(device['name'], 'device.name', 128), ...(typeof device['version'] === 'string' ? { version: device['version'].slice(0, 64) } : {}) },
    role: role as Role,
  };
}

export function checkedRemotePeers(value: unknown): RemotePeer[] {
  const peers = record(value, 'attach answer')['peers'];
  if (!Array.isArray(peers) || peers.length > 10_000) throw bad('peers must be an array');
  return peers.map((p) => {
    const r = record(p, 'peer');
    const producers = r['producers'];
    if (!Array.isArray(producers) || producers.length > 64) throw bad('producers must be an array');
    return { info: checkedPeerInfo(r['info']), producers: producers.map((x) => ({ producerId: checkedId(record(x, 'producer')['producerId'], 'producerId') })) };
  });
}

/** A mirrored notification's method, or null when it is not one an edge passes on. */
export function mirroredMethod(value: unknown): MirroredMethod | null {
  return typeof value === 'string' && (MIRRORED as readonly string[]).includes(value) ? (value as MirroredMethod) : null;
}

export function forwardedMethod(value: unknown): ForwardedMethod | null {
  return typeof value === 'string' && (FORWARDED as readonly string[]).includes(value) ? (value as ForwardedMethod) : null;
}

/** The data of a notification from the room's node: an object, passed on as the room's node built it. */
export function notificationData<M extends keyof ServerNotifications>(value: unknown): ServerNotifications[M] {
  return record(value, 'data') as ServerNotifications[M];
}
