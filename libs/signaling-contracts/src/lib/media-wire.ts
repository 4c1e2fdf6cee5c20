/**
 * The wire rules of the media objects a client sends on to mediasoup, typed
 * against the contract's types in media-types.ts. Integer ranges are those of
 * mediasoup's FlatBuffers schema (worker/fbs/*.fbs: `uint8` payload types and
 * header extension ids, `uint32` SSRCs and clock rates, `uint16` SCTP stream
 * ids), closed sets are its enums (header extension URIs, DTLS roles and
 * fingerprint algorithms): a value outside them would make mediasoup throw
 * half-way through building a worker request. Lengths and counts are this
 * server's bounds, far above what a browser sends.
 */
import type {
  DtlsFingerprint,
  DtlsParameters,
  RtcpFeedback,
  RtcpParameters,
  RtpCapabilities,
  RtpCodecCapability,
  RtpCodecParameters,
  RtpEncodingParameters,
  RtpHeaderExtensionCapability,
  RtpHeaderExtensionParameters,
  RtpParameters,
  SctpCapabilities,
  SctpStreamParameters,
} from './media-types';
import { UINT16, UINT32, UINT8, arrayOf, bool, int, num, objectOf, oneOf, opt, req, str, type ObjectRule, type ParametersRule } from './wire-schema';

/** RTP header extensions mediasoup knows (its `RtpHeaderExtensionUri` enum). */
export const RTP_HEADER_EXTENSION_URIS = [
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension',
  'urn:3gpp:video-orientation',
  'urn:ietf:params:rtp-hdrext:toffset',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time',
  'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
  'urn:mediasoup:params:rtp-hdrext:packet-id',
] as const;

/** DTLS fingerprint algorithms mediasoup knows (its `FingerprintAlgorithm` enum). */
export const DTLS_FINGERPRINT_ALGORITHMS = ['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'] as const;

const PRIORITIES = ['very-low', 'low', 'medium', 'high'] as const;
const MIME_TYPE = str(64, { minLength: 7, pattern: /^(audio|video)\/[A-Za-z0-9][A-Za-z0-9._+-]*$/, patternHint: '"audio/<codec>" or "video/<codec>"' });
const PAYLOAD_TYPE = int(0, 127);
const SSRC = int(0, UINT32);

const PARAMETERS: ParametersRule = { kind: 'parameters', maxKeys: 32, maxKeyLength: 64, maxStringLength: 256, maxArrayItems: 32 };

const RTCP_FEEDBACK = objectOf<RtcpFeedback>({
  type: req(str(64, { minLength: 1 })),
  parameter: opt(str(64)),
});

/** What a codec's parameters and a codec capability share. */
const CODEC_FIELDS = {
  mimeType: req(MIME_TYPE),
  clockRate: req(int(1, UINT32)),
  channels: opt(int(1, UINT8)),
  parameters: opt(PARAMETERS),
  rtcpFeedback: opt(arrayOf(RTCP_FEEDBACK, 32)),
};

const RTP_CODEC_PARAMETERS = objectOf<RtpCodecParameters>({ ...CODEC_FIELDS, payloadType: req(PAYLOAD_TYPE) });

const RTP_HEADER_EXTENSION_PARAMETERS = objectOf<RtpHeaderExtensionParameters>({
  uri: req(oneOf(RTP_HEADER_EXTENSION_URIS)),
  id: req(int(1, UINT8)),
  encrypt: opt(bool),
  parameters: opt(PARAMETERS),
});

