import { computed, type Signal } from '@angular/core';
import {
  isModeratorRole,
  permissionForSource,
  type JoinResult,
  type LobbyEntry,
  type Permissions,
  type ProducerSource,
  type RecordingNotice,
  type Role,
  type RoomSettings,
} from '@confer/signaling-contracts';
import { Subject, map, type Observable } from 'rxjs';
import { InvalidStateError, PermissionDeniedError } from '../errors';
import { State } from '../util/state';
import type {
  ClusterRetry,
  DataMessage,
  Expulsion,
  LocalProducer,
  ModeratorAction,
  RecordingStatus,
  RecoveryKind,
  RemoteConsumer,
  RemoteDataConsumer,
  RemotePeer,
  SessionState,
  TransportStates,
} from './media-session.types';

/**
 * The state of one media session that the app reads, each piece both as a signal
 * and as an observable. The publisher, subscriber, transport manager and recovery
 * coordinator write it; {@link MediaSession} exposes it read-only.
 */
export class SessionStore {
  readonly state = new State<SessionState>('idle');
  readonly error = new State<Error | null>(null);
  readonly mediaAvailable = new State<boolean>(false);
  readonly peers = new State<readonly RemotePeer[]>([]);
  readonly producers = new State<readonly LocalProducer[]>([]);
  readonly consumers = new State<readonly RemoteConsumer[]>([]);
  readonly dataConsumers = new State<readonly RemoteDataConsumer[]>([]);
  readonly activeSpeaker = new State<string | null>(null);
  readonly transports = new State<TransportStates>({ send: 'none', recv: 'none' });
  readonly recovery = new State<RecoveryKind | null>(null);
  /** Entering the room waits for the cluster (`cluster_unavailable`); null otherwise. */
  readonly clusterRetry = new State<ClusterRetry | null>(null);
  readonly dataMessages = new Subject<DataMessage>();

  // Moderation: what the join answer and the moderation notifications say about this peer and the room.
  readonly role = new State<Role | null>(null);
  readonly permissions = new State<Permissions | null>(null);
  readonly roomSettings = new State<RoomSettings | null>(null);
  readonly lobby = new State<readonly LobbyEntry[]>([]);
  readonly waiting = new State<boolean>(false);
  readonly expelled = new State<Expulsion | null>(null);
  /** The room's recording (the join answer, then `recordingStateChanged`); null when none was seen. */
  readonly recording = new State<RecordingStatus | null>(null);
  readonly moderatorActions = new Subject<ModeratorAction>();
  readonly isModerator: Signal<boolean> = computed(() => {
    const role = this.role.signal();
    return role !== null && isModeratorRole(role);
  });

  /** Consumers grouped by peer id. */
  readonly consumersByPeer: Signal<ReadonlyMap<string, readonly RemoteConsumer[]>> = computed(() => groupByPeer(this.consumers.signal()));
  readonly consumersByPeer$: Observable<ReadonlyMap<string, readonly RemoteConsumer[]>> = this.consumers.changes$.pipe(map(groupByPeer));

  /**
   * Throws `InvalidStateError` unless the session is in a room (`joined`, or
   * `reconnecting` while media may still flow): what mediasoup-client does for a
   * closed transport, said before anything is captured or asked of the server.
   */
  assertInRoom(what: string): void {
    const state = this.state.value;
    if (state !== 'joined' && state !== 'reconnecting') throw new InvalidStateError(`${what} while ${state}`);
  }

  /**
   * Throws `PermissionDeniedError` when this peer may not publish `source` now (a
   * hard mute, or a role without it). Unknown permissions (before the join answer) allow it.
   */
  assertMayPublish(source: ProducerSource, what: string): void {
    const permission = permissionForSource(source);
    if (this.permissions.value?.[permission] === false) {
      throw new PermissionDeniedError(permission, `${what}: not allowed to ${PUBLISH_WORDS[permission] ?? permission} (a moderator can allow it)`);
    }
  }

  /** Takes this peer's role, permissions, the room's settings and the lobby from a `join` answer. */
  applyJoin(result: JoinResult): void {
    this.role.set(result.self.role);
    this.permissions.set(result.self.permissions);
    this.roomSettings.set(result.settings);
    this.lobby.set(result.lobby);
    this.peers.set(result.peers);
    this.waiting.set(result.waiting);
    // A rejoin keeps this peer's acknowledgement (the server keeps it while the peer is in the room).
    if (result.recording) this.applyRecording(result.recording);
    else if (this.recording.value?.active) this.recording.set(null);
  }

  /** Takes a recording notice; `acknowledged` carries over (consent is per peer and room, not per recording). */
  applyRecording(notice: RecordingNotice, acknowledged = this.recording.value?.acknowledged ?? false): void {
    this.recording.set({ ...notice, acknowledged, active: notice.state === 'starting' || notice.state === 'recording' || notice.state === 'stopping' });
  }

  /** Forgets the role, permissions, settings and lobby (leave, teardown); `expelled` stays. */
  resetModeration(): void {
    this.role.set(null);
    this.permissions.set(null);
    this.roomSettings.set(null);
    this.lobby.set([]);
    this.waiting.set(false);
    this.recording.set(null);
  }

  patchProducer(producerId: string, patch: Partial<LocalProducer>): void {
    this.producers.update((list) => list.map((p) => (p.id === producerId ? { ...p, ...patch } : p)));
  }

  patchConsumer(consumerId: string, patch: Partial<RemoteConsumer>): void {
    this.consumers.update((list) => list.map((c) => (c.id === consumerId ? { ...c, ...patch } : c)));
  }

  /**
   * Forgets every media object. A rebuild keeps the peer list (the server sends
   * it again with `join`), so tiles do not flicker while media is re-created.
   */
  resetMedia(keepPeers: boolean): void {
    this.producers.set([]);
    this.consumers.set([]);
    this.dataConsumers.set([]);
    if (!keepPeers) this.peers.set([]);
    this.activeSpeaker.set(null);
    this.transports.set({ send: 'none', recv: 'none' });
  }
}

const PUBLISH_WORDS: Partial<Record<keyof Permissions, string>> = {
  publishAudio: 'use the microphone',
  publishVideo: 'use the camera',
  publishScreen: 'share the screen',
};

function groupByPeer(consumers: readonly RemoteConsumer[]): ReadonlyMap<string, readonly RemoteConsumer[]> {
  const byPeer = new Map<string, RemoteConsumer[]>();
  for (const c of consumers) byPeer.set(c.peerId, [...(byPeer.get(c.peerId) ?? []), c]);
  return byPeer;
}
