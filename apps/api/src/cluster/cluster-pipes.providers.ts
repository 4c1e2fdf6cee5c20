import type { Provider } from '@nestjs/common';
import { NodeBusService } from './node-bus.service';
import { RemotePipeService } from './remote-pipe.service';

/**
 * The node-to-node parts of the cluster (node bus, cross-node pipes), for
 * ClusterModule's `providers` and `exports`. They need ClusterRedisService,
 * NodeRegistryService (cluster/), RoomsService (rooms/) and
 * WorkerHealthService (workers/). Inert without REDIS_URL and CLUSTER_SECRET.
 */
export const CLUSTER_PIPE_PROVIDERS: Provider[] = [NodeBusService, RemotePipeService];
