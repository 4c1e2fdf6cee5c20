import type { Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConferModule } from '../confer.module';
import { DatabaseModule } from '../database/database.module';
import type { EventSink } from '../policies/event-sink';
import type { RoomPolicy } from '../policies/room-policy';
import { MEDIASOUP_API, type MediasoupApiSource } from '../workers/mediasoup-api';
import { fakeMediasoupSource, type FakeMediasoup } from './mediasoup-double';

/** Settings for service specs: loopback, one worker, no resume grace, in-memory database. */
export const SERVICE_TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'service-spec-secret-0123456789abcdef',
  MEDIASOUP_NUM_WORKERS: '1',
  RTC_LISTEN_IP: '127.0.0.1',
  MEDIASOUP_LOG_LEVEL: 'error',
  REQUEST_TIMEOUT_MS: '3000',
  AUTH_TIMEOUT_MS: '3000',
  RESUME_GRACE_MS: '0',
  DATABASE_URL: 'memory:',
};

export interface ApiTestingOptions {
  /** Settings on top of {@link SERVICE_TEST_ENV}. */
  env?: Record<string, string>;
  /** The mediasoup to run on: the test double by default; `none` for a server without a worker. */
  mediasoup?: MediasoupApiSource | 'none';
  roomPolicy?: RoomPolicy;
  eventSinks?: EventSink[];
}

/** The API's providers, initialised (workers started), without an HTTP server or sockets. */
export interface ApiTesting {
  moduleRef: TestingModule;
  /** The test double, when it is the backend. */
  fake: FakeMediasoup | undefined;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

const NO_WORKER: MediasoupApiSource = {
  resolve: () => ({ path: null, source: 'none', detail: 'no mediasoup-worker (hidden for this test)' }),
  load: () => Promise.reject(new Error('no worker')),
};

/**
 * The whole Confer module graph (so that a service gets its real collaborators,
 * whatever they are today) for specs that drive one service directly. Nest's
 * own logger is silenced; the services' loggers are Nest's.
 */
export async function createApiTesting(options: ApiTestingOptions = {}): Promise<ApiTesting> {
  const source = options.mediasoup === 'none' ? NO_WORKER : (options.mediasoup ?? fakeMediasoupSource());
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConferModule.forRoot({ env: { ...SERVICE_TEST_ENV, ...options.env }, roomPolicy: options.roomPolicy, eventSinks: options.eventSinks }),
      // Global; ConferModule may already import it (Nest keeps one instance).
      DatabaseModule,
    ],
  })
    .overrideProvider(MEDIASOUP_API)
    .useValue(source)
    .compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    moduleRef,
    fake: (source as { fake?: FakeMediasoup }).fake,
    get: <T>(type: Type<T>) => moduleRef.get(type, { strict: false }),
    close: () => moduleRef.close(),
  };
}
