/**
 * Compile-time checks that what mediasoup produces can be sent as the contract's
 * wire types, and that the contract's client-side shapes are what mediasoup
 * accepts after validation. `tsc` (the typecheck target) is the real test; the
 * jest body only keeps the file a spec.
 */
import type * as wire from '@confer/signaling-contracts';
import type * as ms from 'mediasoup/types';

type Assignable<From, To> = [From] extends [To] ? true : false;
const yes = <T extends true>(): T => true as T;

// mediasoup → wire (server sends these as they are).
yes<Assignable<ms.RtpCapabilities, wire.RtpCapabilities>>();
yes<Assignable<ms.RtpParameters, wire.RtpParameters>>();
yes<Assignable<ms.RtpCodecCapability, wire.RtpCodecCapability>>();
yes<Assignable<ms.RtpHeaderExtension, wire.RtpHeaderExtensionCapability>>();
yes<Assignable<ms.RtpEncodingParameters, wire.RtpEncodingParameters>>();
yes<Assignable<ms.DtlsParameters, wire.DtlsParameters>>();
yes<Assignable<ms.IceParameters, wire.IceParameters>>();
yes<Assignable<ms.IceCandidate, wire.IceCandidate>>();
yes<Assignable<ms.SctpParameters, wire.SctpParameters>>();
yes<Assignable<ms.SctpStreamParameters, wire.SctpStreamParameters>>();
yes<Assignable<ms.ConsumerScore, wire.ConsumerScore>>();
yes<Assignable<ms.ProducerScore, wire.ProducerScore>>();
yes<Assignable<ms.ConsumerLayers, wire.ConsumerLayers>>();
yes<Assignable<ms.MediaKind, wire.MediaKind>>();

// wire → mediasoup where the contract is exact (no cast needed in the services).
yes<Assignable<wire.MediaKind, ms.MediaKind>>();
yes<Assignable<wire.SctpStreamParameters, ms.SctpStreamParameters>>();
yes<Assignable<wire.ConsumerLayers, ms.ConsumerLayers>>();

describe('contract ↔ mediasoup type compatibility', () => {
  it('is checked by the compiler (see the assertions above)', () => {
    expect(yes()).toBe(true);
  });
});
