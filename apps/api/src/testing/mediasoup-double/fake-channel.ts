/**
 * The double's model of mediasoup's worker channel, where it matters for
 * robustness: mediasoup builds every request into one FlatBuffers builder per
 * worker, and a value that cannot be serialized (a float where the schema has an
 * integer, an unknown enum string) throws half-way through, leaving the builder
 * nested so that every later request of that worker throws "FlatBuffers: object
 * serialization must not be nested" — closes included. The double serializes
 * what clients send with mediasoup's own serializers into a real builder, so it
 * fails exactly where, and as lastingly as, the worker does.
 *
 * One channel serves all workers of one double (its tests run one worker where
 * they poison it); a worker that dies or is killed takes a fresh one.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RtpParameters } from 'mediasoup/types';

// mediasoup's own serializer and FlatBuffers runtime (not in its public exports).
const mediasoupRequire = createRequire(require.resolve('mediasoup'));
const flatbuffers = mediasoupRequire('flatbuffers') as { Builder: new (size: number) => FlatBuilder };
const { serializeRtpParameters } = mediasoupRequire(path.join(path.dirname(require.resolve('mediasoup')), 'rtpParametersFbsUtils.js')) as {
  serializeRtpParameters(builder: FlatBuilder, rtpParameters: RtpParameters): number;
};

interface FlatBuilder {
  createString(s: string): number;
  clear(): void;
}

export class FakeChannel {
  private builder: FlatBuilder = new flatbuffers.Builder(1024);

  /**
   * One request of `handler` for `method`, as mediasoup's Channel.request():
   * the body is built first (`build`), then the envelope; the builder is cleared
   * only when both succeed.
   */
  request(handler: string, method: string, build?: (builder: FlatBuilder) => void): void {
    build?.(this.builder);
    this.builder.createString(`${handler}:${method}`);
    this.builder.clear();
  }

  /** `produce`: the RTP parameters as mediasoup serializes them for TRANSPORT_PRODUCE. */
  produce(handler: string, rtpParameters: RtpParameters): void {
    this.request(handler, 'TRANSPORT_PRODUCE', (b) => serializeRtpParameters(b, rtpParameters));
  }

  /** A new worker process: a new channel. */
  reset(): void {
    this.builder = new flatbuffers.Builder(1024);
  }
}
