import { SignalingError } from '@confer/signaling-contracts';
import * as ortc from 'mediasoup/ortc';
import type { RtpCapabilities, RtpParameters, SctpStreamParameters } from 'mediasoup/types';

/*
 * mediasoup's own checks of what a client sends, run on a copy before the value
 * reaches a worker object. What they refuse (TypeError, UnsupportedError) is
 * the client's mistake and is answered `invalid_request` naming the field;
 * so a TypeError that mediasoup throws later can only be our bug, and the
 * exception filter answers it `internal`.
 */

function asClientMistake<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const reason = `${field}: ${(error as Error).message}`;
    throw new SignalingError('invalid_request', reason, { fields: { [field]: [reason] } });
  }
}

/** The client's RTP capabilities, normalized by mediasoup (a copy; the argument is not changed). */
export function checkedRtpCapabilities(rtpCapabilities: unknown): RtpCapabilities {
  const copy = structuredClone(rtpCapabilities) as RtpCapabilities;
  return asClientMistake('rtpCapabilities', () => {
    ortc.validateAndNormalizeRtpCapabilities(copy);
    return copy;
  });
}

/** A producer's RTP parameters as `transport.produce()` will check them against the router's capabilities. */
export function checkRtpParameters(rtpParameters: unknown, routerCapabilities: RtpCapabilities): void {
  const copy = structuredClone(rtpParameters) as RtpParameters;
  asClientMistake('rtpParameters', () => {
    ortc.validateAndNormalizeRtpParameters(copy);
    ortc.getProducerRtpParametersMapping(copy, routerCapabilities);
  });
}

/** A data producer's SCTP stream parameters as `transport.produceData()` will check them. */
export function checkSctpStreamParameters(sctpStreamParameters: unknown): void {
  const copy = structuredClone(sctpStreamParameters) as SctpStreamParameters;
  asClientMistake('sctpStreamParameters', () => ortc.validateAndNormalizeSctpStreamParameters(copy));
}
