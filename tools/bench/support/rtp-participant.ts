import { spawn, type ChildProcess } from 'node:child_process';
import type { PlainTransport, Producer, Router, RtpParameters } from 'mediasoup/types';
/* eslint-disable @nx/enforce-module-boundaries -- the API's tests' helpers and services, used in-process as the recording e2e does */
import { EventsService } from '../../../apps/api/src/events/events.service';
import { sendRtpParameters } from '../../../apps/api/test/support/rtp';
import { joinRoom } from '../../../apps/api/test/support/scenario';
import type { TestClient } from '../../../apps/api/test/support/test-client';
import type { TestServer } from '../../../apps/api/test/support/test-server';
/* eslint-enable @nx/enforce-module-boundaries */

/** One injected participant: its signaling client, its producers, and the ffmpeg that sends its media. */
export interface RtpParticipant {
  client: TestClient;
  peerId: string;
  producers: Producer[];
  transports: PlainTransport[];
  /** The sender ffmpeg (this process spawned it; kill it by this handle only). */
  sender: ChildProcess;
}

export interface RtpParticipantOptions {
  ffmpeg: string;
  /** Camera: testsrc2 at this size and rate, VP8 (libvpx realtime) at `videoKbps`, key frame every `gop` frames. */
  size?: string;
  fps?: number;
  videoKbps?: number;
  gop?: number;
  /** Microphone: a sine at `tone` Hz, Opus 48 kbit/s. */
  tone?: number;
  /**
   * Instead of encoding live: a pre-encoded VP8 + Opus file sent with `-c copy`
   * (looped), so that the senders cost next to nothing (e.g. plain-rtp.ts's MEDIA_FILE).
   */
  clip?: string;
}

/**
 * A participant as the recording e2e (apps/api/test/recording.e2e.spec.ts) makes
 * one: a signaling client joins `roomId` (no WebRTC media), and its camera and
 * microphone are an ffmpeg test source (`-re`) sent over RTP into comedia
 * PlainTransport producers on the room's router, registered on the peer and
 * announced (`track.published`) as ProducersService does, so RecordingService
 * sees them like any other producer.
 */
export async function joinRtpParticipant(server: TestServer, roomId: string, sub: string, opts: RtpParticipantOptions): Promise<RtpParticipant> {
  const { ffmpeg, size = '640x360', fps = 30, videoKbps = 500, gop = 30, tone = 440, clip } = opts;
  const client = await server.client(sub, { name: `${sub} name` });
  const joined = await joinRoom(client, roomId, { send: false, displayName: `${sub} name` });
  const room = server.rooms.get(roomId);
  const peer = room?.peers.get(client.peerId);
  if (!room?.media || !peer) throw new Error(`${sub} did not join ${roomId}`);
  const router: Router = room.media.router;
  const producers: Producer[] = [];
  const transports: PlainTransport[] = [];
  const outputs: string[] = [];
  for (const kind of ['video', 'audio'] as const) {
    // ffmpeg sends RTCP from its own port: with comedia, RTCP needs its own tuple (no rtcpMux here).
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
    transports.push(transport);
    const rtpParameters = sendRtpParameters(kind, joined.caps) as RtpParameters;
    const producer = await transport.produce({ kind, rtpParameters, appData: { source: kind === 'video' ? 'webcam' : 'mic', peerId: peer.id } });
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => peer.producers.delete(producer.id));
    server.app.get(EventsService).emit({ type: 'track.published', roomId, peerId: peer.id, producerId: producer.id, kind, source: String(producer.appData['source']) });
    producers.push(producer);
    const port = transport.tuple.localPort;
    const rtcpPort = transport.rtcpTuple?.localPort ?? port;
    // prettier-ignore
    outputs.push(
      ...(clip
        ? ['-map', kind === 'video' ? '0:v:0' : '0:a:0', '-c', 'copy']
        : kind === 'video'
        ? ['-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', `${videoKbps}k`, '-g', String(gop), '-keyint_min', String(gop)]
        : ['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k']),
      '-ssrc', String(rtpParameters.encodings?.[0]?.ssrc), '-payload_type', String(rtpParameters.codecs[0].payloadType),
      '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
    );
  }
  // prettier-ignore
  const sender = spawn(ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...(clip
      ? ['-re', '-stream_loop', '-1', '-i', clip]
      : ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`, '-re', '-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=48000`]),
    ...outputs,
  ], { stdio: 'ignore' });
  return { client, peerId: peer.id, producers, transports, sender };
}
