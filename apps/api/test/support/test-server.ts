import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createAppWith } from '../../src/testing/create-app-with';
import { AuthService, type ConferClaims } from '../../src/auth/auth.service';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { WorkerPoolService } from '../../src/workers/worker-pool.service';
import { howToSupply } from '../../src/workers/worker-bin';
import type { FakeCounts, FakeMediasoup } from '../../src/testing/mediasoup-double';
import { SessionsService } from '../../src/sessions/sessions.service';
import { RoomsService } from '../../src/rooms/rooms.service';
import { FilesService } from '../../src/files/files.service';
import type { Backend } from './backends';
import { TestClient } from './test-client';

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** Defaults for tests: loopback only, one worker, quiet logs. */
const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
  JWT_SECRET: TEST_SECRET,
  MEDIASOUP_NUM_WORKERS: '1',
  RTC_LISTEN_IP: '127.0.0.1',
  MEDIASOUP_LOG_LEVEL: 'error',
  REQUEST_TIMEOUT_MS: '3000',
  AUTH_TIMEOUT_MS: '3000',
  RESUME_GRACE_MS: '0',
  DATABASE_URL: 'memory:',
};

/** What is left of mediasoup objects and app state (all zero after everyone left). */
export interface Leftovers {
  rooms: number;
  peers: number;
  transfers: number;
  routers: number;
  fake?: FakeCounts;
}

/** The API booted on 127.0.0.1 with an ephemeral port, as main.ts boots it. */
export class TestServer {
  private constructor(
    readonly app: NestExpressApplication,
    readonly url: string,
    readonly config: AppConfig,
    readonly fake: FakeMediasoup | undefined,
  ) {}

  static async start(backend: Backend | null, env: Record<string, string> = {}): Promise<TestServer> {
    const config = loadConfig({ ...TEST_ENV, ...env });
    const source = backend
      ? backend.source()
      : { resolve: () => ({ path: null, source: 'none' as const, detail: `no mediasoup-worker found (hidden for this test); ${howToSupply('3.27.1')}` }), load: () => Promise.reject(new Error('no worker')) };
    const app = await createAppWith(config, source);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    return new TestServer(app, `ws://127.0.0.1:${port}/ws`, config, (source as { fake?: FakeMediasoup }).fake);
  }

  get httpUrl(): string {
    return this.url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  }

  token(claims: Partial<ConferClaims> & { sub: string }): Promise<string> {
    return this.app.get(AuthService).sign({
      name: claims.sub,
      rooms: ['*'],
      grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false },
      ...claims,
    });
  }

  /** A connected, authenticated client for identity `sub`. */
  async client(sub: string, claims: Partial<ConferClaims> = {}): Promise<TestClient> {
    return TestClient.authenticated(this.url, await this.token({ sub, ...claims }));
  }

  get rooms(): RoomsService {
    return this.app.get(RoomsService);
  }

  get peers(): SessionsService {
    return this.app.get(SessionsService);
  }

  async leftovers(): Promise<Leftovers> {
    let routers = 0;
    for (const entry of this.app.get(WorkerPoolService).workerEntries) routers += (await entry.worker.dump()).routerIds.length;
    return {
      rooms: this.rooms.all().length,
      peers: this.peers.all().length,
      transfers: this.app.get(FilesService).active,
      routers,
      fake: this.fake?.dump(),
    };
  }

  /**
   * mediasoup objects as the worker itself reports them (Worker.dump() and
   * Router.dump() of every live router of every room), the same on the real
   * worker and the test double: what leaked is what is here but in no peer.
   */
  async mediaObjects(): Promise<{ routers: number; transports: number; producers: number; consumers: number; dataProducers: number; dataConsumers: number }> {
    const counts = { routers: 0, transports: 0, producers: 0, consumers: 0, dataProducers: 0, dataConsumers: 0 };
    for (const entry of this.app.get(WorkerPoolService).workerEntries) counts.routers += (await entry.worker.dump()).routerIds.length;
    for (const room of this.rooms.all()) {
      const routers = [room.media?.router, ...(await Promise.all([...room.extraRouters.values()].map((p) => p.then((s) => s.router, () => undefined))))];
      for (const router of routers) {
        if (!router || router.closed) continue;
        const d = await router.dump();
        counts.transports += d.transportIds.length;
        counts.producers += d.mapProducerIdConsumerIds.length;
        counts.consumers += d.mapProducerIdConsumerIds.reduce((n, e) => n + e.values.length, 0);
        counts.dataProducers += d.mapDataProducerIdDataConsumerIds.length;
        counts.dataConsumers += d.mapDataProducerIdDataConsumerIds.reduce((n, e) => n + e.values.length, 0);
      }
    }
    return counts;
  }

  /** Waits until every room closed and no mediasoup object is left (close events are async). */
  async expectClean(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let left = await this.leftovers();
    while (Date.now() < deadline && !isClean(left)) {
      await new Promise((r) => setTimeout(r, 25));
      left = await this.leftovers();
    }
    if (!isClean(left)) throw new Error(`leftovers after everyone left: ${JSON.stringify(left)}`);
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}

function isClean(left: Leftovers): boolean {
  const fake = left.fake;
  const fakeClean = !fake || Object.entries(fake).every(([kind, n]) => kind === 'worker' || kind === 'webRtcServer' || n === 0);
  return left.rooms === 0 && left.peers === 0 && left.transfers === 0 && left.routers === 0 && fakeClean;
}
