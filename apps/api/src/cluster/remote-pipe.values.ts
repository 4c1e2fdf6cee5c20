import { isIP } from 'node:net';
import { checkWire, RTP_PARAMETERS_WIRE, SignalingError } from '@confer/signaling-contracts';
import * as ortc from 'mediasoup/ortc';
import type { AppData, MediaKind, RtpCapabilities, RtpParameters, SrtpParameters } from 'mediasoup/types';

/*
 * Checks of what another node sends over the bus before it reaches mediasoup.
 * The other node is authenticated (HMAC), but it is another process reached
 * through Redis: its values get the treatment of a client's (the contract's
 * wire rules, then mediasoup's own ortc checks on a copy), so a bad value is a
 * typed `invalid_request`, never a half-built worker request.
 */

/** What a node asks the producer's owner in `pipe.open`. */
export interface PipeOpenParams {
  /** Chosen by the receiving node: names the pipe in later messages from either side. */
  pipeId: string;
  roomId: string;
  producerId: string;
  /** The receiving node's PipeTransport tuple. */
  ip: string;
  port: number;
  /** Its SRTP parameters, exactly when CLUSTER_PIPE_SRTP is on. */
  srtpParameters?: SrtpParameters;
}

/** What the owner answers: its PipeTransport tuple and the pipe consumer's parameters for the receiver's `produce()`. */
export interface PipeOpenResult {
  ip: string;
  port: number;
  srtpParameters?: SrtpParameters;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  /** The source producer is paused now. */
  paused: boolean;
  /** The source producer's appData (peerId, source, …): JSON scalars only. */
  appData: AppData;
}

/** A one-way pipe message: which pipe. */
export interface PipeRef {
  pipeId: string;
}

const SRTP_SUITES = ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const BASE64 = /^[A-Za-z0-9+/]{16,128}={0,2}$/;
const APP_DATA_KEY = /^[A-Za-z0-9_]{1,32}$/;

function bad(field: string, reason: string): SignalingError {
  return new SignalingError('invalid_request', `${field}: ${reason}`, { fields: { [field]: [reason] } });
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(field, 'must be an object');
  return value as Record<string, unknown>;
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) throw bad(field, 'must be an id (1-128 letters, digits, _ . : -)');
  return value;
}

function ip(value: unknown, field = 'ip'): string {
  if (typeof value !== 'string' || isIP(value) === 0) throw bad(field, 'must be an IPv4 or IPv6 address');
  return value;
}

function port(value: unknown, field = 'port'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw bad(field, 'must be an integer port 1-65535');
  return value;
}

/** SRTP parameters, required exactly when `enabled` (both nodes must run with the same CLUSTER_PIPE_SRTP). */
export function checkedSrtp(value: unknown, enabled: boolean, field = 'srtpParameters'): SrtpParameters | undefined {
  if (value === undefined || value === null) {
    if (enabled) throw bad(field, 'required: CLUSTER_PIPE_SRTP is on here (it must be the same on every node)');
    return undefined;
  }
  if (!enabled) throw bad(field, 'given, but CLUSTER_PIPE_SRTP is off here (it must be the same on every node)');
  const v = record(value, field);
  if (typeof v['cryptoSuite'] !== 'string' || !SRTP_SUITES.includes(v['cryptoSuite'])) throw bad(`${field}.cryptoSuite`, `must be one of ${SRTP_SUITES.join(', ')}`);
  if (typeof v['keyBase64'] !== 'string' || !BASE64.test(v['keyBase64'])) throw bad(`${field}.keyBase64`, 'must be base64 key material');
  return { cryptoSuite: v['cryptoSuite'] as SrtpParameters['cryptoSuite'], keyBase64: v['keyBase64'] };
}

/** A producer's appData as it may cross nodes: at most 16 keys, JSON scalars, strings up to 256 characters. */
export function portableAppData(value: unknown, field = 'appData'): AppData {
  if (value === undefined || value === null) return {};
  const v = record(value, field);
  const out: AppData = {};
  const entries = Object.entries(v);
  if (entries.length > 16) throw bad(field, 'at most 16 keys');
  for (const [key, item] of entries) {
    if (!APP_DATA_KEY.test(key)) throw bad(field, `key "${key.slice(0, 40)}" is not a plain name`);
    const ok = item === null || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item)) || (typeof item === 'string' && item.length <= 256);
    if (ok) out[key] = item;
  }
  return out;
}

/** `pipe.open`'s params as the owner receives them. */
export function checkedPipeOpenParams(value: unknown, srtpEnabled: boolean): PipeOpenParams {
  const v = record(value, 'params');
  const srtpParameters = checkedSrtp(v['srtpParameters'], srtpEnabled);
  return {
    pipeId: id(v['pipeId'], 'pipeId'),
    roomId: id(v['roomId'], 'roomId'),
    producerId: id(v['producerId'], 'producerId'),
    ip: ip(v['ip']),
    port: port(v['port']),
    ...(srtpParameters ? { srtpParameters } : {}),
  };
}

/**
 * `pipe.open`'s result as the receiver gets it, its RTP parameters checked
 * against the contract's wire rules and by mediasoup against the receiving
 * router's capabilities (as `transport.produce()` will check them).
 */
export function checkedPipeOpenResult(value: unknown, srtpEnabled: boolean, routerCapabilities: RtpCapabilities): PipeOpenResult {
  const v = record(value, 'result');
  const kind = v['kind'];
  if (kind !== 'audio' && kind !== 'video') throw bad('kind', 'must be audio or video');
  if (typeof v['paused'] !== 'boolean') throw bad('paused', 'must be a boolean');
  const problems = checkWire(RTP_PARAMETERS_WIRE, v['rtpParameters'], 'rtpParameters', 1);
  if (problems.length) throw bad('rtpParameters', `${problems[0].path}: ${problems[0].message}`);
  const rtpParameters = structuredClone(v['rtpParameters']) as RtpParameters;
  try {
    const copy = structuredClone(rtpParameters);
    ortc.validateAndNormalizeRtpParameters(copy);
    ortc.getProducerRtpParametersMapping(copy, routerCapabilities);
  } catch (error) {
    throw bad('rtpParameters', (error as Error).message);
  }
  const srtpParameters = checkedSrtp(v['srtpParameters'], srtpEnabled);
  return {
    ip: ip(v['ip']),
    port: port(v['port']),
    ...(srtpParameters ? { srtpParameters } : {}),
    kind,
    rtpParameters,
    paused: v['paused'],
    appData: portableAppData(v['appData']),
  };
}

/** A one-way pipe message's body. */
export function checkedPipeRef(value: unknown): PipeRef {
  return { pipeId: id(record(value, 'data')['pipeId'], 'pipeId') };
}
