/**
 * The bare reference of the join benchmark, run as a child process: plain `ws` +
 * mediasoup, the textbook flow of mediasoup-demo's server and nothing else (no
 * authentication, validation, rate limits, lobby, logging or metrics). One worker,
 * one router per room with the product's codecs; consumers are created paused,
 * announced with a `newConsumer` request and resumed once the page answers. It
 * serves the page (bare-join-page.ts bundled with mediasoup-client by esbuild) and
 * the socket on one loopback port, then prints `READY <port>`. Ends when stdin closes.
 *
 *   env: MEDIASOUP_WORKER_BIN (the worker), RTC_ANNOUNCED_ADDRESS (127.0.0.1)
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import * as mediasoup from 'mediasoup';
import type { Consumer, Producer, Router, RtpCapabilities, WebRtcTransport } from 'mediasoup/types';
import { WebSocketServer, type WebSocket } from 'ws';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the same codecs as the product's rooms
import { ROUTER_MEDIA_CODECS } from '../../../apps/api/src/rooms/media-codecs';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>bare join</title></head>
<body><button type="button" data-testid="join-button">Join</button><div data-testid="room-screen" data-state="idle">room</div>
<script src="/bare.js"></script></body></html>`;

interface BarePeer {
  id: string;
  socket: WebSocket;
  joined: boolean;
  rtpCapabilities?: RtpCapabilities;
  transports: Map<string, WebRtcTransport>;
  producers: Map<string, Producer>;
  pending: Map<number, (ok: boolean) => void>;
  nextId: number;
  /** Creates this peer's consumer of `producer` (paused), announces it and resumes it once answered. */
  consume(room: BareRoom, producer: Producer): Promise<void>;
}

interface BareRoom {
  router: Router;
  peers: Map<string, BarePeer>;
}

async function main(): Promise<void> {
  const bundle = await build({
    entryPoints: [path.join(__dirname, 'bare-join-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0].text;
  const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: 40000, rtcMaxPort: 49999 });
  const announcedAddress = process.env['RTC_ANNOUNCED_ADDRESS'] ?? '127.0.0.1';
  const rooms = new Map<string, Promise<BareRoom>>();
  const roomOf = (id: string): Promise<BareRoom> => {
    let room = rooms.get(id);
    if (!room) {
      room = worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS }).then((router) => ({ router, peers: new Map() }));
      rooms.set(id, room);
    }
    return room;
  };

  const http = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/bare.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    }
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });

  wss.on('connection', (socket, req) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const peer: BarePeer = {
      id: `${query.get('peer')}-${Math.random().toString(36).slice(2, 8)}`,
      socket,
      joined: false,
      transports: new Map(),
      producers: new Map(),
      pending: new Map(),
      nextId: 1,
      // A peer that leaves mid-way closes its consumers: nothing to report then.
      consume: (room, producer) => consume(room, producer).catch(() => undefined),
    };
    const roomPromise = roomOf(query.get('room') ?? 'bench');
    void roomPromise.then((room) => room.peers.set(peer.id, peer));
    const request = (method: string, data: unknown): Promise<boolean> =>
      new Promise((resolve) => {
        const id = peer.nextId++;
        peer.pending.set(id, resolve);
        socket.send(JSON.stringify({ request: true, id, method, data }));
      });

    const consume = async (room: BareRoom, producer: Producer): Promise<void> => {
      const transport = [...peer.transports.values()].find((t) => t.appData['direction'] === 'recv');
      if (!transport || !peer.rtpCapabilities || !room.router.canConsume({ producerId: producer.id, rtpCapabilities: peer.rtpCapabilities })) return;
      const consumer: Consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: peer.rtpCapabilities, paused: true });
      consumer.on('producerclose', () => socket.readyState === 1 && socket.send(JSON.stringify({ notification: true, method: 'consumerClosed', data: { consumerId: consumer.id } })));
      const ok = await request('newConsumer', { id: consumer.id, producerId: producer.id, kind: consumer.kind, rtpParameters: consumer.rtpParameters });
      if (ok && !consumer.closed) await consumer.resume();
    };

    const handle = async (room: BareRoom, method: string, data: Record<string, unknown>): Promise<unknown> => {
      switch (method) {
        case 'getRouterRtpCapabilities':
          return room.router.rtpCapabilities;
        case 'createWebRtcTransport': {
          const transport = await room.router.createWebRtcTransport({
            listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', announcedAddress }],
            initialAvailableOutgoingBitrate: 1_000_000,
            appData: { direction: data['direction'] },
          });
          peer.transports.set(transport.id, transport);
          return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
        }
        case 'connectWebRtcTransport':
          await peer.transports.get(String(data['transportId']))?.connect({ dtlsParameters: data['dtlsParameters'] as never });
          return {};
        case 'join': {
          peer.rtpCapabilities = data['rtpCapabilities'] as RtpCapabilities;
          peer.joined = true;
          // After the answer, as mediasoup-demo does: consume what the others publish.
          setImmediate(() => {
            for (const other of room.peers.values()) if (other !== peer && other.joined) for (const producer of other.producers.values()) void peer.consume(room, producer);
          });
          return {};
        }
        case 'produce': {
          const transport = peer.transports.get(String(data['transportId']));
          if (!transport) throw new Error('no such transport');
          const producer = await transport.produce({ kind: data['kind'] as 'audio' | 'video', rtpParameters: data['rtpParameters'] as never });
          peer.producers.set(producer.id, producer);
          for (const other of room.peers.values()) if (other !== peer && other.joined) void other.consume(room, producer);
          return { id: producer.id };
        }
        default:
          throw new Error(`unknown method ${method}`);
      }
    };

    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { id: number; method?: string; data?: Record<string, unknown>; ok?: boolean };
      if (message.method === undefined) {
        peer.pending.get(message.id)?.(message.ok === true);
        peer.pending.delete(message.id);
        return;
      }
      void roomPromise
        .then((room) => handle(room, message.method as string, message.data ?? {}))
        .then(
          (data) => socket.send(JSON.stringify({ id: message.id, ok: true, data })),
          (error: Error) => socket.send(JSON.stringify({ id: message.id, ok: false, error: error.message })),
        );
    });
    socket.on('close', () => {
      for (const transport of peer.transports.values()) transport.close();
      void roomPromise.then((room) => room.peers.delete(peer.id));
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    worker.close();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
