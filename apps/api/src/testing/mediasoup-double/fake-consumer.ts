import type { AppData, MediaKind, RtpParameters } from 'mediasoup/types';
import type { FakeProducer, FakeProducerSubscriber } from './fake-producer';
import type { FakeRegistry } from './fake-registry';
import { FakeSink } from './fake-sink';

/** mediasoup's Consumer: its own pause state and its producer's, layers, priority, score. */
export class FakeConsumer extends FakeSink implements FakeProducerSubscriber {
  protected readonly entityKind = 'consumer';
  protected readonly method = 'CONSUMER';
  readonly producerId: string;
  readonly kind: MediaKind;
  readonly type: string;
  paused: boolean;
  producerPaused: boolean;
  priority = 1;
  preferredLayers?: { spatialLayer: number; temporalLayer?: number };
  readonly score = { score: 10, producerScore: 10, producerScores: [] as number[] };

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    private readonly producer: FakeProducer,
    readonly rtpParameters: RtpParameters,
    paused: boolean,
  ) {
    super(registry, appData);
    this.register();
    this.producerId = producer.id;
    this.kind = producer.kind;
    this.type = producer.type;
    this.paused = paused;
    this.producerPaused = producer.paused;
    producer.consumers.add(this);
  }

  async pause(): Promise<void> {
    this.assertOpen('PAUSE');
    const was = this.paused;
    this.paused = true;
    if (!was && !this.producerPaused) this.observer.emit('pause');
  }

  async resume(): Promise<void> {
    this.assertOpen('RESUME');
    const was = this.paused;
    this.paused = false;
    if (was && !this.producerPaused) this.observer.emit('resume');
  }

  async setPreferredLayers(layers: { spatialLayer: number; temporalLayer?: number }): Promise<void> {
    this.assertOpen('SET_PREFERRED_LAYERS');
    if (typeof layers?.spatialLayer !== 'number') throw new TypeError('missing spatialLayer');
    this.preferredLayers = layers;
  }

  async setPriority(priority: number): Promise<void> {
    this.assertOpen('SET_PRIORITY');
    if (typeof priority !== 'number' || priority < 0) throw new TypeError('invalid priority');
    this.priority = priority;
  }

  async requestKeyFrame(): Promise<void> {
    this.assertOpen('REQUEST_KEY_FRAME');
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'outbound-rtp', kind: this.kind, timestamp: Date.now() }];
  }

  protected detachFromSource(): void {
    this.producer.consumers.delete(this);
  }

  /** @internal */
  producerClosed(): void {
    this.markClosed('producerclose');
  }

  /** @internal */
  producerPausedChanged(paused: boolean): void {
    if (this.closed || this.producerPaused === paused) return;
    this.producerPaused = paused;
    this.emit(paused ? 'producerpause' : 'producerresume');
    // As mediasoup's Consumer: the observer reports the effective state (a pipe consumer forwards it to its piped producer).
    if (!this.paused) this.observer.emit(paused ? 'pause' : 'resume');
  }
}
