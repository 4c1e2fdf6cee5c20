import { Injectable, computed, inject, type Signal } from '@angular/core';
import {
  SignalingError,
  type ClientRequestMethod,
  type ClientRequestParams,
  type ClientRequestResult,
  type ConsumerLayers,
  type DeviceInfo,
  type Empty,
  type NewConsumerParams,
  type NewDataConsumerParams,
  type ProducerAppData,
  type ProducerSource,
  type SctpCapabilities,
  type TransportDirection,
} from '@confer/signaling-contracts';
import type {
  Consumer,
  DataConsumer,
  Device,
  Producer,
  ProducerCodecOptions,
  RtpCapabilities,
  RtpEncodingParameters,
  RtpParameters,
  SctpStreamParameters,
  Transport,
  TransportOptions,
} from 'mediasoup-client/types';
import { Subject, Subscription, fromEvent, map, type Observable } from 'rxjs';
import { InvalidStateError, MediaPermissionError } from '../errors';
import { SignalingClient } from '../signaling/signaling-client';
import { DEVICE_FACTORY, MEDIA_DEVICES, MEDIA_SESSION_OPTIONS } from '../tokens';
import { fromEmitter } from '../util/from-emitter';
import { Logger } from '../util/logger';
import { State } from '../util/state';
import type {
  DataMessage,
  JoinOptions,
  LocalProducer,
  RecoveryKind,
  RemoteConsumer,
  RemoteDataConsumer,
  RemotePeer,
  SessionState,
  TransportStates,
} from './media-session.types';

/** mediasoup-client 3.24 negotiates SCTP streams itself; the server only needs to know we want SCTP. */
const SCTP_CAPABILITIES: SctpCapabilities = { numStreams: { OS: 1024, MIS: 1024 } };

/** Three simulcast layers for camera video (¼, ½ and full resolution). */
const WEBCAM_SIMULCAST: RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** ICE-restart bookkeeping of one transport. */
interface IceWatch {
  direction: TransportDirection;
  /** Pending restart: the `disconnected` grace, or a backoff after a failed restart. */
  timer: ReturnType<typeof setTimeout> | null;
  /** The restart being made now (server `restartIce`, then the client's). */
  running: Promise<void> | null;
  /** Restarts since the transport was last `connected` (for the backoff). */
  attempts: number;
  /** From a restart of a disconnected/failed transport until it is `connected` again (`recovery` = `ice`). */
  recovering: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when it is rejected at teardown.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * A participant's media in one room: the mediasoup-client Device, the send and
 * recv transports, this peer's producers and the consumers the server creates
 * for it. State is exposed as read-only signals and as observables (`…$`).
 *
 * Consuming is server-first: the server sends `newConsumer` for a consumer it
 * created paused; we consume, answer, and only then does the server resume it,
 * so no RTP arrives before the client-side consumer exists.
 */
@Injectable({ providedIn: 'root' })
export class MediaSession {
  private readonly signaling = inject(SignalingClient);
  private readonly createDevice = inject(DEVICE_FACTORY);
  private readonly mediaDevices = inject(MEDIA_DEVICES);
  private readonly sessionOptions = inject(MEDIA_SESSION_OPTIONS);
  private readonly logger = new Logger('MediaSession');

  private readonly stateCell = new State<SessionState>('idle');
  private readonly errorCell = new State<Error | null>(null);
  private readonly mediaAvailableCell = new State<boolean>(false);
  private readonly peersCell = new State<readonly RemotePeer[]>([]);
  private readonly producersCell = new State<readonly LocalProducer[]>([]);
  private readonly consumersCell = new State<readonly RemoteConsumer[]>([]);
  private readonly dataConsumersCell = new State<readonly RemoteDataConsumer[]>([]);
  private readonly activeSpeakerCell = new State<string | null>(null);
  private readonly transportsCell = new State<TransportStates>({ send: 'none', recv: 'none' });
  private readonly recoveryCell = new State<RecoveryKind | null>(null);
  private readonly dataMessagesSubject = new Subject<DataMessage>();

  private options: JoinOptions | null = null;
  private device: Device | null = null;
  /**
   * The last loaded Device and the router capabilities it was loaded with: a
   * rebuild whose new router has the same capabilities reuses it (loading one
   * costs a throw-away RTCPeerConnection).
   */
  private loaded: { device: Device; capabilities: string } | null = null;
  private sendTransport: Transport | null = null;
  private recvTransport: Transport | null = null;
  private recvReady: Deferred<Transport> = deferred();
  private readonly producerObjects = new Map<ProducerSource, Producer>();
  private readonly consumerObjects = new Map<string, Consumer>();
  private readonly dataConsumerObjects = new Map<string, DataConsumer>();
  private readonly iceWatches = new Map<Transport, IceWatch>();
  /** Sources being produced paused (restoring a muted mic): the `produce` request says so. */
  private readonly producePaused = new Set<ProducerSource>();
  /** True while rebuild() runs (`recovery` = `media`). */
  private rebuilding = false;
  /** Set by the reconnect hook when the server resumed the session: restart ICE once the socket is open. */
  private restartIceAfterResume = false;
  /** Everything subscribed for the whole session (notifications, handlers). */
  private session = new Subscription();
  /** Everything subscribed on the current transports and their producers/consumers. */
  private media = new Subscription();
  /**
   * A rebuild was cut short by a lost connection: the reconnect hook redoes it and
   * restores these producers (mic/webcam as they were before the first attempt).
   */
  private interruptedRestore: LocalProducer[] | null = null;
  /** True while a reconnect hook restores the session: its requests jump the queue. */
  private restoring = false;
  /** Serializes set-up, rebuilds and teardown. */
  private chain: Promise<unknown> = Promise.resolve();

