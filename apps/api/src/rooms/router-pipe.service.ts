import { Injectable } from '@nestjs/common';
import type { Room } from './room';

/**
 * Gets a room's producers onto its extra routers. Producers live on the main
 * router; a receiver whose transport is on another worker's router consumes a
 * copy made with `pipeToRouter()`, once per producer and router (mediasoup
 * refuses a second producer with the same id). The piped producer closes with
 * the original, and its consumers get `producerclose` as on the main router.
 */
@Injectable()
export class RouterPipeService {
  /**
   * Makes the producer (or data producer) `id` of the room's main router
   * available on its router on worker `workerIndex`; nothing to do on the main
   * router. Pipes are kept in `room.pipes` until the piped producer closes.
   */
  async pipeTo(room: Room, kind: 'producer' | 'dataProducer', id: string, workerIndex: number): Promise<void> {
    const media = room.media;
    if (!media || workerIndex === media.workerIndex) return;
    const slot = await room.extraRouters.get(workerIndex);
    if (!slot) throw new Error(`room ${room.id} has no router on worker ${workerIndex}`);
    const key = `${id}:${slot.router.id}`;
    let pipe = room.pipes.get(key);
    if (!pipe) {
      pipe = media.router.pipeToRouter(kind === 'producer' ? { producerId: id, router: slot.router } : { dataProducerId: id, router: slot.router }).then(
        (result) => {
          const forget = (): void => void (room.pipes.get(key) === pipe && room.pipes.delete(key));
          result.pipeProducer?.observer.once('close', forget);
          result.pipeDataProducer?.observer.once('close', forget);
        },
        (error: Error) => {
          // Not cached: a later consumer may try again.
          room.pipes.delete(key);
          throw error;
        },
      );
      room.pipes.set(key, pipe);
    }
    await pipe;
  }
}
