import { SignalingError, type PeerInfo, type ServerNotifications } from '@confer/signaling-contracts';
import { Peer } from '../peers/peer';
import type { PeerChannel } from '../peers/peer-channel';
import { PeerLink } from '../peers/peer-link';

/**
 * A stand-in for a peer another node serves (`peer.remote` = that node): in
 * the room for presence and for the producers piped from its node; it has no
 * transports, so nothing is consumed for it. Room broadcasts skip it (its own
 * node tells its client); a notification meant for it alone (a moderator's
 * act) goes to `forward`, which hands it to its node.
 */
export function remotePeer(info: PeerInfo, node: string, forward: <M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]) => void = () => undefined): Peer {
  const channel: PeerChannel = {
    notify: (method, data) => forward(method, data),
    request: () => Promise.reject(new SignalingError('invalid_state', 'a peer of another node has no signaling here')),
    close: () => undefined,
  };
  const peer = new Peer(info.id, { subject: info.id, displayName: info.displayName, rooms: ['*'], grants: { canPublish: false, canSubscribe: false, canPublishData: false, roomAdmin: false }, role: info.role }, `remote:${node}`, new PeerLink(channel, () => undefined));
  peer.remote = node;
  peer.device = info.device;
  peer.role = info.role;
  return peer;
}
