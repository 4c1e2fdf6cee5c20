import type { ProducerSource } from '@confer/signaling-contracts';
import type { Device, ProducerCodecOptions, RtpEncodingParameters } from 'mediasoup-client/types';

/** Three simulcast layers for camera video (¼, ½ and full resolution). */
const WEBCAM_SIMULCAST: readonly RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

/**
 * A camera starts sending its lowest simulcast layer only, and all of them this
 * long after: the full 720p encoder does not compete for the CPU with decoding the
 * others' first frames just after joining. The final quality is the same.
 */
export const CAMERA_RAMP_MS = 1500;

/** What to ask `getUserMedia` for: a given microphone, or the default one. */
export function micConstraints(deviceId?: string): MediaStreamConstraints {
  return { audio: deviceId ? { deviceId: { exact: deviceId } } : true };
}

/**
 * What to ask `getUserMedia` for: 720p30 from a given camera or the default one. A
 * switch keeps the resolution but lets the new camera choose its frame rate.
 */
export function cameraConstraints(deviceId?: string, switching = false): MediaStreamConstraints {
  const id = deviceId ? { deviceId: { exact: deviceId } } : {};
  return { video: { ...id, width: { ideal: 1280 }, height: { ideal: 720 }, ...(switching ? {} : { frameRate: { ideal: 30 } }) } };
}

/** Screen capture: 15 fps is plenty for slides and code, and spares the uplink. */
export const SCREEN_CONSTRAINTS: DisplayMediaStreamOptions = { video: { frameRate: { ideal: 15 } }, audio: true };

/** Encodings and codec options for one source's producer. */
export function produceOptions(source: ProducerSource, device: Device): { encodings?: RtpEncodingParameters[]; codecOptions?: ProducerCodecOptions } {
  switch (source) {
    case 'mic':
      return { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } };
    case 'webcam':
      return { encodings: webcamEncodings(device), codecOptions: { videoGoogleStartBitrate: 1000 } };
    case 'screen':
      return { codecOptions: { videoGoogleStartBitrate: 1000 } };
    default:
      return {};
  }
}

/** Simulcast for VP8/H264; SVC (L3T3) when the router's first video codec is VP9/AV1. */
function webcamEncodings(device: Device): RtpEncodingParameters[] | undefined {
  const codec = device.rtpCapabilities.codecs?.find((c) => c.kind === 'video');
  if (!codec) return undefined;
  const mime = codec.mimeType.toLowerCase();
  if (mime === 'video/vp9' || mime === 'video/av1') return [{ scalabilityMode: 'L3T3_KEY', maxBitrate: 1_200_000 }];
  // Copies: mediasoup-client writes into the encodings it is given.
  return WEBCAM_SIMULCAST.map((e) => ({ ...e }));
}
