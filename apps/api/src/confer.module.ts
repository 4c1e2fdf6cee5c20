import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './app/health.controller';
import { AuthModule } from './auth/auth.module';
import { APP_CONFIG, loadConfig, type AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HistoryModule } from './history/history.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MediaModule } from './media/media.module';
import { EVENT_SINKS, type EventSink } from './policies/event-sink';
import { IDENTITY_MAPPER, type IdentityMapper } from './policies/identity-mapper';
import { DEFAULT_POLICIES, PoliciesModule, type ConferPolicies } from './policies/policies.module';
import { NODE_PLACEMENT, type NodePlacement } from './policies/node-placement';
import { RECORDING_STORAGE, type RecordingStorage } from './policies/recording-storage';
import { ROOM_POLICY, type RoomPolicy } from './policies/room-policy';
import { WORKER_PLACEMENT, type WorkerPlacement } from './policies/worker-placement';
import { RecordingModule } from './recording/recording.module';
import { RoomsModule } from './rooms/rooms.module';
import { ServerApiModule } from './server-api/server-api.module';
import { SignalingModule } from './signaling/signaling.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { WorkersModule } from './workers/workers.module';

/** `ConferModule.forRoot()`: the settings and, optionally, your policies (classes or instances). */
export interface ConferModuleOptions extends ConferPolicies {
  /** Settings by their environment variable names (the README's table), validated the same way. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/** What `forRootAsync`'s factory returns: settings and policy instances. */
export interface ConferAsyncOptions {
  env?: Record<string, string | undefined>;
  workerPlacement?: WorkerPlacement;
  roomPolicy?: RoomPolicy;
  identityMapper?: IdentityMapper;
  eventSinks?: EventSink[];
  recordingStorage?: RecordingStorage;
  nodePlacement?: NodePlacement;
}

const CONFER_OPTIONS = Symbol('CONFER_OPTIONS');

/**
 * The Confer server as a Nest module, to embed in a portal's own Nest app:
 *
 *   @Module({ imports: [ConferModule.forRoot({ env: { JWT_JWKS_URL: '…' }, roomPolicy: MyRoomPolicy, eventSinks: [AuditSink] })] })
 *   export class PortalModule {}
 *
 * then, on the app, `configureApp(app)` (signaling WebSocket, CORS, web app) and
 * `app.listen()`. Policies: {@link WorkerPlacement}, {@link RoomPolicy},
 * {@link IdentityMapper}, {@link EventSink}, {@link NodePlacement} (apps/api/src/policies/); each one
 * not given keeps the default. `forRootAsync` builds the options in a factory
 * with injected dependencies (a secrets service, a database).
 */
@Module({})
export class ConferModule {
  static forRoot(options: ConferModuleOptions = {}): DynamicModule {
    return ConferModule.build(ConfigModule.forRoot({ provide: APP_CONFIG, useFactory: () => loadConfig(options.env ?? process.env) }), PoliciesModule.forRoot(options));
  }

  static forRootAsync(options: {
    imports?: ModuleMetadata['imports'];
    inject?: (InjectionToken | OptionalFactoryDependency)[];
    useFactory: (...args: never[]) => ConferAsyncOptions | Promise<ConferAsyncOptions>;
  }): DynamicModule {
    const fromOptions = <T>(token: symbol, pick: (o: ConferAsyncOptions, config: AppConfig) => T): Provider => ({
      provide: token,
      inject: [CONFER_OPTIONS, APP_CONFIG],
      useFactory: pick,
    });
    const optionsProvider: Provider = { provide: CONFER_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory as (...args: unknown[]) => ConferAsyncOptions };
    const config = ConfigModule.forRoot(
      { provide: APP_CONFIG, inject: [CONFER_OPTIONS], useFactory: (o: ConferAsyncOptions) => loadConfig(o.env ?? process.env) },
      [{ module: ConferOptionsModule, global: true, imports: options.imports ?? [], providers: [optionsProvider], exports: [CONFER_OPTIONS] }],
    );
    const policies = PoliciesModule.of([
      fromOptions(WORKER_PLACEMENT, (o) => o.workerPlacement ?? DEFAULT_POLICIES.workerPlacement()),
      fromOptions(ROOM_POLICY, (o, c) => o.roomPolicy ?? DEFAULT_POLICIES.roomPolicy(c)),
      fromOptions(IDENTITY_MAPPER, (o) => o.identityMapper ?? DEFAULT_POLICIES.identityMapper()),
      fromOptions(EVENT_SINKS, (o) => o.eventSinks ?? []),
      fromOptions(RECORDING_STORAGE, (o, c) => o.recordingStorage ?? DEFAULT_POLICIES.recordingStorage(c)),
      fromOptions(NODE_PLACEMENT, (o) => o.nodePlacement ?? DEFAULT_POLICIES.nodePlacement()),
    ]);
    return ConferModule.build(config, policies);
  }

  private static build(config: DynamicModule, policies: DynamicModule): DynamicModule {
    return {
      module: ConferModule,
      imports: [
        config,
        policies,
        LifecycleModule,
        // Readiness failures are expected (no worker, draining): the 503 body says why, no error log.
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => ({
            pinoHttp: {
              level: c.logLevel,
              // Request ids: the caller's X-Request-Id when it sends one (proxies), else a new one; echoed back.
              genReqId: (req: IncomingMessage, res: ServerResponse) => {
                const given = req.headers['x-request-id'];
                const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
                res.setHeader('x-request-id', id);
                return id;
              },
              // Access logs for API calls; probes and scrapes would drown them.
              autoLogging: { ignore: (req: IncomingMessage) => /^\/(api\/)?(health|metrics)\b/.test(req.url ?? '') },
              base: { service: 'confer-api', pid: process.pid, hostname: hostname() },
              transport: process.stdout.isTTY && c.logLevel !== 'silent' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
            },
          }),
        }),
        DatabaseModule,
        HistoryModule,
        WebhooksModule,
        AuthModule,
        WorkersModule,
        RoomsModule,
        MediaModule,
        RecordingModule,
        SignalingModule,
        ServerApiModule,
      ],
      controllers: [HealthController],
    };
  }
}

/** Holds forRootAsync's options for the providers built from them. */
@Module({})
class ConferOptionsModule {}
