/**
 * Mutation fuzzing of signaling requests with fast-check: valid requests of
 * every method, each mutated once (a value replaced by a float, a huge or
 * negative number, a string, null, an array, an object or a deep nest; a field
 * removed or added; a `__proto__` / `constructor` key; a broken envelope).
 * Used by the fuzz suite (test/fuzz.e2e.spec.ts) and the fuzz benchmark.
 */
import fc from 'fast-check';
import type { RtpCapabilities } from '@confer/signaling-contracts';
import { CLIENT_DTLS, SCTP_CAPABILITIES, sendRtpParameters } from './rtp';

/** What the valid requests can refer to: the fuzzing peer's own objects and another peer. */
export interface FuzzTargets {
  caps: RtpCapabilities;
  sendTransportId: string;
  recvTransportId: string;
  producerId: string;
  consumerId: string;
  dataProducerId: string;
  otherPeerId: string;
}

type Data = Record<string, unknown>;

/** One valid request per method (fresh values each call: SSRCs, stream ids). */
export function validRequests(t: FuzzTargets, n: number): [string, Data][] {
  const audio = sendRtpParameters('audio', t.caps);
  audio.mid = `a${n}`;
  const video = sendRtpParameters('video', t.caps);
  video.mid = `v${n}`;
  return [
    ['authenticate', { token: 'x.y.z', protocolVersion: 1 }],
    ['getRouterRtpCapabilities', { roomId: 'fuzz' }],
    ['join', { roomId: 'fuzz', displayName: 'fuzzer', device: { flag: 'test', name: 'fuzz' }, rtpCapabilities: t.caps, sctpCapabilities: SCTP_CAPABILITIES }],
    ['changeDisplayName', { displayName: `fuzzer ${n}` }],
    ['createWebRtcTransport', { direction: n % 2 ? 'send' : 'recv', sctpCapabilities: SCTP_CAPABILITIES, forceTcp: false }],
    ['connectWebRtcTransport', { transportId: t.sendTransportId, dtlsParameters: CLIENT_DTLS }],
    ['restartIce', { transportId: t.recvTransportId }],
    ['produce', { transportId: t.sendTransportId, kind: 'audio', rtpParameters: audio, appData: { source: 'mic' }, paused: false }],
    ['produce', { transportId: t.sendTransportId, kind: 'video', rtpParameters: video, appData: { source: 'webcam' } }],
    ['pauseProducer', { producerId: t.producerId }],
    ['resumeProducer', { producerId: t.producerId }],
    ['pauseConsumer', { consumerId: t.consumerId }],
    ['resumeConsumer', { consumerId: t.consumerId }],
    ['setConsumerPreferredLayers', { consumerId: t.consumerId, spatialLayer: 1, temporalLayer: 1 }],
    ['setConsumerPriority', { consumerId: t.consumerId, priority: 2 }],
    ['requestConsumerKeyFrame', { consumerId: t.consumerId }],
    ['produceData', { transportId: t.sendTransportId, sctpStreamParameters: { streamId: 100 + (n % 900), ordered: true, maxRetransmits: 3 }, label: 'fuzz', protocol: '', appData: { a: 1 } }],
    ['getTransportStats', { transportId: t.sendTransportId }],
    ['getProducerStats', { producerId: t.producerId }],
    ['getConsumerStats', { consumerId: t.consumerId }],
    ['getDataProducerStats', { dataProducerId: t.dataProducerId }],
    ['chatMessage', { text: `hello ${n}` }],
    ['fileOffer', { to: t.otherPeerId, name: 'a.txt', size: 3, mimeType: 'text/plain', sha256: 'a'.repeat(64) }],
    ['fileAnswer', { transferId: 'nope', accept: true }],
    ['fileChunk', { transferId: 'nope', seq: 0, data: 'YWJj' }],
    ['fileComplete', { transferId: 'nope' }],
    ['fileCancel', { transferId: 'nope', reason: 'x' }],
    // Moderation: the fuzzer is a participant, so valid ones are `forbidden`; none may reach the other peer.
    ['lobbyAdmit', { peerId: t.otherPeerId }],
    ['lobbyDeny', { all: true, reason: 'x' }],
    ['muteParticipant', { peerId: t.otherPeerId, source: 'mic' }],
    ['muteAll', { source: 'webcam' }],
    ['setPermissions', { peerId: t.otherPeerId, permissions: { chat: false, publishAudio: true } }],
    ['setRole', { peerId: t.otherPeerId, role: 'moderator' }],
    ['removeParticipant', { peerId: t.otherPeerId, reason: 'x' }],
    ['updateRoomSettings', { locked: true, lobby: false }],
    ['endMeeting', { reason: 'x' }],
  ];
}

