import type { ConsumerLayers, Empty, NewConsumerParams, NewDataConsumerParams } from '@confer/signaling-contracts';
import type { Consumer, DataConsumer, RtpParameters, SctpStreamParameters, Transport } from 'mediasoup-client/types';
import { Subscription } from 'rxjs';
import { InvalidStateError } from '../errors';
import { deferred, type Deferred } from '../util/deferred';
import { fromEmitter } from '../util/from-emitter';
import { Logger } from '../util/logger';
import type { RemoteConsumer } from './media-session.types';
import type { SessionContext } from './session-context';

/**
 * Other participants and their media: the peer list, the active speaker, and the
 * consumers and data consumers the server creates for this peer.
 *
 * Consuming is server-first: the server sends `newConsumer` for a consumer it
 * created paused; we consume on the recv transport and only then answer, and the
 * answer is what makes the server resume it. So no RTP arrives before the
 * client-side consumer exists, and a consume that fails is never resumed.
 */
export class Subscriber {
  private readonly logger = new Logger('Subscriber');
  private readonly consumers = new Map<string, Consumer>();
  private readonly dataConsumers = new Map<string, DataConsumer>();
  /** The recv transport of the current media generation; `newConsumer` may arrive before it exists. */
  private recvReady: Deferred<Transport> = deferred();
  /** Listeners on the current consumers, dropped with them. */
  private listeners = new Subscription();

  constructor(private readonly context: SessionContext) {}

  /** Answers the server's consumer requests and follows the room's notifications, for the whole session. */
  listen(): Subscription {
    const { signaling: s, store } = this.context;
    const sub = new Subscription();
    sub.add(s.handle('newConsumer', (data) => this.onNewConsumer(data)));
    sub.add(s.handle('newDataConsumer', (data) => this.onNewDataConsumer(data)));
    sub.add(s.on('peerJoined').subscribe((peer) => store.peers.update((peers) => [...peers.filter((p) => p.id !== peer.id), peer])));
    sub.add(s.on('peerLeft').subscribe(({ peerId }) => this.onPeerLeft(peerId)));
    sub.add(
      s.on('peerDisplayNameChanged').subscribe(({ peerId, displayName }) =>
        store.peers.update((peers) => peers.map((p) => (p.id === peerId ? { ...p, displayName } : p))),
      ),
    );
    sub.add(s.on('consumerClosed').subscribe(({ consumerId }) => this.closeConsumer(consumerId)));
    sub.add(s.on('consumerPaused').subscribe(({ consumerId }) => this.patch(consumerId, { producerPaused: true })));
    sub.add(s.on('consumerResumed').subscribe(({ consumerId }) => this.patch(consumerId, { producerPaused: false })));
    sub.add(s.on('consumerLayersChanged').subscribe(({ consumerId, layers }) => this.patch(consumerId, { layers })));
    sub.add(s.on('consumerScore').subscribe(({ consumerId, score }) => this.patch(consumerId, { score })));
    sub.add(s.on('dataConsumerClosed').subscribe(({ dataConsumerId }) => this.closeDataConsumer(dataConsumerId)));
    sub.add(s.on('activeSpeaker').subscribe(({ peerId }) => store.activeSpeaker.set(peerId)));
    return sub;
  }

  /** A new media generation starts: consumer requests wait for {@link attach} or fail at {@link detach}. */
  prepare(): void {
    this.recvReady = deferred();
  }

  /** The recv transport is ready: waiting and later consumer requests use it. */
  attach(transport: Transport): void {
    this.recvReady.resolve(transport);
  }

  /** There is no recv transport this generation (no media, no right to subscribe): consumer requests fail with `error`. */
  detach(error: Error): void {
    this.recvReady.reject(error);
  }

  /** Asks the server to forward these simulcast/SVC layers of a video consumer. */
  async setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void> {
    this.existing(consumerId, 'setConsumerPreferredLayers()');
    await this.context.request('setConsumerPreferredLayers', { consumerId, ...layers });
    this.patch(consumerId, { preferredLayers: layers });
  }

  /** Pauses one consumer here and on the server. No-op when paused already. */
  async pause(consumerId: string): Promise<void> {
    const consumer = this.existing(consumerId, 'pauseConsumer()');
    if (consumer.paused) return;
    consumer.pause();
    this.patch(consumerId, { paused: true });
    await this.context.request('pauseConsumer', { consumerId });
  }

