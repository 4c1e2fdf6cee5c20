import type { AppData } from 'mediasoup/types';
import type { FakeConsumer } from './fake-consumer';
import type { FakeDataConsumer } from './fake-data-consumer';
import type { FakeDataProducer } from './fake-data-producer';
import { FakeEntity } from './fake-entity';
import type { FakeProducer } from './fake-producer';
import type { FakeRegistry } from './fake-registry';
import type { FakeRouterScope } from './fake-router-scope';

let port = 40000;

/** A local port for the next transport (WebRtcTransport and PipeTransport share the range). */
export function nextPort(): number {
  return port++;
}

/**
 * What WebRtcTransport and PipeTransport share: the producers, consumers, data
 * producers and data consumers made on them (producers also on the router, for
 * router-wide lookups), `dump()`, and the close cascade to those children.
 */
export abstract class FakeTransportBase extends FakeEntity {
  readonly producers = new Map<string, FakeProducer>();
  readonly consumers = new Map<string, FakeConsumer>();
  readonly dataProducers = new Map<string, FakeDataProducer>();
  readonly dataConsumers = new Map<string, FakeDataConsumer>();
  protected nextSctpStreamId = 0;

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    protected readonly router: FakeRouterScope,
  ) {
    super(registry, appData);
  }

  protected trackProducer(producer: FakeProducer): FakeProducer {
    this.producers.set(producer.id, producer);
    this.router.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      // A piped producer keeps its original's id: forget the router's entry only if it is this one.
      if (this.router.producers.get(producer.id) === producer) this.router.producers.delete(producer.id);
    });
    return producer;
  }

  protected trackConsumer(consumer: FakeConsumer): FakeConsumer {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
    return consumer;
  }

  protected trackDataProducer(dataProducer: FakeDataProducer): FakeDataProducer {
    this.dataProducers.set(dataProducer.id, dataProducer);
    this.router.dataProducers.set(dataProducer.id, dataProducer);
    dataProducer.observer.once('close', () => {
      this.dataProducers.delete(dataProducer.id);
      if (this.router.dataProducers.get(dataProducer.id) === dataProducer) this.router.dataProducers.delete(dataProducer.id);
    });
    return dataProducer;
  }

  protected trackDataConsumer(dataConsumer: FakeDataConsumer): FakeDataConsumer {
    this.dataConsumers.set(dataConsumer.id, dataConsumer);
    dataConsumer.observer.once('close', () => this.dataConsumers.delete(dataConsumer.id));
    return dataConsumer;
  }

  async dump(): Promise<{ id: string; producerIds: string[]; consumerIds: string[]; dataProducerIds: string[]; dataConsumerIds: string[] }> {
    this.assertOpen('DUMP');
    return {
      id: this.id,
      producerIds: [...this.producers.keys()],
      consumerIds: [...this.consumers.keys()],
      dataProducerIds: [...this.dataProducers.keys()],
      dataConsumerIds: [...this.dataConsumers.keys()],
    };
  }

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.closeChildren();
    this.markClosed();
  }

  /** @internal */
  routerClosed(): void {
    if (this.closed) return;
    this.closeChildren();
    this.markClosed('routerclose');
  }

  /** Called once the children got `transportclose`, before this transport is marked closed. */
  protected childrenClosed(): void {
    // Nothing to do by default; WebRtcTransport sets dtlsState to 'closed' here.
  }

  private closeChildren(): void {
    for (const map of [this.producers, this.consumers, this.dataProducers, this.dataConsumers] as Map<string, { transportClosed(): void }>[]) {
      for (const child of [...map.values()]) child.transportClosed();
    }
    this.childrenClosed();
  }
}
