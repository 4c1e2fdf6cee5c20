import fc from 'fast-check';
import WebSocket from 'ws';
import { mutatedText, mutation, validRequests, type FuzzTargets } from './fuzz';
import { joinRoom, produce } from './scenario';
import type { TestServer } from './test-server';

export interface FuzzReport {
  seed: number;
  messages: number;
  /** Requests whose id was a usable integer: each must be answered exactly once. */
  tracked: number;
  unanswered: number;
  answeredTwice: number;
  /** The first requests answered more than once, as sent. */
  twice: string[];
  internal: string[];
  leakyReasons: string[];
  codes: Record<string, number>;
  /** Round trips of another client's requests while the fuzz ran, ms. */
  monitorRtt: { count: number; p50: number; p95: number; max: number };
  ms: number;
}

const percentile = (sorted: number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] : 0);

/** A reason that shows server internals: a stack line, a source file or a file system path. */
const LEAKY = /\n\s+at |\.ts:\d+|\.js:\d+|\/work\/|\/usr\/|node_modules/;

/**
 * Joins a fuzzing peer and a monitor peer to room `fuzz` on `server`, then sends
 * `messages` mutated requests from the fuzzer (32 in flight) while the monitor
 * measures its own round trips. The fuzzer answers the server's requests.
 */
export async function runFuzz(server: TestServer, messages: number, seed: number): Promise<FuzzReport> {
  const monitor = await server.client('monitor');
  const fuzzer = await server.client('fuzzer');
  monitor.onServerRequest('newConsumer', () => ({}));
  monitor.onServerRequest('newDataConsumer', () => ({}));
  fuzzer.onServerRequest('newConsumer', () => ({}));
  fuzzer.onServerRequest('newDataConsumer', () => ({}));
  const m = await joinRoom(monitor, 'fuzz', { data: true });
  await produce(m, 'audio');
  const f = await joinRoom(fuzzer, 'fuzz', { data: true });
  const producerId = await produce(f, 'video');
  await fuzzer.until(() => fuzzer.serverRequestsOf('newConsumer').length > 0, 'the fuzzer consumes the monitor');
  const { dataProducerId } = await fuzzer.request('produceData', { transportId: f.sendTransportId as string, sctpStreamParameters: { streamId: 1 }, label: 'd' });
  const targets: FuzzTargets = {
    caps: f.caps,
    sendTransportId: f.sendTransportId as string,
    recvTransportId: f.recvTransportId as string,
    producerId,
    consumerId: fuzzer.serverRequestsOf('newConsumer')[0].id,
    dataProducerId,
    otherPeerId: monitor.peerId,
  };

  // The fuzzer's own raw socket (the same identity would replace its session): answers counted by id.
  const socket = fuzzer.socket as WebSocket;
  const tracked = new Set<number>();
  const sent = new Map<number, string>();
  let outstanding = 0;
  const answers = new Map<number, number>();
  const codes: Record<string, number> = {};
  const internal: string[] = [];
  const leakyReasons: string[] = [];
  let waiters: (() => void)[] = [];
  socket.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { type: string; id: unknown; ok?: boolean; error?: { code: string; reason: string } };
    if (msg.type !== 'response') return;
    if (typeof msg.id === 'number' && tracked.has(msg.id) && !answers.has(msg.id)) outstanding--;
    const code = msg.ok ? 'ok' : (msg.error?.code ?? '?');
    codes[code] = (codes[code] ?? 0) + 1;
    if (code === 'internal') internal.push(msg.error?.reason ?? '');
    if (msg.error && LEAKY.test(msg.error.reason)) leakyReasons.push(msg.error.reason);
    // Only ids this run assigned (a mutated envelope may carry any number, echoed as sent).
    if (typeof msg.id === 'number' && tracked.has(msg.id)) answers.set(msg.id, (answers.get(msg.id) ?? 0) + 1);
    const w = waiters;
    waiters = [];
    w.forEach((fn) => fn());
  });

  const rtts: number[] = [];
  let monitoring = true;
  const monitorLoop = (async () => {
    while (monitoring) {
      const t0 = performance.now();
      await monitor.request('getTransportStats', { transportId: m.sendTransportId as string });
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  const samples = fc.sample(fc.tuple(fc.nat(), mutation), { numRuns: messages, seed });
  const started = performance.now();
  for (let i = 0; i < samples.length; i++) {
    const [pick, mut] = samples[i];
    const corpus = validRequests(targets, i);
    const [method, data] = corpus[pick % corpus.length];
    const id = 1_000_000 + i;
    const text = mutatedText(id, method, data, mut);
    const parsed = (() => {
      try {
        return JSON.parse(text) as { id?: unknown; type?: unknown };
      } catch {
        return {};
      }
    })();
    if (parsed.id === id && parsed.type === 'request') {
      tracked.add(id);
      outstanding++;
    }
    sent.set(id, text.slice(0, 300));
    socket.send(text);
    // Keep at most 32 tracked requests unanswered.
    while (outstanding >= 32) await new Promise<void>((r) => waiters.push(r));
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && outstanding > 0) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - started;
  monitoring = false;
  await monitorLoop;
  // Anything answered twice shows up late: give it a moment.
  await new Promise((r) => setTimeout(r, 200));
  await Promise.all([monitor.close(), fuzzer.close()]);
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    seed,
    messages,
    tracked: tracked.size,
    unanswered: [...tracked].filter((t) => !answers.has(t)).length,
    answeredTwice: [...answers.values()].filter((n) => n > 1).length,
    twice: [...answers.entries()].filter(([, n]) => n > 1).slice(0, 5).map(([id]) => sent.get(id) ?? `(not sent as ${id})`),
    internal,
    leakyReasons: leakyReasons.slice(0, 5),
    codes,
    monitorRtt: { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1] ?? 0 },
    ms,
  };
}