const RTP_ENCODING_PARAMETERS = objectOf<RtpEncodingParameters>({
  active: opt(bool),
  ssrc: opt(SSRC),
  rid: opt(str(32, { minLength: 1, pattern: /^[A-Za-z0-9_-]+$/, patternHint: 'letters, digits, "-" or "_"' })),
  codecPayloadType: opt(PAYLOAD_TYPE),
  rtx: opt(objectOf<{ ssrc: number }>({ ssrc: req(SSRC) })),
  dtx: opt(bool),
  scalabilityMode: opt(str(16, { minLength: 1, pattern: /^[LS][1-9]T[1-9](_KEY)?(_SHIFT)?h?$/, patternHint: 'a scalability mode such as "L1T3" or "S3T3"' })),
  scaleResolutionDownBy: opt(num(1, 1024)),
  // uint64 on the wire, but mediasoup converts it with BigInt(): an integer, and no bitrate is above 10 Gbit/s.
  maxBitrate: opt(int(0, 10_000_000_000)),
  maxFramerate: opt(num(0, 1000)),
  adaptivePtime: opt(bool),
  priority: opt(oneOf(PRIORITIES)),
  networkPriority: opt(oneOf(PRIORITIES)),
});

const RTCP_PARAMETERS = objectOf<RtcpParameters>({
  cname: opt(str(256)),
  reducedSize: opt(bool),
  mux: opt(bool),
});

/** `produce`'s `rtpParameters`. */
export const RTP_PARAMETERS_WIRE: ObjectRule<RtpParameters> = objectOf<RtpParameters>({
  mid: opt(str(32, { minLength: 1 })),
  codecs: req(arrayOf(RTP_CODEC_PARAMETERS, 16, 1)),
  headerExtensions: opt(arrayOf(RTP_HEADER_EXTENSION_PARAMETERS, 16)),
  encodings: opt(arrayOf(RTP_ENCODING_PARAMETERS, 16)),
  rtcp: opt(RTCP_PARAMETERS),
  msid: opt(str(256)),
});

const RTP_CODEC_CAPABILITY = objectOf<RtpCodecCapability>({ ...CODEC_FIELDS, kind: req(oneOf(['audio', 'video'])), preferredPayloadType: opt(PAYLOAD_TYPE) });

const RTP_HEADER_EXTENSION_CAPABILITY = objectOf<RtpHeaderExtensionCapability>({
  kind: req(oneOf(['audio', 'video'])),
  // Capabilities are only matched against the router's in JavaScript: unknown URIs are harmless there.
  uri: req(str(256, { minLength: 1 })),
  preferredId: req(int(1, UINT8)),
  preferredEncrypt: opt(bool),
  direction: opt(oneOf(['sendrecv', 'sendonly', 'recvonly', 'inactive'])),
});

/** `join`'s `rtpCapabilities` (a browser Device's). */
export const RTP_CAPABILITIES_WIRE: ObjectRule<RtpCapabilities> = objectOf<RtpCapabilities>({
  codecs: opt(arrayOf(RTP_CODEC_CAPABILITY, 64)),
  headerExtensions: opt(arrayOf(RTP_HEADER_EXTENSION_CAPABILITY, 64)),
});

/** `connectWebRtcTransport`'s `dtlsParameters`. */
export const DTLS_PARAMETERS_WIRE: ObjectRule<DtlsParameters> = objectOf<DtlsParameters>({
  role: opt(oneOf(['auto', 'client', 'server'])),
  fingerprints: req(
    arrayOf(
      objectOf<DtlsFingerprint>({
        algorithm: req(oneOf(DTLS_FINGERPRINT_ALGORITHMS)),
        value: req(str(191, { minLength: 2, pattern: /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/, patternHint: 'hex bytes separated by ":"' })),
      }),
      8,
      1,
    ),
  ),
});

/** `produceData`'s `sctpStreamParameters` (`uint16` stream id and limits on the wire). */
export const SCTP_STREAM_PARAMETERS_WIRE: ObjectRule<SctpStreamParameters> = objectOf<SctpStreamParameters>({
  streamId: req(int(0, UINT16 - 1)),
  ordered: opt(bool),
  maxPacketLifeTime: opt(int(0, UINT16)),
  maxRetransmits: opt(int(0, UINT16)),
});

/** `createWebRtcTransport`'s and `join`'s `sctpCapabilities`. */
export const SCTP_CAPABILITIES_WIRE: ObjectRule<SctpCapabilities> = objectOf<SctpCapabilities>({
  numStreams: req(objectOf<{ OS: number; MIS: number }>({ OS: req(int(1, UINT16)), MIS: req(int(1, UINT16)) })),
});
