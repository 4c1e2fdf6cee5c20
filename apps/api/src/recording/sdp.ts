import type { RtpParameters } from 'mediasoup/types';

/**
 * The SDP ffmpeg reads to receive one consumer's RTP on `ip:port`. mediasoup
 * multiplexes RTCP on the same port (rtcpMux); ffmpeg's RTP demuxer recognises
 * RTCP by its payload type there. Only the media codec is listed: the consumer
 * is created without RTX (see `recordingCapabilities`).
 */
export function sdpFor(kind: 'audio' | 'video', rtp: RtpParameters, ip: string, port: number): string {
  const codec = rtp.codecs[0];
  if (!codec) throw new TypeError('consumer has no codec');
  const name = codec.mimeType.split('/')[1];
  const family = ip.includes(':') ? 'IP6' : 'IP4';
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return [
    'v=0',
    `o=- 0 0 IN ${family} ${ip}`,
    's=confer-recording',
    `c=IN ${family} ${ip}`,
    't=0 0',
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`,
    ...(fmtp ? [`a=fmtp:${codec.payloadType} ${fmtp}`] : []),
    'a=rtcp-mux',
    'a=recvonly',
    '',
  ].join('\n');
}
