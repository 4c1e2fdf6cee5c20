import { Injectable, Module, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { SignalingError, type TokenClaims } from '@confer/signaling-contracts';
import { configureApp } from '../src/app/configure-app';
import type { Identity } from '../src/auth/identity';
import { ConferModule } from '../src/confer.module';
import { MEDIASOUP_API } from '../src/workers/mediasoup-api';
import { FakeMediasoup, fakeMediasoupSource } from '../src/testing/mediasoup-double';
import type { ConferEvent, EventSink } from '../src/policies/event-sink';
import type { IdentityMapper } from '../src/policies/identity-mapper';
import { LocalDirectoryStorage, RECORDING_STORAGE, type RecordingStorage, type StoredRecording } from '../src/policies/recording-storage';
import type { RoomAction, RoomPolicy } from '../src/policies/room-policy';
import type { WorkerLoad, WorkerPlacement } from '../src/policies/worker-placement';
import { sendRtpParameters } from './support/rtp';
import { joinRoom } from './support/scenario';
import { TestClient } from './support/test-client';

/**
 * A portal team embeds Confer in its own Nest app and changes who may do what,
 * how a token maps to a person, where rooms go and where events go — by
 * providing classes, without touching Confer's code.
 */
const SECRET = 'portal-secret-0123456789abcdef';
const ENV = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: SECRET, MEDIASOUP_NUM_WORKERS: '3', RESUME_GRACE_MS: '0', DATABASE_URL: 'memory:', DATA_DIR: '/tmp/confer-extension-points' };

const token = (claims: Record<string, unknown> & { sub: string }): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

/** The portal's directory: departments and their projects. */
@Injectable()
class PortalDirectory {
  readonly projects: Record<string, string[]> = { rnd: ['standup', 'webinar', 'small'], exec: ['board', 'webinar'] };
}

/** Tokens from this portal carry `dept`; rooms are the department's projects; hosts are `role: host`. */
@Injectable()
class DepartmentIdentity implements IdentityMapper {
  constructor(private readonly directory: PortalDirectory) {}

  map(claims: TokenClaims & Record<string, unknown>): Identity {
    const dept = String(claims['dept'] ?? '');
    if (!this.directory.projects[dept]) throw new SignalingError('unauthenticated', `unknown department ${dept}`);
    const host = claims['role'] === 'host';
    return {
      subject: claims.sub,
      displayName: `${String(claims.name ?? claims.sub)} (${dept})`,
      rooms: this.directory.projects[dept],
      grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: host },
    };
  }
}

/** `small` holds two; in `webinar` only hosts publish; the rest as the identity's rooms say. */
class PortalRoomPolicy implements RoomPolicy {
  may(identity: Identity, roomId: string, action: RoomAction): boolean {
    if (action === 'enter') return identity.rooms.includes(roomId);
    if (action === 'publish' && roomId === 'webinar') return identity.grants.roomAdmin;
    return true;
  }

  capacity(roomId: string): number {
    return roomId === 'small' ? 2 : 100;
  }
}

/** Every room on the last worker (say, the one on the big machine). */
class LastWorkerPlacement implements WorkerPlacement {
  readonly calls: { workers: number[]; roomId: string; purpose: string }[] = [];

  place(workers: readonly WorkerLoad[], request: { roomId: string; purpose: 'room' | 'pipe' }): number {
    this.calls.push({ workers: workers.map((w) => w.index), ...request });
    return Math.max(...workers.map((w) => w.index));
  }
}

@Injectable()
class AuditSink implements EventSink {
  readonly events: ConferEvent[] = [];
  emit(event: ConferEvent): void {
    this.events.push(event);
  }
}

/** Recordings go to the portal's document system (here: memory). */
@Injectable()
class PortalDocuments implements RecordingStorage {
  readonly files = new Map<string, StoredRecording>();
  constructor(readonly directory: PortalDirectory) {}
  async put(recordingId: string, fileName: string): Promise<StoredRecording> {
    const stored = { key: `${recordingId}/${fileName}`, recordingId, fileName, bytes: 0, storedAt: new Date(0).toISOString() };
    this.files.set(stored.key, stored);
    return stored;
  }
  async list(): Promise<StoredRecording[]> {
    return [...this.files.values()];
  }
  read(): Promise<never> {
    return Promise.reject(new Error('not kept here'));
  }
  async remove(key: string): Promise<void> {
    this.files.delete(key);
  }
}

