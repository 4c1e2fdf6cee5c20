import type { CreateWebRtcTransportResult, ProducerAppData, SctpCapabilities, TransportDirection } from '@confer/signaling-contracts';
import type { Device, RtpCapabilities, Transport, TransportOptions } from 'mediasoup-client/types';
import { Subscription } from 'rxjs';
import { InvalidStateError } from '../errors';
import type { MediaSessionOptions } from '../tokens';
import { fromEmitter } from '../util/from-emitter';
import { Logger } from '../util/logger';
import { IceWatchdog } from './ice-watchdog';
import type { SessionContext } from './session-context';

/** mediasoup-client 3.24 negotiates SCTP streams itself; the server only needs to know we want SCTP. */
export const SCTP_CAPABILITIES: SctpCapabilities = { numStreams: { OS: 1024, MIS: 1024 } };

/**
 * appData the publisher gives `transport.produce()`. `paused` is not sent on as
 * appData: the `produce` bridge turns it into the request's own `paused` field, so
 * the server creates the producer paused (no burst of audio from a muted mic).
 */
export interface PublishAppData extends ProducerAppData {
  /** Create the producer paused. Describes the moment of creation only; `LocalProducer.paused` is the live state. */
  paused?: boolean;
}

/** A `createWebRtcTransport` request on its way, made before the Device is loaded (see {@link TransportManager.request}). */
export interface PendingTransport {
  direction: TransportDirection;
  /** The listeners of the media generation it was asked for: closed meanwhile, the transport is not kept. */
  listeners: Subscription;
  answer: Promise<CreateWebRtcTransportResult>;
}

/**
 * The session's mediasoup-client Device and its send and recv transports. Bridges
 * the transports' `connect`, `produce` and `producedata` events to signaling
 * requests, mirrors their connection state into the store, and hands every
 * transport to an {@link IceWatchdog} that restarts ICE when it breaks.
 */
export class TransportManager {
  private readonly logger = new Logger('TransportManager');
  /**
   * The last loaded Device and the router capabilities it was loaded with: a
   * rebuild whose new router has the same capabilities reuses it (loading one
   * costs a throw-away RTCPeerConnection).
   */
  private loaded: { device: Device; capabilities: string } | null = null;
  private current: Device | null = null;
  private sendTransport: Transport | null = null;
  private recvTransport: Transport | null = null;
  /** Listeners on the current transports, dropped with them. */
  private listeners = new Subscription();

  /** Restarts ICE on this manager's transports. */
  readonly ice: IceWatchdog;

  constructor(
    private readonly context: SessionContext,
    private readonly createDevice: () => Device,
    options: MediaSessionOptions,
  ) {
    this.ice = new IceWatchdog(context, options);
  }

  /** The Device of the current media generation; null without media. */
  get device(): Device | null {
    return this.current;
  }

  /** The send transport; null before it exists or without the right to publish. */
  get send(): Transport | null {
    return this.sendTransport;
  }

  /** Loads a Device for the router's capabilities, reusing the last one when they did not change. */
  async loadDevice(routerRtpCapabilities: RtpCapabilities): Promise<Device> {
    const capabilities = JSON.stringify(routerRtpCapabilities);
    if (this.loaded?.capabilities === capabilities && this.loaded.device.loaded) {
      this.current = this.loaded.device;
    } else {
      const device = this.createDevice();
      await device.load({ routerRtpCapabilities });
      this.loaded = { device, capabilities };
      this.current = device;
    }
    return this.current;
  }

  /**
   * Asks the server for a transport in `direction`; {@link create} makes its local
   * side. The server needs only the peer in the room (`getRouterRtpCapabilities`
   * did that), so the join sequence asks while the Device loads and `join` goes out.
   */
  request(direction: TransportDirection): PendingTransport {
    // Taken before the round trip: close() meanwhile unsubscribes exactly this one.
    const listeners = this.listeners;
    const answer = this.context.request('createWebRtcTransport', { direction, sctpCapabilities: SCTP_CAPABILITIES });
    // Not awaited when the join fails first: that failure is the one reported.
    answer.catch(() => undefined);
    return { direction, listeners, answer };
  }

  /** Creates the local side of `pending` (asked for now when not given) with the loaded Device. */
  async create(direction: TransportDirection, pending?: PendingTransport): Promise<Transport> {
    if (!this.current) throw new InvalidStateError('no device');
    const { listeners, answer } = pending ?? this.request(direction);
    const remote = await answer;
    const device = this.current;
    if (!device || listeners.closed) throw new InvalidStateError('media closed while creating a transport');
    const options = {
      id: remote.transportId,
      iceParameters: remote.iceParameters,
      iceCandidates: remote.iceCandidates,
      dtlsParameters: remote.dtlsParameters,
      sctpParameters: remote.sctpParameters,
      iceServers: (remote.iceServers?.length ? remote.iceServers : this.context.signaling.session()?.iceServers) ?? [],
    } as TransportOptions;
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    if (listeners.closed) {
      // close() ran while the server created it (a rebuild started): not ours to keep.
      transport.close();
      throw new InvalidStateError('media closed while creating a transport');
    }
    this.bridge(transport, direction, listeners);
    if (direction === 'send') this.sendTransport = transport;
    else this.recvTransport = transport;
    this.context.store.transports.update((s) => ({ ...s, [direction]: 'new' }));
    return transport;
  }

  /** Closes both transports (which closes their producers and consumers) and stops watching ICE. */
  close(): void {
    this.listeners.unsubscribe();
    this.listeners = new Subscription();
    this.ice.clear();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = null;
    this.recvTransport = null;
    this.current = null;
  }

  /** Drops the cached Device too: the next session loads a fresh one. */
  dispose(): void {
    this.close();
    this.loaded = null;
  }

  private bridge(transport: Transport, direction: TransportDirection, listeners: Subscription): void {
    this.ice.watch(transport, direction);
    listeners.add(
      fromEmitter(transport, 'connect').subscribe(([{ dtlsParameters }, callback, errback]) => {
        this.context.request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(callback, errback);
      }),
    );
    listeners.add(
      fromEmitter(transport, 'connectionstatechange').subscribe(([state]) => {
        this.logger.debug(`transport ${direction} | state=${state}`);
        this.context.store.transports.update((s) => ({ ...s, [direction]: state }));
        this.ice.onState(transport, state);
      }),
    );
    if (direction !== 'send') return;
    listeners.add(
      fromEmitter(transport, 'produce').subscribe(([{ kind, rtpParameters, appData }, callback, errback]) => {
        const { paused, ...wireAppData } = appData as PublishAppData;
        this.context
          .request('produce', { transportId: transport.id, kind, rtpParameters, appData: wireAppData, ...(paused ? { paused } : {}) })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      }),
    );
    listeners.add(
      fromEmitter(transport, 'producedata').subscribe(([{ sctpStreamParameters, label, protocol, appData }, callback, errback]) => {
        this.context
          .request('produceData', { transportId: transport.id, sctpStreamParameters, label, protocol, appData })
          .then(({ dataProducerId }) => callback({ id: dataProducerId }), errback);
      }),
    );
  }
}
