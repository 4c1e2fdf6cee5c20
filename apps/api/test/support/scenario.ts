import type { RtpCapabilities } from '@confer/signaling-contracts';
import { CLIENT_DTLS, SCTP_CAPABILITIES, sendRtpParameters } from './rtp';
import type { TestClient } from './test-client';

export interface Joined {
  client: TestClient;
  caps: RtpCapabilities;
  sendTransportId?: string;
  recvTransportId?: string;
}

/** The mediasoup-client flow: capabilities, transports, join (as mediasoup-demo's client does it). */
export async function joinRoom(
  client: TestClient,
  roomId: string,
  opts: { send?: boolean; recv?: boolean; data?: boolean; displayName?: string } = {},
): Promise<Joined> {
  const { send = true, recv = true, data = false } = opts;
  const { rtpCapabilities: caps } = await client.request('getRouterRtpCapabilities', { roomId });
  const sctpCapabilities = data ? SCTP_CAPABILITIES : undefined;
  const joined: Joined = { client, caps };
  if (send) {
    const t = await client.request('createWebRtcTransport', { direction: 'send', sctpCapabilities });
    await client.request('connectWebRtcTransport', { transportId: t.transportId, dtlsParameters: CLIENT_DTLS });
    joined.sendTransportId = t.transportId;
  }
  if (recv) {
    const t = await client.request('createWebRtcTransport', { direction: 'recv', sctpCapabilities });
    await client.request('connectWebRtcTransport', { transportId: t.transportId, dtlsParameters: CLIENT_DTLS });
    joined.recvTransportId = t.transportId;
  }
  await client.request('join', {
    roomId,
    displayName: opts.displayName ?? client.peerId,
    device: { flag: 'test', name: 'jest' },
    rtpCapabilities: caps,
    sctpCapabilities,
  });
  return joined;
}

export async function produce(j: Joined, kind: 'audio' | 'video'): Promise<string> {
  if (!j.sendTransportId) throw new Error('no send transport');
  const { producerId } = await j.client.request('produce', {
    transportId: j.sendTransportId,
    kind,
    rtpParameters: sendRtpParameters(kind, j.caps),
    appData: { source: kind === 'audio' ? 'mic' : 'webcam' },
  });
  return producerId;
}