const brokenSink: EventSink = {
  emit: () => {
    throw new Error('the audit database is down');
  },
};

async function start(portalModule: new () => unknown): Promise<{ app: INestApplication; url: string; fake: FakeMediasoup }> {
  const fake = new FakeMediasoup();
  const moduleRef = await Test.createTestingModule({ imports: [portalModule] })
    .overrideProvider(MEDIASOUP_API)
    .useValue(fakeMediasoupSource(fake))
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: false });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `ws://127.0.0.1:${port}/ws`, fake };
}

describe('ConferModule.forRoot: policies as classes in the portal own module', () => {
  const placement = new LastWorkerPlacement();

  @Module({ providers: [PortalDirectory], exports: [PortalDirectory] })
  class DirectoryModule {}

  @Module({
    imports: [
      DirectoryModule,
      ConferModule.forRoot({
        env: ENV,
        imports: [DirectoryModule],
        identityMapper: DepartmentIdentity,
        roomPolicy: PortalRoomPolicy,
        workerPlacement: placement,
        eventSinks: [AuditSink, brokenSink],
        recordingStorage: PortalDocuments,
      }),
    ],
  })
  class PortalModule {}

  let server: Awaited<ReturnType<typeof start>>;
  const clients: TestClient[] = [];
  const connect = async (claims: Record<string, unknown> & { sub: string }): Promise<TestClient> => {
    const c = await TestClient.authenticated(server.url, await token(claims));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await start(PortalModule);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.app.close();
  });

  it('maps identities with the portal mapper (which may refuse a token)', async () => {
    const ada = await connect({ sub: 'ada', name: 'Ada', dept: 'rnd' });
    expect(ada.auth).toMatchObject({ displayName: 'Ada (rnd)', rooms: ['standup', 'webinar', 'small'], grants: { roomAdmin: false } });
    const stranger = await TestClient.connect(server.url);
    clients.push(stranger);
    const refused = await stranger.requestError('authenticate', { token: await token({ sub: 'eve', dept: 'sales' }), protocolVersion: 1 });
    expect([refused.code, refused.reason]).toEqual(['unauthenticated', 'unknown department sales']);
  });

  it('asks the room policy who may enter, publish, and how many fit', async () => {
    const ada = await connect({ sub: 'ada2', dept: 'rnd' });
    expect((await ada.requestError('getRouterRtpCapabilities', { roomId: 'board' })).code).toBe('forbidden');
    const web = await joinRoom(ada, 'webinar');
    const denied = await ada.requestError('produce', { transportId: web.sendTransportId, kind: 'audio', rtpParameters: sendRtpParameters('audio', web.caps), appData: { source: 'mic' } });
    expect([denied.code, denied.reason]).toEqual(['forbidden', 'not allowed to publish in this room']);
    const host = await connect({ sub: 'boss', dept: 'exec', role: 'host' });
    const h = await joinRoom(host, 'webinar');
    await host.request('produce', { transportId: h.sendTransportId as string, kind: 'audio', rtpParameters: sendRtpParameters('audio', h.caps), appData: { source: 'mic' } });

    const [a, b, c] = await Promise.all([connect({ sub: 's1', dept: 'rnd' }), connect({ sub: 's2', dept: 'rnd' }), connect({ sub: 's3', dept: 'rnd' })]);
    await a.request('getRouterRtpCapabilities', { roomId: 'small' });
    await b.request('getRouterRtpCapabilities', { roomId: 'small' });
    const full = await c.requestError('getRouterRtpCapabilities', { roomId: 'small' });
    expect([full.code, full.reason]).toEqual(['limit_exceeded', 'room "small" is full (2 peers)']);
  });

  it('places rooms where the placement policy says', async () => {
    const ada = await connect({ sub: 'ada3', dept: 'rnd' });
    await ada.request('getRouterRtpCapabilities', { roomId: 'standup' });
    expect(placement.calls.find((c) => c.roomId === 'standup')).toEqual({ workers: [0, 1, 2], roomId: 'standup', purpose: 'room' });
    const routers = [...server.fake.live.router] as unknown as { appData: { roomId?: string } }[];
    const workers = [...server.fake.live.worker] as unknown as { appData: { index: number }; routers: Set<unknown> }[];
    const standupWorker = workers.find((w) => [...w.routers].some((r) => routers.includes(r as never) && (r as { appData: { roomId?: string } }).appData.roomId === 'standup'));
    expect(standupWorker?.appData.index).toBe(2);
  });

  it('stores recordings where the portal says (its class, with its own dependencies injected)', async () => {
    const storage = server.app.get<RecordingStorage>(RECORDING_STORAGE);
    expect(storage).toBeInstanceOf(PortalDocuments);
    expect((storage as PortalDocuments).directory).toBe(server.app.get(PortalDirectory));
    await storage.put('rec-1', 'meeting.webm', '/nowhere');
    expect((await storage.list()).map((s) => s.key)).toEqual(['rec-1/meeting.webm']);
  });

  it('sends events to every sink; a failing sink disturbs nothing', async () => {
    const audit = server.app.get(AuditSink);
    const ben = await connect({ sub: 'ben', dept: 'rnd' });
    const j = await joinRoom(ben, 'standup');
    const { producerId } = await ben.request('produce', { transportId: j.sendTransportId as string, kind: 'video', rtpParameters: sendRtpParameters('video', j.caps), appData: { source: 'webcam' } });
    await ben.request('closeProducer', { producerId });
    await ben.request('leave', {});
    await ben.until(() => audit.events.some((e) => e.type === 'participant.left' && e.peerId === 'ben'), 'participant.left');
    const mine = audit.events.filter((e) => ('peerId' in e && e.peerId === 'ben') || (e.type.startsWith('room.') && e.roomId === 'standup'));
    expect(mine.map((e) => e.type)).toEqual(expect.arrayContaining(['room.started', 'participant.joined', 'track.published', 'track.unpublished', 'participant.left']));
    expect(mine.find((e) => e.type === 'track.published')).toMatchObject({ roomId: 'standup', peerId: 'ben', producerId, kind: 'video', source: 'webcam', at: expect.any(Number) });
  });
});

