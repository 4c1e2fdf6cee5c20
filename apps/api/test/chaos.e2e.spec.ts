import fc from 'fast-check';
import { PROTOCOL_VERSION, type RtpCapabilities } from '@confer/signaling-contracts';
import { backends, backendsBanner, type Backend } from './support/backends';
import { CLIENT_DTLS, SCTP_CAPABILITIES, sendRtpParameters } from './support/rtp';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

/**
 * Chaos: a client runs the whole join → produce → consume flow while its socket
 * is dropped at a random moment (seeded), then comes back as the SDK does —
 * resumes its session and re-sends the request that was in flight with the same
 * idempotency key — and finishes. For every seed the room must converge: each
 * side consumes each of the other's producers exactly once, and once everyone
 * left, no mediasoup object is left (Worker/Router.dump()). CHAOS_SEEDS sets
 * how many seeds (default 25 per backend); CHAOS_SEED the first one.
 */
const SEEDS = Number(process.env['CHAOS_SEEDS'] ?? 25);
const FIRST_SEED = Number(process.env['CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

beforeAll(() => console.log(`${backendsBanner}\nchaos: ${SEEDS} seeds from ${FIRST_SEED} (CHAOS_SEED=${FIRST_SEED} reproduces it)`));

interface Racer {
  client: TestClient;
  caps?: RtpCapabilities;
  send?: string;
  recv?: string;
}

type Step = (r: Racer, key: string) => Promise<unknown>;

const raw = (c: TestClient, method: string, data: unknown, key: string): Promise<unknown> => c.requestRaw({ type: 'request', id: c.nextRequestId(), method, data, key }, 8000);

/** The join flow after authenticate, each step keyed as the SDK keys it. */
const STEPS: Step[] = [
  async (r, k) => (r.caps = ((await raw(r.client, 'getRouterRtpCapabilities', { roomId: 'r' }, k)) as { rtpCapabilities: RtpCapabilities }).rtpCapabilities),
  async (r, k) => (r.send = ((await raw(r.client, 'createWebRtcTransport', { direction: 'send', sctpCapabilities: SCTP_CAPABILITIES }, k)) as { transportId: string }).transportId),
  (r, k) => raw(r.client, 'connectWebRtcTransport', { transportId: r.send, dtlsParameters: CLIENT_DTLS }, k),
  async (r, k) => (r.recv = ((await raw(r.client, 'createWebRtcTransport', { direction: 'recv', sctpCapabilities: SCTP_CAPABILITIES }, k)) as { transportId: string }).transportId),
  (r, k) => raw(r.client, 'connectWebRtcTransport', { transportId: r.recv, dtlsParameters: CLIENT_DTLS }, k),
  (r, k) => raw(r.client, 'join', { roomId: 'r', displayName: 'racer', device: { flag: 'test', name: 'chaos' }, rtpCapabilities: r.caps, sctpCapabilities: SCTP_CAPABILITIES }, k),
  (r, k) => raw(r.client, 'produce', { transportId: r.send, kind: 'audio', rtpParameters: sendRtpParameters('audio', r.caps as RtpCapabilities), appData: { source: 'mic' } }, k),
  (r, k) => raw(r.client, 'produce', { transportId: r.send, kind: 'video', rtpParameters: sendRtpParameters('video', r.caps as RtpCapabilities), appData: { source: 'webcam' } }, k),
];

describe.each(backends.map((b) => [b.name, b] as const))('chaos against the %s', (_name, backend: Backend) => {
  const seeds = Array.from({ length: SEEDS }, (_, i) => FIRST_SEED + i);

  it.each(seeds)('seed %i: a drop at a random point, a resume, and the room converges with nothing leaked', async (seed) => {
    const [dropAfterStep, delayMs, abrupt] = fc.sample(fc.tuple(fc.integer({ min: 0, max: STEPS.length - 1 }), fc.integer({ min: 0, max: 15 }), fc.boolean()), { numRuns: 1, seed })[0];
    const server = await TestServer.start(backend, { RESUME_GRACE_MS: '5000', REQUESTS_PER_SECOND: '10000' });
    const clients: TestClient[] = [];
    try {
      const observer = await server.client('observer');
      clients.push(observer);
      const o = await joinRoom(observer, 'r');
      await produce(o, 'audio');
      await produce(o, 'video');

      const token = await server.token({ sub: 'racer' });
      const first = await TestClient.connect(server.url);
      clients.push(first);
      first.auth = await first.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION });
      const racer: Racer = { client: first };
      for (let i = 0; i < dropAfterStep; i++) await STEPS[i](racer, `k${i}`);
      // The next step goes out; the socket drops `delayMs` later (before, during or after its answer).
      const inFlight = STEPS[dropAfterStep](racer, `k${dropAfterStep}`).then(
        () => true,
        () => false,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      if (abrupt) first.socket.terminate();
      else first.socket.close(4000, 'chaos');
      await first.closed;
      const answered = await inFlight;

      // Back, as the SDK comes back: resume, re-send the interrupted request with its key, go on.
      const back = await TestClient.connect(server.url);
      clients.push(back);
      back.auth = await back.request('authenticate', { token, protocolVersion: PROTOCOL_VERSION, resumeSessionId: first.auth.sessionId });
      expect(back.auth.resumed).toBe(true);
      racer.client = back;
      for (let i = answered ? dropAfterStep + 1 : dropAfterStep; i < STEPS.length; i++) await STEPS[i](racer, `k${i}`);

      // Converged: each consumes each of the other's two producers exactly once.
      const racerPeer = server.peers.get('racer');
      const observerPeer = server.peers.get('observer');
      await back.until(
        () => racerPeer?.consumers.size === 2 && observerPeer?.consumers.size === 2,
        `convergence (racer consumes ${racerPeer?.consumers.size}, observer ${observerPeer?.consumers.size})`,
        8000,
      );
      await new Promise((r) => setTimeout(r, 100));
      const consumed = (peer: typeof racerPeer): string[] => [...(peer?.consumers.values() ?? [])].map((c) => c.producerId).sort();
      expect(consumed(racerPeer)).toEqual([...(observerPeer?.producers.keys() ?? [])].sort());
      expect(consumed(observerPeer)).toEqual([...(racerPeer?.producers.keys() ?? [])].sort());
      expect(racerPeer?.producers.size).toBe(2);
      expect(racerPeer?.transports.size).toBe(2);
      expect((await server.mediaObjects()).producers).toBe(4);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      try {
        await server.expectClean();
      } finally {
        await server.stop();
      }
    }
  });
});
