import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { WorkerHealthService } from '../workers/worker-health.service';
import { WorkerPoolService, type WorkerEntry } from '../workers/worker-pool.service';
import { ROUTER_MEDIA_CODECS } from './media-codecs';
import type { Room } from './room';
import type { RoomMedia, RouterSlot } from './room-media';

/**
 * Routers per room: the main router (with its active speaker observer) on the
 * worker placement picks, and, past ROOM_PIPE_CONSUMER_THRESHOLD, one extra
 * router per other worker for receivers. Workers come from the pool; which
 * room needs a router is the room registry's and the media layer's question.
 */
@Injectable()
export class RoomRoutersService {
  private readonly logger = new Logger(RoomRoutersService.name);
  private readonly routerLostListeners = new Set<(room: Room, reason: string) => void>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pool: WorkerPoolService,
    private readonly health: WorkerHealthService,
  ) {}

  /** Called when an extra router of a live room closed from outside (its worker died): the room must start again. */
  onRouterLost(listener: (room: Room, reason: string) => void): () => void {
    this.routerLostListeners.add(listener);
    return () => this.routerLostListeners.delete(listener);
  }

  /** A router (and its active speaker observer) for a new room, on the worker placement picks. */
  async createRoomMedia(roomId: string): Promise<RoomMedia> {
    const entry = await this.pool.pickWorker(roomId);
    const router = await this.pool.createRouter(entry, { mediaCodecs: ROUTER_MEDIA_CODECS, appData: { roomId } });
    try {
      const activeSpeakerObserver = await router.createActiveSpeakerObserver({ interval: 300 });
      this.logger.debug(`createRoomMedia() | room=${roomId} worker=${entry.index} router=${router.id}`);
      return { router, activeSpeakerObserver, rtpCapabilities: router.rtpCapabilities, webRtcServer: entry.webRtcServer, workerIndex: entry.index };
    } catch (error) {
      this.health.closeQuietly(router);
      throw error;
    }
  }

  /**
   * Where a new recv transport of `room` goes: the main router, or, once more
   * than ROOM_PIPE_CONSUMER_THRESHOLD consumers are on it, the room's router on
   * the least loaded other worker (created on first use, one per worker). Send
   * transports always go to the main router, where the producers must be.
   */
  async recvRouterFor(room: Room, media: RoomMedia): Promise<RouterSlot> {
    const threshold = this.config.media.pipeConsumerThreshold;
    if (threshold === 0 || room.closed || room.consumersOnWorker(media.workerIndex) <= threshold) return media;
    const entry = this.pool.pickOtherWorker(media.workerIndex, room.id);
    if (entry === null) return media;
    const index = entry.index;
    let slot = room.extraRouters.get(index);
    if (!slot) {
      const created = this.createPipeRouter(room.id, entry);
      slot = created;
      room.extraRouters.set(index, created);
      created.then(
        ({ router }) =>
          router.observer.once('close', () => {
            if (room.extraRouters.get(index) === created) room.extraRouters.delete(index);
            // Its worker died: the room's receivers there lost their media; start the room again, as for the main router.
            if (!room.closed) for (const listener of this.routerLostListeners) listener(room, 'a media router of the room closed');
          }),
        () => room.extraRouters.get(index) === created && room.extraRouters.delete(index),
      );
    }
    try {
      return await slot;
    } catch (error) {
      this.logger.warn({ room: room.id }, `recvRouterFor() | no extra router on worker ${index}, using the main router | ${(error as Error).message}`);
      return media;
    }
  }

  /**
   * An extra router for `roomId` on `entry`'s worker: it carries receive
   * transports only, the producers are piped to it from the room's main router.
   */
  private async createPipeRouter(roomId: string, entry: WorkerEntry): Promise<RouterSlot> {
    const router = await this.pool.createRouter(entry, { mediaCodecs: ROUTER_MEDIA_CODECS, appData: { roomId, pipe: true } });
    this.logger.log(`createPipeRouter() | room=${roomId} worker=${entry.index} router=${router.id} routersPerWorker=${this.pool.routersPerWorker()}`);
    return { router, webRtcServer: entry.webRtcServer, workerIndex: entry.index };
  }
}
