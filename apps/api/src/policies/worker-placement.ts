/** What placement knows of one live worker. */
export interface WorkerLoad {
  /** The worker's slot (0 … MEDIASOUP_NUM_WORKERS − 1). */
  index: number;
  routers: number;
  consumers: number;
}

/**
 * Which worker a new router goes to: a room's main router (`purpose: 'room'`)
 * or a room's extra router for receivers past ROOM_PIPE_CONSUMER_THRESHOLD
 * (`'pipe'`, never the room's main worker). Returns the chosen worker's
 * `index`. Provide your own under {@link WORKER_PLACEMENT} (or
 * `ConferModule.forRoot({ workerPlacement })`), e.g. to keep a tenant's rooms
 * together or to reserve workers.
 */
export interface WorkerPlacement {
  place(workers: readonly WorkerLoad[], request: { roomId: string; purpose: 'room' | 'pipe' }): number;
}

export const WORKER_PLACEMENT = Symbol('WORKER_PLACEMENT');

/**
 * Fewest routers, then the lowest consumer count; ties go to the first in order
 * starting at `start` (the caller rotates it so that equal workers take turns).
 * Returns the position in `loads`, -1 for an empty list.
 */
export function pickLeastLoaded(loads: readonly { routers: number; consumers: number }[], start = 0): number {
  let best = -1;
  for (let k = 0; k < loads.length; k++) {
    const i = (start + k) % loads.length;
    const l = loads[i];
    if (best < 0 || l.routers < loads[best].routers || (l.routers === loads[best].routers && l.consumers < loads[best].consumers)) best = i;
  }
  return best;
}

/** The default: {@link pickLeastLoaded}, rotating the start so that equal workers take turns. */
export class LeastLoadedPlacement implements WorkerPlacement {
  private next = 0;

  place(workers: readonly WorkerLoad[]): number {
    const at = pickLeastLoaded(workers, this.next++ % Math.max(1, workers.length));
    return at < 0 ? -1 : workers[at].index;
  }
}
