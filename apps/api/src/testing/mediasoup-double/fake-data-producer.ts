import type { AppData, SctpStreamParameters } from 'mediasoup/types';
import type { FakeRegistry } from './fake-registry';
import { FakeSource } from './fake-source';

/** What a data producer tells its data consumers (FakeDataConsumer implements it). */
export interface FakeDataProducerSubscriber {
  readonly id: string;
  dataProducerClosed(): void;
}

/** mediasoup's DataProducer (SCTP): closing it closes its data consumers (`dataproducerclose`). */
export class FakeDataProducer extends FakeSource<FakeDataProducerSubscriber> {
  protected readonly entityKind = 'dataProducer';
  protected readonly method = 'DATAPRODUCER';
  readonly type = 'sctp';
  readonly dataConsumers = new Set<FakeDataProducerSubscriber>();

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    readonly sctpStreamParameters: SctpStreamParameters,
    readonly label: string,
    readonly protocol: string,
    id?: string,
  ) {
    super(registry, appData, id);
    this.register();
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'data-producer', label: this.label, timestamp: Date.now() }];
  }

  protected get sinks(): Set<FakeDataProducerSubscriber> {
    return this.dataConsumers;
  }

  protected sourceClosed(dataConsumer: FakeDataProducerSubscriber): void {
    dataConsumer.dataProducerClosed();
  }
}
