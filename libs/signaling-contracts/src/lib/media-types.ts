/**
 * Wire shapes of mediasoup's RTP/ICE/DTLS/SCTP objects, declared here so this
 * lib stays free of mediasoup imports. They are deliberately wider than
 * mediasoup's own types (plain strings where mediasoup has literal unions):
 * mediasoup and mediasoup-client objects assign to them as they are, and the
 * other way round the receiving side casts after mediasoup validates. The API's
 * `contracts-compat.spec.ts` checks that assignability at compile time.
 */

export type MediaKind = 'audio' | 'video';

export interface RtcpFeedback {
  type: string;
  parameter?: string;
}

export interface RtpCodecCapability {
  kind: MediaKind;
  mimeType: string;
  preferredPayloadType?: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, unknown>;
  rtcpFeedback?: RtcpFeedback[];
}

export interface RtpHeaderExtensionCapability {
  kind: MediaKind;
  uri: string;
  preferredId: number;
  preferredEncrypt?: boolean;
  direction?: string;
}

export interface RtpCapabilities {
  codecs?: RtpCodecCapability[];
  headerExtensions?: RtpHeaderExtensionCapability[];
}

export interface RtpCodecParameters {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, unknown>;
  rtcpFeedback?: RtcpFeedback[];
}

export interface RtpHeaderExtensionParameters {
  uri: string;
  id: number;
  encrypt?: boolean;
  parameters?: Record<string, unknown>;
}

export interface RtpEncodingParameters {
  /** Sent by mediasoup-client; mediasoup ignores it. */
  active?: boolean;
  ssrc?: number;
  rid?: string;
  codecPayloadType?: number;
  rtx?: { ssrc: number };
  dtx?: boolean;
  scalabilityMode?: string;
  scaleResolutionDownBy?: number;
  maxBitrate?: number;
  maxFramerate?: number;
  adaptivePtime?: boolean;
  priority?: string;
  networkPriority?: string;
}

export interface RtcpParameters {
  cname?: string;
  reducedSize?: boolean;
  mux?: boolean;
}

export interface RtpParameters {
  mid?: string;
  codecs: RtpCodecParameters[];
  headerExtensions?: RtpHeaderExtensionParameters[];
  encodings?: RtpEncodingParameters[];
  rtcp?: RtcpParameters;
  msid?: string;
}

export interface IceParameters {
  usernameFragment: string;
  password: string;
  iceLite?: boolean;
}

export interface IceCandidate {
  foundation: string;
  priority: number;
  address: string;
  protocol: 'udp' | 'tcp';
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  tcpType?: 'active' | 'passive' | 'so';
}

export interface DtlsFingerprint {
  algorithm: string;
  value: string;
}

export interface DtlsParameters {
  role?: 'auto' | 'client' | 'server';
  fingerprints: DtlsFingerprint[];
}

export interface SctpCapabilities {
  numStreams: { OS: number; MIS: number };
}

export interface SctpParameters {
  port: number;
  OS: number;
  MIS: number;
  maxMessageSize: number;
}

export interface SctpStreamParameters {
  streamId: number;
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
}

/** RTCIceServer as handed to the browser (STUN/TURN, possibly time-limited credentials). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Simulcast/SVC layers of a consumer. */
export interface ConsumerLayers {
  spatialLayer: number;
  temporalLayer?: number;
}

/** mediasoup's `ConsumerScore`. */
export interface ConsumerScore {
  score: number;
  producerScore: number;
  producerScores: number[];
}

/** One entry of mediasoup's `ProducerScore[]`. */
export interface ProducerScore {
  encodingIdx?: number;
  ssrc: number;
  rid?: string;
  score: number;
}

/** A stats entry as mediasoup returns it from `getStats()`. */
export type StatsEntry = Record<string, unknown> & { type: string };