describe('ConferModule.forRootAsync: options from a factory with injected dependencies', () => {
  @Injectable()
  class PortalSecrets {
    jwtSecret(): Promise<string> {
      return Promise.resolve(SECRET);
    }
  }

  @Module({ providers: [PortalSecrets, PortalDirectory], exports: [PortalSecrets, PortalDirectory] })
  class SecretsModule {}

  const sink = new AuditSink();

  @Module({
    imports: [
      ConferModule.forRootAsync({
        imports: [SecretsModule],
        inject: [PortalSecrets, PortalDirectory],
        useFactory: async (secrets: PortalSecrets, directory: PortalDirectory) => ({
          env: { ...ENV, JWT_SECRET: await secrets.jwtSecret(), MEDIASOUP_NUM_WORKERS: '1' },
          identityMapper: new DepartmentIdentity(directory),
          eventSinks: [sink],
        }),
      }),
    ],
  })
  class AsyncPortalModule {}

  it('uses the configuration and policies the factory built', async () => {
    const server = await start(AsyncPortalModule);
    try {
      const c = await TestClient.authenticated(server.url, await token({ sub: 'cy', name: 'Cy', dept: 'exec' }));
      expect(c.auth).toMatchObject({ displayName: 'Cy (exec)', rooms: ['board', 'webinar'] });
      await c.request('join', { roomId: 'board', displayName: 'Cy', device: { flag: 'x', name: 'x' } });
      expect(sink.events.map((e) => e.type)).toEqual(['room.started', 'participant.joined']);
      // Default room policy: the identity's rooms.
      expect((await c.requestError('getRouterRtpCapabilities', { roomId: 'standup' })).code).toBe('forbidden');
      await c.close();
      // Not given by the factory: the default storage, in DATA_DIR/recordings.
      const storage = server.app.get<RecordingStorage>(RECORDING_STORAGE);
      expect(storage).toBeInstanceOf(LocalDirectoryStorage);
      expect((storage as LocalDirectoryStorage).root).toBe('/tmp/confer-extension-points/recordings');
    } finally {
      await server.app.close();
    }
  });
});
