import path from 'node:path';
import { Global, Module, type DynamicModule, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import { EVENT_SINKS, type EventSink } from './event-sink';
import { DefaultIdentityMapper, IDENTITY_MAPPER, type IdentityMapper } from './identity-mapper';
import { LeastLoadedNodePlacement, NODE_PLACEMENT, type NodePlacement } from './node-placement';
import { LocalDirectoryStorage, RECORDING_STORAGE, type RecordingStorage } from './recording-storage';
import { ROOM_POLICY, TokenRoomPolicy, type RoomPolicy } from './room-policy';
import { LeastLoadedPlacement, WORKER_PLACEMENT, type WorkerPlacement } from './worker-placement';

/** A policy given as a class (Nest instantiates it, with injection) or as an instance. */
export type PolicyOf<T> = Type<T> | T;

/** The extension points; each one absent keeps the default. */
export interface ConferPolicies {
  /** Modules whose exported providers the policy classes inject (the portal's own services). */
  imports?: ModuleMetadata['imports'];
  workerPlacement?: PolicyOf<WorkerPlacement>;
  roomPolicy?: PolicyOf<RoomPolicy>;
  identityMapper?: PolicyOf<IdentityMapper>;
  eventSinks?: PolicyOf<EventSink>[];
  recordingStorage?: PolicyOf<RecordingStorage>;
  /** Cluster mode: which node a new room goes to. */
  nodePlacement?: PolicyOf<NodePlacement>;
}

/** The default of each policy, the one place both `forRoot` and `forRootAsync` take them from. */
export const DEFAULT_POLICIES = {
  workerPlacement: (): WorkerPlacement => new LeastLoadedPlacement(),
  roomPolicy: (config: AppConfig): RoomPolicy => new TokenRoomPolicy(config.limits.maxPeersPerRoom),
  identityMapper: (): IdentityMapper => new DefaultIdentityMapper(),
  recordingStorage: (config: AppConfig): RecordingStorage => new LocalDirectoryStorage(path.resolve(config.portal.dataDir, 'recordings')),
  nodePlacement: (): NodePlacement => new LeastLoadedNodePlacement(),
};

function isClass<T>(policy: PolicyOf<T>): policy is Type<T> {
  return typeof policy === 'function';
}

function providerOf<T>(token: symbol, policy: PolicyOf<T> | undefined, fallback: (config: AppConfig) => T): Provider {
  if (policy === undefined) return { provide: token, inject: [APP_CONFIG], useFactory: fallback };
  return isClass(policy) ? { provide: token, useClass: policy } : { provide: token, useValue: policy };
}

/**
 * The policies behind their injection tokens, global so that every module of
 * the API injects the same ones: {@link WORKER_PLACEMENT}, {@link ROOM_POLICY},
 * {@link IDENTITY_MAPPER}, {@link EVENT_SINKS}, {@link RECORDING_STORAGE}, {@link NODE_PLACEMENT} (and the {@link EventsService}
 * that feeds the sinks).
 */
@Global()
@Module({})
export class PoliciesModule {
  static forRoot(policies: ConferPolicies = {}): DynamicModule {
    const sinks = policies.eventSinks ?? [];
    const sinkClasses = sinks.filter(isClass) as Type<EventSink>[];
    const providers: Provider[] = [
      providerOf(WORKER_PLACEMENT, policies.workerPlacement, DEFAULT_POLICIES.workerPlacement),
      providerOf(ROOM_POLICY, policies.roomPolicy, DEFAULT_POLICIES.roomPolicy),
      providerOf(IDENTITY_MAPPER, policies.identityMapper, DEFAULT_POLICIES.identityMapper),
      providerOf(RECORDING_STORAGE, policies.recordingStorage, DEFAULT_POLICIES.recordingStorage),
      providerOf(NODE_PLACEMENT, policies.nodePlacement, DEFAULT_POLICIES.nodePlacement),
      ...sinkClasses,
      {
        provide: EVENT_SINKS,
        inject: sinkClasses,
        // In the order given, classes and instances alike.
        useFactory: (...made: EventSink[]) => sinks.map((s) => (isClass(s) ? made[sinkClasses.indexOf(s)] : s)),
      },
    ];
    return PoliciesModule.of(providers, policies.imports);
  }

  /** The module from ready providers of the four tokens (`ConferModule.forRootAsync` builds them from its factory). */
  static of(policyProviders: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: PoliciesModule,
      imports,
      providers: [...policyProviders, EventsService],
      exports: [WORKER_PLACEMENT, ROOM_POLICY, IDENTITY_MAPPER, EVENT_SINKS, RECORDING_STORAGE, NODE_PLACEMENT, EventsService],
    };
  }
}
