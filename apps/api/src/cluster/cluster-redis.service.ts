import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** Every key the cluster writes starts with this. */
export const KEY_PREFIX = 'confer:';

/** How long a caller should wait before trying a placement again while Redis is away. */
export const REDIS_RETRY_AFTER_MS = 1000;

/**
 * The cluster's Redis connections (ioredis): one for commands, one for
 * subscriptions (a subscribed connection cannot send commands). Commands fail
 * at once while Redis is away (no offline queue); ioredis reconnects by
 * itself, with a capped backoff, and `up` follows the connection.
 */
@Injectable()
export class ClusterRedisService implements OnModuleDestroy {
  private readonly logger = new Logger(ClusterRedisService.name);
  private commandClient: Redis | null = null;
  private subscriberClient: Redis | null = null;
  private readonly upListeners = new Set<() => void>();
  private wasUp = false;
  /** Closed at shutdown: no connection is made again (one made then would reconnect forever). */
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** REDIS_URL is set: this process is one node of a cluster. */
  get enabled(): boolean {
    return this.config.cluster.redisUrl !== null;
  }

  /** The command connection is ready now. */
  get up(): boolean {
    return this.commandClient?.status === 'ready';
  }

  /** The command connection (created on first use); throws `cluster_unavailable` when Redis is away. */
  get client(): Redis {
    const client = this.ensure();
    if (client.status !== 'ready') throw unavailable(`the cluster's Redis is not reachable (${client.status})`);
    return client;
  }

  /** The subscription connection (created on first use). */
  get subscriber(): Redis {
    if (this.closed) throw unavailable("the cluster's Redis connection is closed (shutting down)");
    if (!this.subscriberClient) this.subscriberClient = this.connect('subscriber');
    return this.subscriberClient;
  }

  /** The subscription connection if one is open, without making one (clean-up paths). */
  get openSubscriber(): Redis | null {
    return this.subscriberClient;
  }

  /** Connects now (start-up); resolves when ready or after `timeoutMs` either way. */
  async start(timeoutMs = 2000): Promise<boolean> {
    const client = this.ensure();
    if (client.status === 'ready') return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.up;
  }

  /** `run` every time the command connection becomes ready again (state to re-assert after a Redis restart). */
  onUp(run: () => void): () => void {
    this.upListeners.add(run);
    return () => this.upListeners.delete(run);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const clients = [this.commandClient, this.subscriberClient].filter((c): c is Redis => c !== null);
    this.commandClient = null;
    this.subscriberClient = null;
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private ensure(): Redis {
    if (!this.enabled) throw new Error('the cluster is not configured (REDIS_URL unset)');
    if (this.closed) throw unavailable("the cluster's Redis connection is closed (shutting down)");
    if (!this.commandClient) {
      this.commandClient = this.connect('commands');
      this.commandClient.on('ready', () => {
        if (this.wasUp) this.logger.log('Redis is back');
        this.wasUp = true;
        for (const run of this.upListeners) {
          try {
            run();
          } catch (error) {
            this.logger.error(`re-assert after Redis came back failed | ${(error as Error).message}`);
          }
        }
      });
    }
    return this.commandClient;
  }

  private connect(role: string): Redis {
    const url = this.config.cluster.redisUrl as string;
    const client = new Redis(url, {
      // Fail fast while Redis is away: placements answer cluster_unavailable instead of hanging.
      enableOfflineQueue: role === 'subscriber',
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
    });
    let reported = false;
    client.on('error', (error: Error) => {
      if (reported) return;
      reported = true;
      this.logger.warn(`Redis (${role}) unreachable: ${error.message}; reconnecting`);
    });
    client.on('ready', () => {
      reported = false;
    });
    return client;
  }
}

/** The typed error of anything that needs Redis while it is away. */
export function unavailable(reason: string): SignalingError {
  return new SignalingError('cluster_unavailable', reason, { retryAfterMs: REDIS_RETRY_AFTER_MS });
}
