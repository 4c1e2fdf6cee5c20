import type { RtpCapabilities, RtpParameters, SctpCapabilities } from '@confer/signaling-contracts';

let nextSsrc = 11111111;

function codec(caps: RtpCapabilities, mimeType: string): { preferredPayloadType: number } {
  const found = caps.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (!found?.preferredPayloadType) throw new Error(`router has no ${mimeType}`);
  return { preferredPayloadType: found.preferredPayloadType };
}

/**
 * RTP parameters a browser would send for one audio (opus) or video (VP8 with
 * RTX) track, derived from the router's capabilities as mediasoup-client does.
 */
export function sendRtpParameters(kind: 'audio' | 'video', caps: RtpCapabilities): RtpParameters {
  const ssrc = nextSsrc;
  // Video may carry RTX on ssrc + 1: the next track starts after it.
  nextSsrc += kind === 'video' ? 2 : 1;
  const mid = kind === 'audio' ? '0' : '1';
  const headerExtensions = (caps.headerExtensions ?? [])
    .filter((h) => h.kind === kind && (h.uri === 'urn:ietf:params:rtp-hdrext:sdes:mid' || h.uri === 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time'))
    .map((h) => ({ uri: h.uri, id: h.preferredId }));
  if (kind === 'audio') {
    const opus = codec(caps, 'audio/opus');
    return {
      mid,
      codecs: [{ mimeType: 'audio/opus', payloadType: opus.preferredPayloadType, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
      headerExtensions,
      encodings: [{ ssrc }],
      rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
    };
  }
  const vp8 = codec(caps, 'video/VP8');
  const rtxCap = caps.codecs?.find((c) => c.mimeType.toLowerCase() === 'video/rtx' && c.parameters?.['apt'] === vp8.preferredPayloadType);
  const rtx = rtxCap?.preferredPayloadType ? { preferredPayloadType: rtxCap.preferredPayloadType } : undefined;
  return {
    mid,
    codecs: [
      { mimeType: 'video/VP8', payloadType: vp8.preferredPayloadType, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] },
      ...(rtx ? [{ mimeType: 'video/rtx', payloadType: rtx.preferredPayloadType, clockRate: 90000, parameters: { apt: vp8.preferredPayloadType } }] : []),
    ],
    headerExtensions,
    encodings: [{ ssrc, ...(rtx ? { rtx: { ssrc: ssrc + 1 } } : {}) }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

/** A browser's SCTP capabilities (what mediasoup-client reports). */
export const SCTP_CAPABILITIES: SctpCapabilities = { numStreams: { OS: 1024, MIS: 1024 } };

/** DTLS parameters a client would send in `connectWebRtcTransport`. */
export const CLIENT_DTLS = {
  role: 'client' as const,
  fingerprints: [{ algorithm: 'sha-256', value: 'E5:F5:CA:A7:2D:93:E6:16:AC:21:09:9F:23:51:62:8C:D0:66:E9:0C:22:54:2B:82:0C:DF:E0:C5:2C:7E:CD:53' }],
};
