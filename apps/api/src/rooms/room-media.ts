import type { ActiveSpeakerObserver, Router, WebRtcServer } from 'mediasoup/types';

/** A router of a room and the worker (and WebRtcServer) it runs on. */
export interface RouterSlot {
  router: Router;
  webRtcServer?: WebRtcServer;
  workerIndex: number;
}

/** A room's main router (producers, observers, consumers until the pipe threshold) and its active speaker observer. */
export interface RoomMedia extends RouterSlot {
  activeSpeakerObserver: ActiveSpeakerObserver;
}
