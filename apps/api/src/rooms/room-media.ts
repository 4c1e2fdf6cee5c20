import type { ActiveSpeakerObserver, Router, RtpCapabilities, WebRtcServer } from 'mediasoup/types';

/** A router of a room and the worker (and WebRtcServer) it runs on. */
export interface RouterSlot {
  router: Router;
  webRtcServer?: WebRtcServer;
  workerIndex: number;
}

/** A room's main router (producers, observers, consumers until the pipe threshold) and its active speaker observer. */
export interface RoomMedia extends RouterSlot {
  activeSpeakerObserver: ActiveSpeakerObserver;
  /**
   * The main router's RTP capabilities, read once: they never change, and
   * mediasoup's `router.rtpCapabilities` getter deep-clones them on every read
   * (measured: a third of a second of CPU per 12 s at 1000 peers). Read-only.
   */
  readonly rtpCapabilities: Readonly<RtpCapabilities>;
}
