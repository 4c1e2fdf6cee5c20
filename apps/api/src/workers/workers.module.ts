import { Module } from '@nestjs/common';
import { MEDIASOUP_API, realMediasoup } from './mediasoup-api';
import { WorkerHealthService } from './worker-health.service';
import { WorkerPoolService } from './worker-pool.service';

/**
 * The bottom layer: the mediasoup worker pool and its health. Knows nothing of
 * rooms, peers or media. Tests replace {@link MEDIASOUP_API} with the test double.
 */
@Module({
  providers: [{ provide: MEDIASOUP_API, useValue: realMediasoup }, WorkerPoolService, WorkerHealthService],
  exports: [WorkerPoolService, WorkerHealthService],
})
export class WorkersModule {}
