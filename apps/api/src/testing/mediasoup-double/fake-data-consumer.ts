import type { AppData, SctpStreamParameters } from 'mediasoup/types';
import type { FakeDataProducer, FakeDataProducerSubscriber } from './fake-data-producer';
import type { FakeRegistry } from './fake-registry';
import { FakeSink } from './fake-sink';

/** mediasoup's DataConsumer (SCTP). */
export class FakeDataConsumer extends FakeSink implements FakeDataProducerSubscriber {
  protected readonly entityKind = 'dataConsumer';
  protected readonly method = 'DATACONSUMER';
  readonly type = 'sctp';
  readonly dataProducerId: string;
  readonly label: string;
  readonly protocol: string;

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    private readonly dataProducer: FakeDataProducer,
    readonly sctpStreamParameters: SctpStreamParameters,
  ) {
    super(registry, appData);
    this.register();
    this.dataProducerId = dataProducer.id;
    this.label = dataProducer.label;
    this.protocol = dataProducer.protocol;
    dataProducer.dataConsumers.add(this);
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'data-consumer', label: this.label, timestamp: Date.now() }];
  }

  protected detachFromSource(): void {
    this.dataProducer.dataConsumers.delete(this);
  }

  /** @internal */
  dataProducerClosed(): void {
    this.markClosed('dataproducerclose');
  }
}