  /** Lifecycle state. */
  readonly state = this.stateCell.signal;
  readonly connectionState$ = this.stateCell.changes$;
  /** Why the session is `failed`, or the last non-fatal media error; null otherwise. */
  readonly error = this.errorCell.signal;
  /** False when the server has no media worker: chat, peers and files still work. */
  readonly mediaAvailable = this.mediaAvailableCell.signal;
  readonly mediaAvailable$ = this.mediaAvailableCell.changes$;
  /** The server's reason when media is unavailable (in development, with the fix); null otherwise. */
  readonly mediaUnavailableReason = computed(() => (this.mediaAvailableCell.signal() ? null : (this.signaling.session()?.mediaUnavailableReason ?? null)));
  /** Other participants, in join order. */
  readonly remotePeers = this.peersCell.signal;
  readonly remotePeers$ = this.peersCell.changes$;
  /** This peer's producers (mic, webcam, screen, screen-audio). */
  readonly localProducers = this.producersCell.signal;
  readonly localProducers$ = this.producersCell.changes$;
  /** Every consumer of every remote peer. */
  readonly consumers = this.consumersCell.signal;
  readonly consumers$ = this.consumersCell.changes$;
  /** Consumers grouped by peer id. */
  readonly consumersByPeer: Signal<ReadonlyMap<string, readonly RemoteConsumer[]>> = computed(() => groupByPeer(this.consumersCell.signal()));
  readonly consumersByPeer$: Observable<ReadonlyMap<string, readonly RemoteConsumer[]>> = this.consumersCell.changes$.pipe(map(groupByPeer));
  readonly dataConsumers = this.dataConsumersCell.signal;
  readonly dataConsumers$ = this.dataConsumersCell.changes$;
  /** Messages arriving on data consumers. */
  readonly dataMessages$: Observable<DataMessage> = this.dataMessagesSubject.asObservable();
  /** Peer id of the dominant speaker (possibly this peer's own id); null when nobody speaks. */
  readonly activeSpeaker = this.activeSpeakerCell.signal;
  readonly activeSpeaker$ = this.activeSpeakerCell.changes$;
  /** Connection state of the send and recv WebRTC transports. */
  readonly transportStates = this.transportsCell.signal;
  readonly transportStates$ = this.transportsCell.changes$;
  /**
   * What the session is recovering from right now (socket, media rebuild, ICE
   * restart), or null when all is well. Apps show a "reconnecting media" notice.
   */
  readonly recovery = this.recoveryCell.signal;
  readonly recovery$ = this.recoveryCell.changes$;
  /** This peer's id once authenticated. */
  readonly peerId = computed(() => this.signaling.session()?.peerId ?? null);

  /**
   * Authenticates, enters the room, loads the Device from the router's RTP
   * capabilities, joins and creates the transports. Without a media worker on the
   * server it joins without media (`mediaAvailable` false).
   */
  async join(options: JoinOptions): Promise<void> {
    const state = this.stateCell.value;
    if (state !== 'idle' && state !== 'closed' && state !== 'failed') throw new InvalidStateError(`join() while ${state}`);
    if (!options.token || !options.roomId || !options.displayName) throw new TypeError('token, roomId and displayName are required');
    this.options = options;
    this.interruptedRestore = null;
    this.errorCell.set(null);
    this.stateCell.set('joining');
    this.session = new Subscription();
    this.listen();
    try {
      const auth = await this.signaling.connect(options.token);
      this.mediaAvailableCell.set(auth.mediaAvailable);
      await this.serialize(() => this.setUpRoom());
      this.stateCell.set('joined');
      this.logger.debug(`join() | room=${options.roomId} peer=${auth.peerId} media=${this.mediaAvailableCell.value}`);
    } catch (error) {
      this.logger.warn(`join() failed | room=${options.roomId}`, error);
      this.teardown();
      this.signaling.close();
      this.errorCell.set(error as Error);
      this.stateCell.set('failed');
      throw error;
    }
  }

  /** Leaves the room and closes every producer, consumer, transport and the socket. */
  async leave(): Promise<void> {
    const state = this.stateCell.value;
    if (state === 'idle' || state === 'closed') return;
    if (this.signaling.state() === 'open') {
      try {
        await this.request('leave', {});
      } catch (error) {
        this.logger.debug(`leave request failed (ignored) | ${(error as Error).message}`);
      }
    }
    this.teardown();
    this.signaling.close();
    this.stateCell.set('closed');
  }

  // ---- producing -----------------------------------------------------------------

  /** Starts the microphone (or the given device). No-op when already on. */
  async enableMic(deviceId?: string): Promise<void> {
    if (this.producerObjects.has('mic')) return;
    const track = await this.capture('microphone', { audio: deviceId ? { deviceId: { exact: deviceId } } : true });
    await this.produce('mic', track, deviceId);
  }

