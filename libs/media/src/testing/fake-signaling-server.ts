import {
  PROTOCOL_VERSION,
  SignalingError,
  type AuthenticateResult,
  type ClientRequestMethod,
  type JoinResult,
  type PeerInfo,
  type RecordingNotice,
  type ServerNotificationMethod,
  type ServerNotifications,
  type ServerRequestMethod,
  type ServerRequests,
  type SignalingMessage,
} from '@confer/signaling-contracts';
import { testFakeParameters } from 'mediasoup-client';
import type { WebSocketLike } from '../lib/tokens';

type Handler = (data: never, socket: FakeSocket) => unknown;

/** A socket that talks to {@link FakeSignalingServer} (asynchronously, like a real one). */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(private readonly server: FakeSignalingServer) {
    setTimeout(() => {
      if (this.readyState !== 0) return;
      if (!server.accepting) {
        this.drop(1006, 'refused');
        return;
      }
      this.readyState = 1;
      this.onopen?.({});
    }, 0);
  }

  binaryType = 'blob';

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('socket not open');
    if (typeof data !== 'string') {
      const copy = data.slice();
      setTimeout(() => this.server.receiveBinary(this, copy), 0);
      return;
    }
    setTimeout(() => void this.server.receive(this, JSON.parse(data) as SignalingMessage), 0);
  }

  close(code = 1000, reason = ''): void {
    this.drop(code, reason);
  }

  /** Server side: delivers a message to the client. */
  deliver(message: SignalingMessage): void {
    if (this.readyState !== 1) return;
    setTimeout(() => this.onmessage?.({ data: JSON.stringify(message) }), 0);
  }

  /** Server side: delivers a binary frame to the client (as an ArrayBuffer, like a browser with binaryType 'arraybuffer'). */
  deliverBinary(frame: Uint8Array): void {
    if (this.readyState !== 1) return;
    const buffer = frame.slice().buffer;
    setTimeout(() => this.onmessage?.({ data: buffer }), 0);
  }

  drop(code = 1006, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }
}

/**
 * A scripted stand-in for the API: answers client requests with canned
 * mediasoup-shaped data (mediasoup-client's own fake parameters), records them,
 * and can send notifications and server requests.
 */
export class FakeSignalingServer {
  readonly sockets: FakeSocket[] = [];
  /** Every client request, in arrival order. */
  readonly received: { method: string; data: Record<string, unknown>; key?: string }[] = [];
  /** Outcomes by idempotency key, as the API keeps them: a replayed key gets the original answer. */
  private readonly outcomes = new Map<string, Promise<{ ok: true; data: unknown } | { ok: false; error: ReturnType<SignalingError['toWire']> } | typeof NO_ANSWER>>();
  accepting = true;
  mediaAvailable = true;
  peers: PeerInfo[] = [];
  /** What `join` answers besides `peers` (a test sets `waiting`, a role, settings). */
  joinAnswer: Omit<JoinResult, 'peers'> = {
    waiting: false,
    self: { role: 'participant', permissions: { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true } },
    settings: {
      lobby: false,
      locked: false,
      capacity: 50,
      participantPermissions: { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true },
      recording: 'allowed',
      recordingConsent: false,
    },
    lobby: [],
    recording: null,
  };
  /** ICE parameters of the latest `restartIce` answer. */
  lastIceParameters: unknown = null;
  private readonly handlers = new Map<string, Handler>();
  private readonly pending = new Map<number, (message: SignalingMessage) => void>();
  private nextId = 1000;
  private nextObjectId = 1;

  /** Every binary frame clients sent, in arrival order. */
  readonly binaryFrames: Uint8Array[] = [];
  /** Called with each binary frame a client sends (after it is recorded). */
  onBinary: ((frame: Uint8Array, socket: FakeSocket) => void) | null = null;

  receiveBinary(socket: FakeSocket, frame: Uint8Array): void {
    this.binaryFrames.push(frame);
    this.onBinary?.(frame, socket);
  }

  readonly factory = (): WebSocketLike => {
    const socket = new FakeSocket(this);
    this.sockets.push(socket);
    return socket;
  };

