/**
 * The bare reference's page (browser code, bundled with mediasoup-client by
 * bare-join-server.ts): the textbook mediasoup-demo flow and nothing else. On the
 * click on Join: open the socket → `getRouterRtpCapabilities` → `device.load()` →
 * send transport → recv transport → `join` (the server then sends `newConsumer` for
 * the room's producers) → microphone and 720p camera with three simulcast layers,
 * as the product publishes them. Same test ids as the web app, so the benchmark
 * measures both with the same code.
 */
import { Device } from 'mediasoup-client';
import type { Consumer, RtpCapabilities, Transport, TransportOptions } from 'mediasoup-client/types';

type Message = { id: number; method?: string; data?: unknown; ok?: boolean; error?: string; request?: boolean; notification?: boolean };

const params = new URLSearchParams(location.search);
const button = document.querySelector<HTMLButtonElement>('[data-testid="join-button"]');
const screen = document.querySelector<HTMLElement>('[data-testid="room-screen"]');
const consumers = new Map<string, { consumer: Consumer; element: HTMLMediaElement }>();
let nextId = 1;
const pending = new Map<number, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();

button?.addEventListener('click', () => void join().catch((error: unknown) => console.error('bare join failed', error)));

async function join(): Promise<void> {
  const socket = new WebSocket(`ws://${location.host}/ws?peer=${encodeURIComponent(params.get('name') ?? 'peer')}&room=${encodeURIComponent(params.get('room') ?? 'bench')}`);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error('socket error'));
  });
  const request = <T>(method: string, data: unknown = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (d: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, data }));
    });
  let recvTransport: Transport | null = null;
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as Message;
    if (message.request && message.method === 'newConsumer') {
      void consume(recvTransport, message.data as NewConsumer).then(
        () => socket.send(JSON.stringify({ id: message.id, ok: true, data: {} })),
        (error: Error) => socket.send(JSON.stringify({ id: message.id, ok: false, error: error.message })),
      );
    } else if (message.notification && message.method === 'consumerClosed') {
      const entry = consumers.get((message.data as { consumerId: string }).consumerId);
      entry?.consumer.close();
      entry?.element.remove();
    } else if (!message.request && !message.notification) {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiting?.resolve(message.data);
      else waiting?.reject(new Error(message.error));
    }
  };

  const device = new Device();
  const routerRtpCapabilities = await request<RtpCapabilities>('getRouterRtpCapabilities');
  await device.load({ routerRtpCapabilities });
  const sendTransport = device.createSendTransport(await request<TransportOptions>('createWebRtcTransport', { direction: 'send' }));
  bridge(sendTransport, request);
  sendTransport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
    request<{ id: string }>('produce', { transportId: sendTransport.id, kind, rtpParameters }).then(callback, errback);
  });
  recvTransport = device.createRecvTransport(await request<TransportOptions>('createWebRtcTransport', { direction: 'recv' }));
  bridge(recvTransport, request);
  await request('join', { rtpCapabilities: device.rtpCapabilities });
  screen?.setAttribute('data-state', 'joined');
  // As mediasoup-demo's RoomClient does: both started, neither awaited by the join.
  void enableMic(sendTransport);
  void enableWebcam(sendTransport);
}

function bridge(transport: Transport, request: <T>(method: string, data?: unknown) => Promise<T>): void {
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(callback, errback);
  });
}

interface NewConsumer {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: Consumer['rtpParameters'];
}

async function consume(transport: Transport | null, data: NewConsumer): Promise<void> {
  if (!transport) throw new Error('no recv transport');
  const consumer = await transport.consume({ id: data.id, producerId: data.producerId, kind: data.kind, rtpParameters: data.rtpParameters });
  const element = document.createElement(data.kind === 'video' ? 'video' : 'audio');
  element.autoplay = true;
  if (element instanceof HTMLVideoElement) {
    element.muted = true;
    element.playsInline = true;
  }
  element.srcObject = new MediaStream([consumer.track]);
  screen?.appendChild(element);
  consumers.set(consumer.id, { consumer, element });
}

async function enableMic(transport: Transport): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  await transport.produce({ track: stream.getAudioTracks()[0], codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } });
}

async function enableWebcam(transport: Transport): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } });
  await transport.produce({
    track: stream.getVideoTracks()[0],
    encodings: [
      { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
    ],
    codecOptions: { videoGoogleStartBitrate: 1000 },
  });
}