  /** Starts the camera (or the given device) with simulcast where the browser supports it. */
  async enableCamera(deviceId?: string): Promise<void> {
    if (this.producerObjects.has('webcam')) return;
    const track = await this.capture('camera', {
      video: { ...(deviceId ? { deviceId: { exact: deviceId } } : {}), width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
    });
    await this.produce('webcam', track, deviceId);
  }

  /** Shares a screen (plus its audio when the browser offers it). Stopping from the browser UI disables it. */
  async enableScreenShare(): Promise<void> {
    if (this.producerObjects.has('screen')) return;
    this.assertCanProduce();
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: true });
    } catch (error) {
      throw MediaPermissionError.from(error, 'screen');
    }
    const [video] = stream.getVideoTracks();
    const [audio] = stream.getAudioTracks();
    if (!video) throw new MediaPermissionError('not_found', 'screen', 'No screen was shared.');
    await this.produce('screen', video);
    if (audio) await this.produce('screen-audio', audio);
  }

  disableMic(): Promise<void> {
    return this.closeProducer('mic');
  }

  disableCamera(): Promise<void> {
    return this.closeProducer('webcam');
  }

  async disableScreenShare(): Promise<void> {
    await this.closeProducer('screen-audio');
    await this.closeProducer('screen');
  }

  /** Mute: pauses the producer locally (no RTP) and on the server (others see it paused). */
  async pauseProducer(source: ProducerSource): Promise<void> {
    const producer = this.producerObjects.get(source);
    if (!producer || producer.paused) return;
    producer.pause();
    this.patchProducer(producer.id, { paused: true });
    await this.request('pauseProducer', { producerId: producer.id });
  }

  /** Unmute. */
  async resumeProducer(source: ProducerSource): Promise<void> {
    const producer = this.producerObjects.get(source);
    if (!producer || !producer.paused) return;
    producer.resume();
    this.patchProducer(producer.id, { paused: false });
    await this.request('resumeProducer', { producerId: producer.id });
  }

  muteMic(): Promise<void> {
    return this.pauseProducer('mic');
  }

  unmuteMic(): Promise<void> {
    return this.resumeProducer('mic');
  }

  /** Switches the microphone without renegotiating (replaceTrack). Enables it when off. */
  async switchMic(deviceId: string): Promise<void> {
    const producer = this.producerObjects.get('mic');
    if (!producer) return this.enableMic(deviceId);
    const track = await this.capture('microphone', { audio: { deviceId: { exact: deviceId } } });
    const old = producer.track;
    await producer.replaceTrack({ track });
    old?.stop(); // producers keep their tracks (stopTracks: false), so the old one is ours to stop
    this.patchProducer(producer.id, { track, deviceId });
  }

  /** Switches the camera without renegotiating. Enables it when off. */
  async switchCamera(deviceId: string): Promise<void> {
    const producer = this.producerObjects.get('webcam');
    if (!producer) return this.enableCamera(deviceId);
    const track = await this.capture('camera', { video: { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } } });
    const old = producer.track;
    await producer.replaceTrack({ track });
    old?.stop();
    this.patchProducer(producer.id, { track, deviceId });
  }

  // ---- consuming -----------------------------------------------------------------

  /** Asks the server to forward these simulcast/SVC layers of a video consumer. */
  async setConsumerPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void> {
    if (!this.consumerObjects.has(consumerId)) throw new InvalidStateError(`no consumer ${consumerId}`);
    await this.request('setConsumerPreferredLayers', { consumerId, ...layers });
    this.patchConsumer(consumerId, { preferredLayers: layers });
  }

  /** Stops receiving one consumer (e.g. a tile scrolled out of view). */
  async pauseConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumerObjects.get(consumerId);
    if (!consumer || consumer.paused) return;
    consumer.pause();
    this.patchConsumer(consumerId, { paused: true });
    await this.request('pauseConsumer', { consumerId });
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.consumerObjects.get(consumerId);
    if (!consumer || !consumer.paused) return;
    consumer.resume();
    this.patchConsumer(consumerId, { paused: false });
    await this.request('resumeConsumer', { consumerId });
  }

  /** Browser stats of a consumer's receiver (inbound-rtp bytes, jitter…). */
  async getConsumerStats(consumerId: string): Promise<RTCStatsReport> {
    const consumer = this.consumerObjects.get(consumerId);
    if (!consumer) throw new InvalidStateError(`no consumer ${consumerId}`);
    return consumer.getStats();
  }

  // ---- set-up --------------------------------------------------------------------

  private request<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>): Promise<ClientRequestResult<M>> {
    return this.signaling.request(method, data, { urgent: this.restoring });
  }

  private listen(): void {
    const s = this.signaling;
    const sub = this.session;
    sub.add(s.handle('newConsumer', (data) => this.onNewConsumer(data)));
    sub.add(s.handle('newDataConsumer', (data) => this.onNewDataConsumer(data)));
    sub.add(s.on('peerJoined').subscribe((peer) => this.peersCell.update((peers) => [...peers.filter((p) => p.id !== peer.id), peer])));
    sub.add(s.on('peerLeft').subscribe(({ peerId }) => this.onPeerLeft(peerId)));
    sub.add(
      s.on('peerDisplayNameChanged').subscribe(({ peerId, displayName }) =>
        this.peersCell.update((peers) => peers.map((p) => (p.id === peerId ? { ...p, displayName } : p))),
      ),
    );
    sub.add(s.on('consumerClosed').subscribe(({ consumerId }) => this.closeConsumer(consumerId)));
    sub.add(s.on('consumerPaused').subscribe(({ consumerId }) => this.patchConsumer(consumerId, { producerPaused: true })));
    sub.add(s.on('consumerResumed').subscribe(({ consumerId }) => this.patchConsumer(consumerId, { producerPaused: false })));
    sub.add(s.on('consumerLayersChanged').subscribe(({ consumerId, layers }) => this.patchConsumer(consumerId, { layers })));
    sub.add(s.on('consumerScore').subscribe(({ consumerId, score }) => this.patchConsumer(consumerId, { score })));
    sub.add(s.on('producerScore').subscribe(({ producerId, score }) => this.patchProducer(producerId, { score })));
    sub.add(s.on('dataConsumerClosed').subscribe(({ dataConsumerId }) => this.closeDataConsumer(dataConsumerId)));
    sub.add(s.on('activeSpeaker').subscribe(({ peerId }) => this.activeSpeakerCell.set(peerId)));
    sub.add(s.on('mediaReset').subscribe(({ reason }) => void this.rebuild(`mediaReset: ${reason}`)));
    sub.add(
      s.state$.subscribe((state) => {
        if (state === 'reconnecting' && this.stateCell.value === 'joined') this.stateCell.set('reconnecting');
        if (state === 'closed' && (this.stateCell.value === 'joined' || this.stateCell.value === 'reconnecting')) {
          this.teardown();
          this.errorCell.set(new SignalingError('timeout', 'Lost the connection to the server.'));
          this.stateCell.set('failed');
        }
        this.updateRecovery();
      }),
    );
    // Runs before requests queued during the outage are sent, so they reach a joined peer.
    sub.add(
      s.onReconnect(async ({ resumed }) => {
        if (resumed && !this.interruptedRestore) {
          // Transports, producers and consumers survived on the server; the network may have
          // changed though, so ICE restarts once the socket is open (see reconnected$ below).
          this.restartIceAfterResume = true;
          this.stateCell.set('joined');
        } else {
          await this.rebuild(resumed ? 'an earlier rebuild was interrupted' : 'session not resumed after reconnection', true);
        }
      }),
    );
    sub.add(
      s.reconnected$.subscribe(() => {
        if (!this.restartIceAfterResume) return;
        this.restartIceAfterResume = false;
        void this.restartIce('signaling resumed');
      }),
    );
    // A network change (Wi-Fi → cable, VPN up) usually shows up as `online`: new ICE candidates at once.
    if (typeof globalThis.addEventListener === 'function') {
      sub.add(fromEvent(globalThis as unknown as EventTarget, 'online').subscribe(() => void this.restartIce('the browser is back online')));
    }
  }

  private async setUpRoom(): Promise<void> {
    const options = this.options;
    if (!options) throw new InvalidStateError('not joining');
    const auth = this.signaling.session();
    if (!auth) throw new InvalidStateError('not authenticated');
    this.recvReady = deferred();
    let device: Device | null = null;
    if (this.mediaAvailableCell.value) {
      try {
        const { rtpCapabilities } = await this.request('getRouterRtpCapabilities', { roomId: options.roomId });
        const capabilities = JSON.stringify(rtpCapabilities);
        if (this.loaded?.capabilities === capabilities && this.loaded.device.loaded) {
          device = this.loaded.device;
        } else {
          device = this.createDevice();
          await device.load({ routerRtpCapabilities: rtpCapabilities as RtpCapabilities });
          this.loaded = { device, capabilities };
        }
      } catch (error) {
        if (!(error instanceof SignalingError && error.code === 'media_unavailable')) throw error;
        this.logger.warn(`media unavailable | ${error.message}`);
        this.mediaAvailableCell.set(false);
        device = null;
      }
    }
    this.device = device;
    const { peers } = await this.request('join', {
      roomId: options.roomId,
      displayName: options.displayName,
      device: options.device ?? detectDeviceInfo(device),
      ...(device ? { rtpCapabilities: device.rtpCapabilities, sctpCapabilities: SCTP_CAPABILITIES } : {}),
    });
    this.peersCell.set(peers);
    if (!device) {
      this.recvReady.reject(new InvalidStateError('media unavailable'));
      return;
    }
    // Both transports at once: the two round trips overlap, which matters when a whole room rebuilds.
    const recvReady = this.recvReady;
    let recv = Promise.resolve();
    if (auth.grants.canSubscribe) {
      recv = this.createTransport('recv').then((transport) => {
        this.recvTransport = transport;
        recvReady.resolve(transport);
      });
    } else {
      recvReady.reject(new InvalidStateError('the token does not allow subscribing'));
    }
    const send =
      auth.grants.canPublish || auth.grants.canPublishData
        ? this.createTransport('send').then((transport) => {
            this.sendTransport = transport;
          })
        : Promise.resolve();
    const [recvResult, sendResult] = await Promise.allSettled([recv, send]);
    for (const result of [recvResult, sendResult]) if (result.status === 'rejected') throw result.reason;
  }

  private async createTransport(direction: TransportDirection): Promise<Transport> {
    const device = this.device;
    if (!device) throw new InvalidStateError('no device');
    const remote = await this.request('createWebRtcTransport', { direction, sctpCapabilities: SCTP_CAPABILITIES });
    const options = {
      id: remote.transportId,
      iceParameters: remote.iceParameters,
      iceCandidates: remote.iceCandidates,
      dtlsParameters: remote.dtlsParameters,
      sctpParameters: remote.sctpParameters,
      iceServers: (remote.iceServers?.length ? remote.iceServers : this.signaling.session()?.iceServers) ?? [],
    } as TransportOptions;
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    const media = this.media;
    if (media.closed) {
      // closeMedia() ran while the server created it (a rebuild started): not ours to keep.
      transport.close();
      throw new InvalidStateError('media closed while creating a transport');
    }
    this.iceWatches.set(transport, { direction, timer: null, running: null, attempts: 0, recovering: false });
    media.add(
      fromEmitter(transport, 'connect').subscribe(([{ dtlsParameters }, callback, errback]) => {
        this.request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(callback, errback);
      }),
    );
    media.add(
      fromEmitter(transport, 'connectionstatechange').subscribe(([state]) => {
        this.logger.debug(`transport ${direction} | state=${state}`);
        this.transportsCell.update((s) => ({ ...s, [direction]: state }));
        this.onTransportState(transport, state);
      }),
    );
    if (direction === 'send') {
      media.add(
        fromEmitter(transport, 'produce').subscribe(([{ kind, rtpParameters, appData }, callback, errback]) => {
          const source = (appData as ProducerAppData).source;
          const paused = this.producePaused.has(source);
          this.request('produce', { transportId: transport.id, kind, rtpParameters, appData: appData as ProducerAppData, ...(paused ? { paused } : {}) })
            .then(({ producerId }) => callback({ id: producerId }), errback);
        }),
      );
      media.add(
        fromEmitter(transport, 'producedata').subscribe(([{ sctpStreamParameters, label, protocol, appData }, callback, errback]) => {
          this.request('produceData', { transportId: transport.id, sctpStreamParameters, label, protocol, appData })
            .then(({ dataProducerId }) => callback({ id: dataProducerId }), errback);
        }),
      );
    }
    this.transportsCell.update((s) => ({ ...s, [direction]: 'new' }));
    return transport;
  }

  /**
   * Produces `track` as `source`. Producers do not own their tracks
   * (`stopTracks: false`): a rebuild closes the producers and produces the same
   * tracks again without asking for the devices; deliberate closes stop them.
   */
  private async produce(source: ProducerSource, track: MediaStreamTrack, deviceId?: string, paused = false): Promise<void> {
    const transport = this.sendTransport;
    if (!transport || !this.device) {
      track.stop();
      this.assertCanProduce();
      return;
    }
    if (paused) this.producePaused.add(source);
    let producer: Producer;
    try {
      producer = await transport.produce({ track, ...this.produceOptions(source), stopTracks: false, appData: { source } satisfies ProducerAppData });
    } finally {
      this.producePaused.delete(source);
    }
    // The server created it paused already; this only stops the RTP here.
    if (paused) producer.pause();
    this.producerObjects.set(source, producer);
    this.logger.debug(`produce() | source=${source} kind=${producer.kind} id=${producer.id} paused=${paused}`);
    const sub = new Subscription();
    this.media.add(sub);
    sub.add(fromEmitter(producer, 'trackended').subscribe(() => void this.closeProducer(source)));
    sub.add(fromEmitter(producer, 'transportclose').subscribe(() => this.forgetProducer(source, producer)));
    // Drop the per-producer listeners with the producer.
    producer.observer.once('close', () => sub.unsubscribe());
    this.producersCell.update((list) => [
      ...list,
      { id: producer.id, source, kind: producer.kind, track, paused: producer.paused, deviceId, score: [] },
    ]);
  }

  private produceOptions(source: ProducerSource): { encodings?: RtpEncodingParameters[]; codecOptions?: ProducerCodecOptions } {
    switch (source) {
      case 'mic':
        return { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } };
      case 'webcam':
        return { encodings: this.webcamEncodings(), codecOptions: { videoGoogleStartBitrate: 1000 } };
      case 'screen':
        return { codecOptions: { videoGoogleStartBitrate: 1000 } };
      default:
        return {};
    }
  }

  private async closeProducer(source: ProducerSource): Promise<void> {
    const producer = this.producerObjects.get(source);
    if (!producer) return;
    this.forgetProducer(source, producer);
    const track = producer.track;
    producer.close();
    track?.stop();
    try {
      await this.request('closeProducer', { producerId: producer.id });
    } catch (error) {
      this.logger.debug(`closeProducer failed (ignored) | ${(error as Error).message}`);
    }
  }

  private forgetProducer(source: ProducerSource, producer: Producer): void {
    if (this.producerObjects.get(source) === producer) this.producerObjects.delete(source);
    this.producersCell.update((list) => list.filter((p) => p.id !== producer.id));
  }

  private async onNewConsumer(data: NewConsumerParams): Promise<Empty> {
    const transport = await this.recvReady.promise;
    const consumer = await transport.consume({
      id: data.id,
      producerId: data.producerId,
      kind: data.kind,
      rtpParameters: data.rtpParameters as RtpParameters,
      appData: { ...data.appData, peerId: data.peerId },
    });
    this.consumerObjects.set(consumer.id, consumer);
    this.logger.debug(`consume() | peer=${data.peerId} kind=${data.kind} source=${data.appData.source} id=${consumer.id}`);
    const sub = new Subscription();
    this.media.add(sub);
    sub.add(fromEmitter(consumer, 'transportclose').subscribe(() => this.forgetConsumer(consumer.id)));
    consumer.observer.once('close', () => sub.unsubscribe());
    this.consumersCell.update((list) => [
      ...list,
      {
        id: consumer.id,
        peerId: data.peerId,
        producerId: data.producerId,
        kind: data.kind,
        source: data.appData.source,
        type: data.type,
        track: consumer.track,
        paused: false,
        producerPaused: data.producerPaused,
        score: null,
        layers: null,
        preferredLayers: null,
      },
    ]);
    return {};
  }

  private async onNewDataConsumer(data: NewDataConsumerParams): Promise<Empty> {
    const transport = await this.recvReady.promise;
    const dataConsumer = await transport.consumeData({
      id: data.id,
      dataProducerId: data.dataProducerId,
      sctpStreamParameters: data.sctpStreamParameters as SctpStreamParameters,
      label: data.label,
      protocol: data.protocol,
      appData: { ...data.appData, peerId: data.peerId },
    });
    this.dataConsumerObjects.set(dataConsumer.id, dataConsumer);
    const sub = new Subscription();
    this.media.add(sub);
    sub.add(
      fromEmitter(dataConsumer, 'message').subscribe(([message]) =>
        this.dataMessagesSubject.next({ dataConsumerId: dataConsumer.id, peerId: data.peerId, label: data.label, data: message as string | ArrayBuffer }),
      ),
    );
    sub.add(fromEmitter(dataConsumer, 'transportclose').subscribe(() => this.closeDataConsumer(dataConsumer.id)));
    sub.add(fromEmitter(dataConsumer, 'close').subscribe(() => this.closeDataConsumer(dataConsumer.id)));
    dataConsumer.observer.once('close', () => sub.unsubscribe());
    this.dataConsumersCell.update((list) => [
      ...list,
      { id: dataConsumer.id, peerId: data.peerId, dataProducerId: data.dataProducerId, label: data.label, protocol: data.protocol },
    ]);
    return {};
  }

  private onPeerLeft(peerId: string): void {
    for (const c of this.consumersCell.value) if (c.peerId === peerId) this.closeConsumer(c.id);
    for (const d of this.dataConsumersCell.value) if (d.peerId === peerId) this.closeDataConsumer(d.id);
    this.peersCell.update((peers) => peers.filter((p) => p.id !== peerId));
    if (this.activeSpeakerCell.value === peerId) this.activeSpeakerCell.set(null);
  }

  private closeConsumer(consumerId: string): void {
    const consumer = this.consumerObjects.get(consumerId);
    this.forgetConsumer(consumerId);
    consumer?.close();
  }

  private forgetConsumer(consumerId: string): void {
    this.consumerObjects.delete(consumerId);
    this.consumersCell.update((list) => list.filter((c) => c.id !== consumerId));
  }

  private closeDataConsumer(dataConsumerId: string): void {
    const dataConsumer = this.dataConsumerObjects.get(dataConsumerId);
    this.dataConsumerObjects.delete(dataConsumerId);
    this.dataConsumersCell.update((list) => list.filter((d) => d.id !== dataConsumerId));
    if (dataConsumer && !dataConsumer.closed) dataConsumer.close();
  }

  // ---- recovery ------------------------------------------------------------------

  /** Restarts ICE on every transport (resumed session, `online`). */
  private async restartIce(why: string): Promise<void> {
    const transports = [this.sendTransport, this.recvTransport].filter((t): t is Transport => t !== null && !t.closed);
    await Promise.all(transports.map((t) => this.restartTransportIce(t, why)));
  }

  /**
   * `disconnected` often heals by itself (a lost packet burst), so it gets a grace
   * period; `failed` does not, so it restarts at once (later ones back off).
   */
  private onTransportState(transport: Transport, state: RTCPeerConnectionState): void {
    const watch = this.iceWatches.get(transport);
    if (!watch) return;
    switch (state) {
      case 'connected':
        this.clearIceTimer(watch);
        watch.attempts = 0;
        watch.recovering = false;
        break;
      case 'disconnected':
        if (watch.timer || watch.running) break;
        watch.timer = setTimeout(() => {
          watch.timer = null;
          if (transport.connectionState === 'disconnected') void this.restartTransportIce(transport, `disconnected for ${this.sessionOptions.iceDisconnectedGraceMs} ms`);
        }, this.sessionOptions.iceDisconnectedGraceMs);
        break;
      case 'failed': {
        this.clearIceTimer(watch);
        const delay = this.iceBackoff(watch.attempts);
        if (delay === 0) void this.restartTransportIce(transport, 'ICE failed');
        else watch.timer = setTimeout(() => ((watch.timer = null), void this.restartTransportIce(transport, 'ICE failed again')), delay);
        break;
      }
      case 'closed':
        this.forgetIceWatch(transport);
        break;
    }
    this.updateRecovery();
  }

  /** Server `restartIce` (new ICE ufrag/pwd on its side), then `transport.restartIce()` with them. */
  private restartTransportIce(transport: Transport, why: string): Promise<void> {
    const watch = this.iceWatches.get(transport);
    if (!watch || transport.closed) return Promise.resolve();
    if (watch.running) return watch.running;
    this.clearIceTimer(watch);
    // Nobody to ask without a socket: a resumed reconnection restarts ICE everywhere anyway.
    if (this.signaling.state() !== 'open') return Promise.resolve();
    watch.attempts++;
    // Only an interrupted transport is "recovering"; a precautionary restart (resume, `online`) of a
    // connected or never-connected one is not worth a banner.
    const state = transport.connectionState;
    if (state === 'disconnected' || state === 'failed') watch.recovering = true;
    this.logger.warn(`restartIce() | transport=${watch.direction} attempt=${watch.attempts} why=${why}`);
    const running = (async () => {
      try {
        const { iceParameters } = await this.request('restartIce', { transportId: transport.id });
        if (transport.closed) return;
        await transport.restartIce({ iceParameters });
        // A restart while still connected (resume, `online`) emits no state change: media never stopped.
        if (transport.connectionState === 'connected') {
          watch.recovering = false;
          watch.attempts = 0;
        }
      } catch (error) {
        if (transport.closed || !this.iceWatches.has(transport)) return;
        if (error instanceof SignalingError && error.code === 'not_found' && !this.rebuilding) {
          // The server no longer has the transport (its media was reset): start over.
          void this.rebuild(`restartIce: ${error.reason}`);
          return;
        }
        this.logger.warn(`restartIce failed | transport=${watch.direction}`, error);
        const delay = Math.max(this.iceBackoff(watch.attempts), 1000);
        watch.timer = setTimeout(() => ((watch.timer = null), void this.restartTransportIce(transport, 'retry')), delay);
      } finally {
        watch.running = null;
        this.updateRecovery();
      }
    })();
    watch.running = running;
    this.updateRecovery();
    return running;
  }

  private iceBackoff(attempts: number): number {
    return attempts === 0 ? 0 : Math.min(this.sessionOptions.iceRestartMaxDelayMs, 1000 * 2 ** (attempts - 1));
  }

  private clearIceTimer(watch: IceWatch): void {
    if (watch.timer) clearTimeout(watch.timer);
    watch.timer = null;
  }

  private forgetIceWatch(transport: Transport): void {
    const watch = this.iceWatches.get(transport);
    if (watch) this.clearIceTimer(watch);
    this.iceWatches.delete(transport);
  }

  private updateRecovery(): void {
    const state = this.stateCell.value;
    let kind: RecoveryKind | null = null;
    if (state === 'joined' || state === 'reconnecting') {
      if (this.signaling.state() === 'reconnecting') kind = 'connection';
      else if (this.rebuilding) kind = 'media';
      else if ([...this.iceWatches.values()].some((w) => w.recovering)) kind = 'ice';
    }
    if (this.recoveryCell.value !== kind) this.recoveryCell.set(kind);
  }

  /**
   * Re-creates everything after `mediaReset` or a reconnection the server did not
   * resume: enter and join again, then produce the same local tracks again (mic,
   * camera and screen, muted ones muted) — no new getUserMedia prompt. Only a
   * track that ended meanwhile is captured again (mic/camera; a screen needs a
   * user gesture). Consumers come back through `newConsumer`.
   */
  private rebuild(reason: string, restoring = false): Promise<void> {
    return this.serialize(async () => {
      if (!this.options) return;
      const started = Date.now();
      this.logger.warn(`rebuild() | ${reason}`);
      this.restoring = restoring;
      this.rebuilding = true;
      const wasOn = this.interruptedRestore ?? [...this.producersCell.value];
      this.stateCell.set('reconnecting');
      this.closeMedia(true);
      this.updateRecovery();
      this.mediaAvailableCell.set(this.signaling.session()?.mediaAvailable ?? false);
      try {
        await this.setUpRoom();
        for (const p of wasOn) await this.restoreProducer(p);
        this.interruptedRestore = null;
        this.stateCell.set('joined');
        this.logger.warn(`rebuild() done in ${Date.now() - started} ms | producers=${this.producersCell.value.length}`);
      } catch (error) {
        if (this.signaling.state() === 'reconnecting') {
          // The socket dropped mid-way (e.g. mediaReset right before a server restart):
          // not fatal, the reconnect hook rebuilds once the server is back.
          this.logger.warn(`rebuild() interrupted by the connection loss | ${(error as Error).message}`);
          this.interruptedRestore = wasOn;
          this.closeMedia(true);
          return;
        }
        for (const p of wasOn) p.track.stop();
        // leave() while rebuilding: nothing failed, the user left.
        if (this.stateCell.value === 'closed') return;
        this.logger.error('rebuild() failed', error);
        this.errorCell.set(error as Error);
        this.stateCell.set('failed');
      } finally {
        this.restoring = false;
        this.rebuilding = false;
        this.updateRecovery();
      }
    });
  }

  /** Produces a producer of the previous generation again, with the same track when it is still live. */
  private async restoreProducer(p: LocalProducer): Promise<void> {
    if (this.producerObjects.has(p.source)) return;
    try {
      if (p.track.readyState === 'live') {
        await this.produce(p.source, p.track, p.deviceId, p.paused);
        return;
      }
      // The device went away meanwhile: ask for it again. A screen needs a new user gesture.
      if (p.source === 'mic') await this.enableMic(p.deviceId);
      else if (p.source === 'webcam') await this.enableCamera(p.deviceId);
      else return;
      if (p.paused) await this.pauseProducer(p.source);
    } catch (error) {
      // The device may be gone or refused now: stay in the room without it.
      if (error instanceof SignalingError || !(error instanceof Error)) throw error;
      this.logger.warn(`could not restore ${p.source}`, error);
      this.errorCell.set(error);
    }
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- teardown ------------------------------------------------------------------

  /**
   * Closes all media objects and drops their listeners (the server side is gone
   * or going). For a rebuild the local tracks keep running (they are produced
   * again) and the peer list stays until `join` answers; otherwise tracks stop.
   */
  private closeMedia(forRebuild = false): void {
    this.recvReady.reject(new InvalidStateError('session closed'));
    this.media.unsubscribe();
    this.media = new Subscription();
    for (const transport of [...this.iceWatches.keys()]) this.forgetIceWatch(transport);
    if (!forRebuild) for (const p of this.producersCell.value) p.track.stop();
    for (const producer of this.producerObjects.values()) producer.close();
    for (const consumer of this.consumerObjects.values()) consumer.close();
    for (const dataConsumer of this.dataConsumerObjects.values()) dataConsumer.close();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.producerObjects.clear();
    this.consumerObjects.clear();
    this.dataConsumerObjects.clear();
    this.sendTransport = null;
    this.recvTransport = null;
    this.device = null;
    this.producersCell.set([]);
    this.consumersCell.set([]);
    this.dataConsumersCell.set([]);
    if (!forRebuild) this.peersCell.set([]);
    this.activeSpeakerCell.set(null);
    this.transportsCell.set({ send: 'none', recv: 'none' });
  }

  private teardown(): void {
    this.session.unsubscribe();
    this.session = new Subscription();
    this.closeMedia();
    // Tracks a cut-short rebuild was holding for the next attempt.
    for (const p of this.interruptedRestore ?? []) p.track.stop();
    this.interruptedRestore = null;
    this.loaded = null;
    this.restartIceAfterResume = false;
    this.updateRecovery();
  }

  // ---- helpers -------------------------------------------------------------------

  private assertCanProduce(): void {
    if (!this.mediaAvailableCell.value) throw new InvalidStateError('Media is unavailable on this server.');
    if (!this.sendTransport) throw new InvalidStateError('Cannot send media: not joined or not allowed to publish.');
  }

  private async capture(device: 'camera' | 'microphone', constraints: MediaStreamConstraints): Promise<MediaStreamTrack> {
    this.assertCanProduce();
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      throw MediaPermissionError.from(error, device);
    }
    const track = device === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (!track) throw new MediaPermissionError('not_found', device, `No ${device} was found.`);
    return track;
  }

  /** Simulcast for VP8/H264; SVC (L3T3) when the router's first video codec is VP9/AV1. */
  private webcamEncodings(): RtpEncodingParameters[] | undefined {
    const codec = this.device?.rtpCapabilities.codecs?.find((c) => c.kind === 'video');
    if (!codec) return undefined;
    const mime = codec.mimeType.toLowerCase();
    if (mime === 'video/vp9' || mime === 'video/av1') return [{ scalabilityMode: 'L3T3_KEY', maxBitrate: 1_200_000 }];
    return WEBCAM_SIMULCAST.map((e) => ({ ...e }));
  }

  private patchProducer(producerId: string, patch: Partial<LocalProducer>): void {
    this.producersCell.update((list) => list.map((p) => (p.id === producerId ? { ...p, ...patch } : p)));
  }

  private patchConsumer(consumerId: string, patch: Partial<RemoteConsumer>): void {
    if (!this.consumerObjects.has(consumerId)) return;
    this.consumersCell.update((list) => list.map((c) => (c.id === consumerId ? { ...c, ...patch } : c)));
  }
}

function groupByPeer(consumers: readonly RemoteConsumer[]): ReadonlyMap<string, readonly RemoteConsumer[]> {
  const byPeer = new Map<string, RemoteConsumer[]>();
  for (const c of consumers) byPeer.set(c.peerId, [...(byPeer.get(c.peerId) ?? []), c]);
  return byPeer;
}

function detectDeviceInfo(device: Device | null): DeviceInfo {
  const ua = globalThis.navigator?.userAgent ?? '';
  const match = /(Firefox|Edg|Chrome|Safari)\/([\d.]+)/.exec(ua);
  const flags: Record<string, string> = { Firefox: 'firefox', Edg: 'edge', Chrome: 'chrome', Safari: 'safari' };
  const flag = match ? flags[match[1]] : 'unknown';
  return { flag, name: device?.handlerName ?? flag, ...(match ? { version: match[2] } : {}) };
}