  constructor() {
    this.on('authenticate', (data: { resumeSessionId?: string }) => this.session(Boolean(data.resumeSessionId)));
    this.on('getRouterRtpCapabilities', () => {
      if (!this.mediaAvailable) throw new SignalingError('media_unavailable', 'no worker');
      return { rtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() };
    });
    // Like the API: a peer waiting in the lobby sees nobody.
    this.on('join', () => ({ peers: this.joinAnswer.waiting ? [] : this.peers, ...this.joinAnswer }));
    this.on('createWebRtcTransport', () => {
      const { id, ...rest } = testFakeParameters.generateTransportRemoteParameters();
      return { transportId: id, ...rest, iceServers: [] };
    });
    this.on('produce', () => ({ producerId: `producer-${this.nextObjectId++}` }));
    this.on('produceData', () => ({ dataProducerId: `dataproducer-${this.nextObjectId++}` }));
    this.on('chatMessage', (data: { text: string }) => {
      const message = { messageId: `m${this.nextObjectId++}`, peerId: 'me', displayName: 'Me', text: data.text, timestamp: Date.now() };
      this.notify('chatMessage', message);
      return { messageId: message.messageId, timestamp: message.timestamp };
    });
    this.on('fileOffer', () => ({ transferId: `t${this.nextObjectId++}` }));
    // Recording as the API does it: everyone is told, the answer is the notice.
    this.on('startRecording', () => {
      const notice: RecordingNotice = { state: 'recording', recordingId: `rec-${this.nextObjectId++}`, startedBy: 'Me', startedAt: Date.now(), consentRequired: this.joinAnswer.settings.recordingConsent };
      this.notify('recordingStateChanged', notice);
      return notice;
    });
    this.on('stopRecording', () => {
      const notice: RecordingNotice = { state: 'stopping', recordingId: 'rec', startedBy: 'Me', startedAt: Date.now(), consentRequired: false };
      this.notify('recordingStateChanged', notice);
      return notice;
    });
    this.on('acknowledgeRecording', () => ({ recorded: true }));
    for (const method of ['connectWebRtcTransport', 'leave', 'closeProducer', 'pauseProducer', 'resumeProducer', 'pauseConsumer', 'resumeConsumer', 'setConsumerPreferredLayers', 'fileAnswer', 'fileChunk', 'fileComplete', 'fileCancel'] as const) {
      this.on(method, () => ({}));
    }
    for (const method of ['lobbyAdmit', 'lobbyDeny', 'muteParticipant', 'muteAll', 'setPermissions', 'setRole', 'removeParticipant', 'endMeeting'] as const) {
      this.on(method, () => ({ affected: 1 }));
    }
    this.on('updateRoomSettings', (patch: { lobby?: boolean; locked?: boolean }) => {
      this.joinAnswer = { ...this.joinAnswer, settings: { ...this.joinAnswer.settings, ...patch } };
      return this.joinAnswer.settings;
    });
    this.on('restartIce', () => {
      this.lastIceParameters = testFakeParameters.generateTransportRemoteParameters().iceParameters;
      return { iceParameters: this.lastIceParameters };
    });
  }

  get socket(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket yet');
    return socket;
  }

  session(resumed = false): AuthenticateResult {
    return {
      peerId: 'me',
      sessionId: 'session-1',
      resumed,
      displayName: 'Me',
      grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false },
      rooms: ['*'],
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: 'test',
      limits: {
        maxMessageBytes: 131072,
        requestsPerSecond: 100,
        maxPeersPerRoom: 50,
        maxProducersPerPeer: 8,
        maxTransportsPerPeer: 4,
        maxChatLength: 2000,
        maxFileBytes: 1024 * 1024,
        fileChunkBytes: 1024,
      },
      iceServers: [],
      mediaAvailable: this.mediaAvailable,
    };
  }

  /** Replaces the answer to a client method; throw a SignalingError to answer an error. */
  on<M extends ClientRequestMethod>(method: M, handler: (data: never, socket: FakeSocket) => unknown): void {
    this.handlers.set(method, handler);
  }

  requests(method: ClientRequestMethod): Record<string, unknown>[] {
    return this.received.filter((r) => r.method === method).map((r) => r.data);
  }

  notify<M extends ServerNotificationMethod>(method: M, data: ServerNotifications[M]): void {
    this.socket.deliver({ type: 'notification', method, data });
  }

  /** Sends a server request; resolves with the client's answer (`ok` and `data` or `error`). */
  request<M extends ServerRequestMethod>(method: M, data: ServerRequests[M]['params']): Promise<SignalingMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.deliver({ type: 'request', id, method, data });
    });
  }

  async receive(socket: FakeSocket, message: SignalingMessage): Promise<void> {
    if (message.type === 'response') {
      const resolve = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (typeof message.id === 'number') this.pending.delete(message.id);
      resolve?.(message);
      return;
    }
    if (message.type !== 'request') return;
    const key = message.key;
    this.received.push({ method: message.method, data: message.data as Record<string, unknown>, ...(key ? { key } : {}) });
    let outcome = key ? this.outcomes.get(key) : undefined;
    if (!outcome) {
      outcome = this.run(message.method, message.data, socket);
      if (key) this.outcomes.set(key, outcome);
    }
    const result = await outcome;
    if (result === NO_ANSWER) return;
    socket.deliver(result.ok ? { type: 'response', id: message.id, ok: true, data: result.data } : { type: 'response', id: message.id, ok: false, error: result.error });
  }

  /** How many times a method was carried out (replays of a key not counted). */
  executed(method: ClientRequestMethod): number {
    const keys = new Set<string>();
    let n = 0;
    for (const r of this.received) {
      if (r.method !== method) continue;
      if (r.key && keys.has(r.key)) continue;
      if (r.key) keys.add(r.key);
      n++;
    }
    return n;
  }

  private async run(method: string, data: unknown, socket: FakeSocket): Promise<{ ok: true; data: unknown } | { ok: false; error: ReturnType<SignalingError['toWire']> } | typeof NO_ANSWER> {
    const handler = this.handlers.get(method);
    try {
      if (!handler) throw new SignalingError('unknown_method', method);
      const result = await handler(data as never, socket);
      if (result === NO_ANSWER) return NO_ANSWER;
      return { ok: true, data: result ?? {} };
    } catch (error) {
      const wire = error instanceof SignalingError ? error.toWire() : { code: 'internal' as const, reason: String(error) };
      return { ok: false, error: wire };
    }
  }
}

/** Return from a handler to leave the request unanswered (timeouts, backpressure). */
export const NO_ANSWER = Symbol('no answer');

/** Lets queued timers and promise chains run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Waits until `predicate` holds (polling), or fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