/** Every path into `value` (`['rtpParameters', 'encodings', 0, 'ssrc']`), intermediate ones included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
}

/** A hostile value. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1.5, -1, 0, -0, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e308, Number.MAX_SAFE_INTEGER + 2, -(2 ** 63)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', 'x'.repeat(5000), 'audio/opus', 'sha-256', '💥'.repeat(50), '\u0000', 'constructor', '__proto__'),
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.double({ noNaN: true })), { maxLength: 20 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: 5 }),
  fc.integer({ min: 2, max: 40 }).map(nest),
);

export type Mutation =
  | { op: 'none' }
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown }
  | { op: 'protoKey'; at: number; key: '__proto__' | 'constructor' | 'prototype' }
  | { op: 'deepen'; at: number; depth: number }
  | { op: 'envelope'; field: 'id' | 'type' | 'method' | 'data'; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Some requests go through untouched, so that state-changing paths run between the hostile ones.
  { weight: 2, arbitrary: fc.constant({ op: 'none' as const }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.string({ minLength: 1, maxLength: 10 }), value: hostileValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('protoKey' as const), at: fc.nat(), key: fc.constantFrom('__proto__' as const, 'constructor' as const, 'prototype' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deepen' as const), at: fc.nat(), depth: fc.integer({ min: 10, max: 1500 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('envelope' as const),
      field: fc.constantFrom('id' as const, 'type' as const, 'method' as const, 'data' as const),
      value: fc.oneof(hostileValue, fc.constantFrom('request', 'response', 'notification', 'produce', 'selfDestruct')),
    }),
  },
);

/**
 * The JSON text of request `id` for `method` with `data`, mutated. Prototype
 * keys are written into the text (an object literal cannot hold `__proto__`).
 */
export function mutatedText(id: number, method: string, data: Data, m: Mutation): string {
  const envelope: Record<string, unknown> = { type: 'request', id, method, data: structuredClone(data) };
  if (m.op === 'none') return JSON.stringify(envelope);
  if (m.op === 'envelope') {
    envelope[m.field] = m.value;
    return JSON.stringify(envelope);
  }
  const all = paths(envelope['data'], []);
  const path = all[m.at % all.length];
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1];
  const get = (p: (string | number)[]): unknown => p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], envelope['data']);
  const set = (p: (string | number)[], v: unknown): void => {
    if (p.length === 0) envelope['data'] = v;
    else (get(p.slice(0, -1)) as Record<string | number, unknown>)[p[p.length - 1]] = v;
  };
  switch (m.op) {
    case 'replace':
      set(path, m.value);
      break;
    case 'delete':
      if (path.length === 0) delete envelope['data'];
      else if (Array.isArray(get(parentPath))) (get(parentPath) as unknown[]).splice(key as number, 1);
      else delete (get(parentPath) as Record<string, unknown>)[key as string];
      break;
    case 'add': {
      const target = get(path);
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
      else set(path, { [m.key]: m.value });
      break;
    }
    case 'deepen':
      set(path, nest(m.depth));
      break;
    case 'protoKey': {
      const marker = '"__fuzz_marker__"';
      const target = get(path);
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)['__fuzz_marker__'] = { x: 1 };
      else set(path, { __fuzz_marker__: { x: 1 } });
      return JSON.stringify(envelope).replace(marker, JSON.stringify(m.key));
    }
  }
  return JSON.stringify(envelope);
}
