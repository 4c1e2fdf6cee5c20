import { FakeChannel } from './fake-channel';

/** The kinds of object the double counts. */
export type FakeKind = 'worker' | 'webRtcServer' | 'router' | 'transport' | 'pipeTransport' | 'producer' | 'consumer' | 'dataProducer' | 'dataConsumer' | 'rtpObserver';
export type FakeCounts = Record<FakeKind, number>;

/** The live objects of one double, by kind, and its workers' request channel. */
export class FakeRegistry {
  /** The workers' request channel (see fake-channel.ts). */
  readonly channel = new FakeChannel();
  readonly live: Record<FakeKind, Set<{ readonly id: string }>> = {
    worker: new Set(),
    webRtcServer: new Set(),
    router: new Set(),
    transport: new Set(),
    pipeTransport: new Set(),
    producer: new Set(),
    consumer: new Set(),
    dataProducer: new Set(),
    dataConsumer: new Set(),
    rtpObserver: new Set(),
  };

  /** Live objects per kind; all zero (but workers) after every peer left. */
  dump(): FakeCounts {
    return Object.fromEntries(Object.entries(this.live).map(([k, set]) => [k, set.size])) as FakeCounts;
  }
}
