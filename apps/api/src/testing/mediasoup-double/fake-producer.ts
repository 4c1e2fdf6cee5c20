import type { AppData, MediaKind, RtpParameters } from 'mediasoup/types';
import type { FakeRegistry } from './fake-registry';
import { FakeSource } from './fake-source';

/** What a producer tells its consumers (FakeConsumer implements it). */
export interface FakeProducerSubscriber {
  readonly id: string;
  producerPausedChanged(paused: boolean): void;
  producerClosed(): void;
}

/** mediasoup's Producer: pause/resume reach its consumers, closing it closes them (`producerclose`). */
export class FakeProducer extends FakeSource<FakeProducerSubscriber> {
  protected readonly entityKind = 'producer';
  protected readonly method = 'PRODUCER';
  readonly consumers = new Set<FakeProducerSubscriber>();
  readonly kind: MediaKind;
  readonly rtpParameters: RtpParameters;
  readonly consumableRtpParameters: RtpParameters;
  readonly type: 'simple' | 'simulcast' | 'svc';
  paused: boolean;

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    data: { id?: string; kind: MediaKind; rtpParameters: RtpParameters; consumableRtpParameters: RtpParameters; type: 'simple' | 'simulcast' | 'svc'; paused: boolean },
  ) {
    super(registry, appData, data.id);
    this.register();
    this.kind = data.kind;
    this.rtpParameters = data.rtpParameters;
    this.consumableRtpParameters = data.consumableRtpParameters;
    this.type = data.type;
    this.paused = data.paused;
  }

  async pause(): Promise<void> {
    this.assertOpen('PAUSE');
    const was = this.paused;
    this.paused = true;
    if (!was) setImmediate(() => this.consumers.forEach((c) => c.producerPausedChanged(true)));
  }

  async resume(): Promise<void> {
    this.assertOpen('RESUME');
    const was = this.paused;
    this.paused = false;
    if (was) setImmediate(() => this.consumers.forEach((c) => c.producerPausedChanged(false)));
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'inbound-rtp', kind: this.kind, timestamp: Date.now() }];
  }

  protected get sinks(): Set<FakeProducerSubscriber> {
    return this.consumers;
  }

  protected sourceClosed(consumer: FakeProducerSubscriber): void {
    consumer.producerClosed();
  }
}
