import { SignalingError, type RtpParameters } from '@confer/signaling-contracts';

/**
 * What a send transport's RTP and SCTP listeners in the worker already hold:
 * SSRCs (and RTX SSRCs), MIDs, RIDs of producers without a MID, and SCTP stream
 * ids. The worker refuses a producer or data producer that collides with them
 * (RtpListener::AddProducer, SctpListener::AddDataProducer) with a plain error;
 * checking here first answers the client's mistake as `invalid_request`, naming
 * the value, exactly where the worker would refuse it.
 */
export class TransportListeners {
  private readonly ssrcs = new Map<number, string>();
  private readonly mids = new Map<string, string>();
  private readonly rids = new Map<string, string>();
  private readonly streamIds = new Map<number, string>();

  /**
   * Reserves the producer's SSRCs, MID and RIDs for `owner` (a key released by
   * {@link releaseRtp}); throws `invalid_request` on a collision, reserving nothing.
   */
  claimRtp(owner: string, rtpParameters: RtpParameters): void {
    const ssrcs: { ssrc: number; what: string }[] = [];
    for (const [i, encoding] of (rtpParameters.encodings ?? []).entries()) {
      if (encoding.ssrc) ssrcs.push({ ssrc: encoding.ssrc, what: `encodings[${i}].ssrc` });
      if (encoding.rtx?.ssrc) ssrcs.push({ ssrc: encoding.rtx.ssrc, what: `encodings[${i}].rtx.ssrc` });
    }
    const seen = new Set<number>();
    for (const { ssrc, what } of ssrcs) {
      if (seen.has(ssrc) || this.ssrcs.has(ssrc)) throw collision(`rtpParameters.${what}`, `SSRC ${ssrc} is already used on this transport`);
      seen.add(ssrc);
    }
    const mid = rtpParameters.mid;
    if (mid && this.mids.has(mid)) throw collision('rtpParameters.mid', `MID ${JSON.stringify(mid)} is already used on this transport`);
    const rids = (rtpParameters.encodings ?? []).map((e) => e.rid).filter((r): r is string => Boolean(r));
    if (!mid) {
      for (const rid of rids) if (this.rids.has(rid)) throw collision('rtpParameters.encodings', `RID ${JSON.stringify(rid)} is already used on this transport and no MID is given`);
    }
    for (const { ssrc } of ssrcs) this.ssrcs.set(ssrc, owner);
    if (mid) this.mids.set(mid, owner);
    for (const rid of rids) if (!this.rids.has(rid)) this.rids.set(rid, owner);
  }

  releaseRtp(owner: string): void {
    for (const table of [this.ssrcs, this.mids, this.rids] as Map<unknown, string>[]) {
      for (const [key, holder] of table) if (holder === owner) table.delete(key);
    }
  }

  /** Reserves an SCTP stream id for `owner`; `invalid_request` when the transport already has it. */
  claimStream(owner: string, streamId: number): void {
    if (this.streamIds.has(streamId)) throw collision('sctpStreamParameters.streamId', `SCTP stream ${streamId} is already used on this transport`);
    this.streamIds.set(streamId, owner);
  }

  releaseStream(owner: string): void {
    for (const [key, holder] of this.streamIds) if (holder === owner) this.streamIds.delete(key);
  }
}

function collision(field: string, reason: string): SignalingError {
  return new SignalingError('invalid_request', reason, { fields: { [field]: [reason] } });
}
