import type { RtpCapabilities } from 'mediasoup/types';
import type { FakeDataProducer } from './fake-data-producer';
import type { FakeProducer } from './fake-producer';

/**
 * What a transport or an RTP observer sees of its router (FakeRouter implements
 * it): its capabilities and its router-wide producer lookups. An interface so
 * that the router's children do not import the router that creates them.
 */
export interface FakeRouterScope {
  readonly id: string;
  readonly rtpCapabilities: RtpCapabilities;
  readonly producers: Map<string, FakeProducer>;
  readonly dataProducers: Map<string, FakeDataProducer>;
  /** Whether a producer or data producer with this id lives on the router's worker (ids are unique per worker). */
  hasProducerOnWorker(id: string): boolean;
}