  /** Resumes a consumer paused with {@link pause}. No-op when it is not paused. */
  async resume(consumerId: string): Promise<void> {
    const consumer = this.existing(consumerId, 'resumeConsumer()');
    if (!consumer.paused) return;
    consumer.resume();
    this.patch(consumerId, { paused: false });
    await this.context.request('resumeConsumer', { consumerId });
  }

  /** Browser stats of a consumer's receiver. */
  async getStats(consumerId: string): Promise<RTCStatsReport> {
    return this.existing(consumerId, 'getConsumerStats()').getStats();
  }

  /** Closes every consumer and data consumer; requests still waiting for the recv transport fail. */
  close(): void {
    this.recvReady.reject(new InvalidStateError('session closed'));
    this.listeners.unsubscribe();
    this.listeners = new Subscription();
    for (const consumer of this.consumers.values()) consumer.close();
    for (const dataConsumer of this.dataConsumers.values()) dataConsumer.close();
    this.consumers.clear();
    this.dataConsumers.clear();
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
    this.consumers.set(consumer.id, consumer);
    this.logger.debug(`consume() | peer=${data.peerId} kind=${data.kind} source=${data.appData.source} id=${consumer.id}`);
    const sub = new Subscription();
    this.listeners.add(sub);
    sub.add(fromEmitter(consumer, 'transportclose').subscribe(() => this.forgetConsumer(consumer.id)));
    consumer.observer.once('close', () => sub.unsubscribe());
    this.context.store.consumers.update((list) => [
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
    // Answering is what resumes it on the server: the consumer and its track exist now.
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
    this.dataConsumers.set(dataConsumer.id, dataConsumer);
    const sub = new Subscription();
    this.listeners.add(sub);
    sub.add(
      fromEmitter(dataConsumer, 'message').subscribe(([message]) =>
        this.context.store.dataMessages.next({ dataConsumerId: dataConsumer.id, peerId: data.peerId, label: data.label, data: message as string | ArrayBuffer }),
      ),
    );
    sub.add(fromEmitter(dataConsumer, 'transportclose').subscribe(() => this.closeDataConsumer(dataConsumer.id)));
    sub.add(fromEmitter(dataConsumer, 'close').subscribe(() => this.closeDataConsumer(dataConsumer.id)));
    dataConsumer.observer.once('close', () => sub.unsubscribe());
    this.context.store.dataConsumers.update((list) => [
      ...list,
      { id: dataConsumer.id, peerId: data.peerId, dataProducerId: data.dataProducerId, label: data.label, protocol: data.protocol },
    ]);
    return {};
  }

  private onPeerLeft(peerId: string): void {
    const { store } = this.context;
    for (const c of store.consumers.value) if (c.peerId === peerId) this.closeConsumer(c.id);
    for (const d of store.dataConsumers.value) if (d.peerId === peerId) this.closeDataConsumer(d.id);
    store.peers.update((peers) => peers.filter((p) => p.id !== peerId));
    if (store.activeSpeaker.value === peerId) store.activeSpeaker.set(null);
  }

  private closeConsumer(consumerId: string): void {
    const consumer = this.consumers.get(consumerId);
    this.forgetConsumer(consumerId);
    consumer?.close();
  }

  private forgetConsumer(consumerId: string): void {
    this.consumers.delete(consumerId);
    this.context.store.consumers.update((list) => list.filter((c) => c.id !== consumerId));
  }

  private closeDataConsumer(dataConsumerId: string): void {
    const dataConsumer = this.dataConsumers.get(dataConsumerId);
    this.dataConsumers.delete(dataConsumerId);
    this.context.store.dataConsumers.update((list) => list.filter((d) => d.id !== dataConsumerId));
    if (dataConsumer && !dataConsumer.closed) dataConsumer.close();
  }

  /** Notifications may name a consumer closed meanwhile: those are ignored. */
  private patch(consumerId: string, patch: Partial<RemoteConsumer>): void {
    if (this.consumers.has(consumerId)) this.context.store.patchConsumer(consumerId, patch);
  }

  private existing(consumerId: string, what: string): Consumer {
    this.context.store.assertInRoom(what);
    const consumer = this.consumers.get(consumerId);
    if (!consumer) throw new InvalidStateError(`${what}: no consumer ${consumerId}`);
    return consumer;
  }
}
