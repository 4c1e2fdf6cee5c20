import { DestroyRef, Injectable, computed, inject, type Provider, type Signal } from '@angular/core';
import type {
  ConsumerLayers,
  ModerationResult,
  MutableSource,
  Permissions,
  ProducerSource,
  RecordingNotice,
  RoomSettings,
  SetRoleParams,
  UpdateRoomSettingsParams,
} from '@confer/signaling-contracts';
import type { Observable } from 'rxjs';
import { ExpelledError, InvalidStateError } from '../errors';
import { ChatService } from '../chat/chat.service';
import { FileTransferService } from '../files/file-transfer.service';
import { SignalingClient } from '../signaling/signaling-client';
import { DEVICE_FACTORY, MEDIA_DEVICES, MEDIA_SESSION_OPTIONS } from '../tokens';
import { Logger } from '../util/logger';
import { DataChannelPublisher, type DataChannelOptions, type LocalDataChannel } from './data-channel-publisher';
import { JoinSequence } from './join-sequence';
import type { DataMessage, JoinOptions, ModeratorAction, RemoteConsumer } from './media-session.types';
import { Moderation } from './moderation';
import { Publisher } from './publisher';
import { RecoveryCoordinator } from './recovery-coordinator';
import { SessionContext } from './session-context';
import { SessionStore } from './session-store';
import { Subscriber } from './subscriber';
import { TransportManager } from './transport-manager';

/**
 * A participant's media in one room: the mediasoup-client Device, the send and
 * recv transports, this peer's producers and the consumers the server creates
 * for it. State is exposed as read-only signals and as observables (`…$`).
 *
 * A facade: the {@link Publisher} captures and produces local media, the
 * {@link Subscriber} consumes remote media, the {@link TransportManager} owns the
 * Device and transports (with ICE restarts), and the {@link RecoveryCoordinator}
 * rebuilds after resets (and ends the session when a moderator puts this peer
 * out), {@link Moderation} follows roles, permissions and the lobby and sends the
 * moderator's requests. Each instance has its own parts and, through its
 * injector, its own {@link SignalingClient}: the app's one is provided at root;
 * more sessions come from {@link provideMediaSession} in a component's (or an
 * environment injector's) providers.
 */
@Injectable({ providedIn: 'root' })
export class MediaSession {
  private readonly logger = new Logger('MediaSession');
  private readonly signaling = inject(SignalingClient);
  private readonly store = new SessionStore();
  private readonly context = new SessionContext(this.signaling, this.store);
  private readonly transports = new TransportManager(this.context, inject(DEVICE_FACTORY), inject(MEDIA_SESSION_OPTIONS));
  private readonly publisher = new Publisher(this.context, this.transports, inject(MEDIA_DEVICES));
  private readonly subscriber = new Subscriber(this.context);
  private readonly dataChannels = new DataChannelPublisher(this.context, this.transports);
  private readonly moderation = new Moderation(this.context, this.publisher);
  private readonly joinSequence = new JoinSequence(this.context, this.transports, this.subscriber);
  private readonly coordinator = new RecoveryCoordinator(this.context, {
    publisher: this.publisher,
    subscriber: this.subscriber,
    transports: this.transports,
    joinSequence: this.joinSequence,
  });
  /** A {@link prepare} for the next join: its token and room, and whether it got everything ready. */
  private preparation: { token: string; roomId: string; done: Promise<boolean>; cancelled: boolean } | null = null;

  /** Lifecycle state. */
  readonly state = this.store.state.signal;
  readonly connectionState$ = this.store.state.changes$;
  /** Why the session is `failed`, or the last non-fatal media error; null otherwise. */
  readonly error = this.store.error.signal;
  /** False when the server has no media worker: chat, peers and files still work. */
  readonly mediaAvailable = this.store.mediaAvailable.signal;
  readonly mediaAvailable$ = this.store.mediaAvailable.changes$;
  /** The server's reason when media is unavailable (in development, with the fix); null otherwise. */
  readonly mediaUnavailableReason = computed(() => (this.mediaAvailable() ? null : (this.signaling.session()?.mediaUnavailableReason ?? null)));
  /** Other participants, in join order. */
  readonly remotePeers = this.store.peers.signal;
  readonly remotePeers$ = this.store.peers.changes$;
  /** This peer's producers (mic, webcam, screen, screen-audio). */
  readonly localProducers = this.store.producers.signal;
  readonly localProducers$ = this.store.producers.changes$;
  /** Every consumer of every remote peer. */
  readonly consumers = this.store.consumers.signal;
  readonly consumers$ = this.store.consumers.changes$;
  /** Consumers grouped by peer id. */
  readonly consumersByPeer: Signal<ReadonlyMap<string, readonly RemoteConsumer[]>> = this.store.consumersByPeer;
  readonly consumersByPeer$: Observable<ReadonlyMap<string, readonly RemoteConsumer[]>> = this.store.consumersByPeer$;
  readonly dataConsumers = this.store.dataConsumers.signal;
  readonly dataConsumers$ = this.store.dataConsumers.changes$;
  /** Messages arriving on data consumers. */
  readonly dataMessages$: Observable<DataMessage> = this.store.dataMessages.asObservable();
  /** Peer id of the dominant speaker (possibly this peer's own id); null when nobody speaks. */
  readonly activeSpeaker = this.store.activeSpeaker.signal;
  readonly activeSpeaker$ = this.store.activeSpeaker.changes$;
  /** Connection state of the send and recv WebRTC transports. */
  readonly transportStates = this.store.transports.signal;
  readonly transportStates$ = this.store.transports.changes$;
  /**
   * What the session is recovering from right now (socket, media rebuild, ICE
   * restart), or null when all is well. Apps show a "reconnecting media" notice.
   */
  readonly recovery = this.store.recovery.signal;
  readonly recovery$ = this.store.recovery.changes$;
  /**
   * Cluster: entering the room waits because no node can take it now
   * (`cluster_unavailable`): attempt, bound and delay; null otherwise.
   */
  readonly clusterRetry = this.store.clusterRetry.signal;
  readonly clusterRetry$ = this.store.clusterRetry.changes$;
  /** This peer's id once authenticated. */
  readonly peerId = computed(() => this.signaling.session()?.peerId ?? null);

  // ---- Roles, permissions, the lobby ----

  /** This peer's role in the room (from the join answer, then `permissionsChanged`); null outside a room. */
  readonly role = this.store.role.signal;
  readonly role$ = this.store.role.changes$;
  /** What this peer may do now; null outside a room. A false `publishAudio` is a hard mute: unmuting is refused. */
  readonly permissions = this.store.permissions.signal;
  readonly permissions$ = this.store.permissions.changes$;
  /** True for hosts and moderators: they see the lobby and may call the moderation methods. */
  readonly isModerator = this.store.isModerator;
  /** The room's lobby, lock and capacity; null outside a room. */
  readonly roomSettings = this.store.roomSettings.signal;
  readonly roomSettings$ = this.store.roomSettings.changes$;
  /** Who waits in the lobby (moderators only; empty for others). */
  readonly lobby = this.store.lobby.signal;
  readonly lobby$ = this.store.lobby.changes$;
  /** True while this peer waits in the lobby (state `joining`): no participants, no media until admitted. */
  readonly waiting = this.store.waiting.signal;
  readonly waiting$ = this.store.waiting.changes$;
  /** Set when a moderator denied entry, removed this peer or ended the meeting (state `closed`); null otherwise. */
  readonly expelled = this.store.expelled.signal;
  readonly expelled$ = this.store.expelled.changes$;
  /**
   * The room's recording: state, who started it, whether consent is required
   * and whether this peer acknowledged; null until a recording is seen. Show the
   * notice while `active`, and ask for consent when `consentRequired && !acknowledged`.
   */
  readonly recording = this.store.recording.signal;
  readonly recording$ = this.store.recording.changes$;
  /** What moderators do to this peer: muted, stopped a share, changed the role or permissions. */
  readonly moderatorActions$: Observable<ModeratorAction> = this.store.moderatorActions.asObservable();

  constructor() {
    // A session provided in a component ends with it; the socket closes with its SignalingClient.
    inject(DestroyRef).onDestroy(() => {
      this.discardPreparation();
      if (this.store.state.value === 'idle' || this.store.state.value === 'closed') return;
      this.coordinator.teardown();
      this.store.state.set('closed');
    });
  }

  /**
   * Gets ready to join while the user is still on the join screen: opens the socket,
   * authenticates, enters the room (others see nothing until `join`), loads the
   * Device and makes both transports. A later {@link join} with the same token and
   * room then sends only `join` (and joins at once); with another token or room (or
   * after another `prepare()`), this preparation is closed and forgotten. Never
   * rejects: a preparation that fails is simply redone by `join()`. No-op unless
   * `idle`, `closed` or `failed`. Close it with {@link leave} when the user gives up.
   */
  async prepare(options: Pick<JoinOptions, 'token' | 'roomId' | 'tokenProvider'>): Promise<void> {
    const state = this.store.state.value;
    if (state !== 'idle' && state !== 'closed' && state !== 'failed') return;
    if (!options?.token || !options.roomId) throw new TypeError('token and roomId are required');
    const current = this.preparation;
    if (current?.token === options.token && current.roomId === options.roomId) {
      await current.done;
      return;
    }
    this.discardPreparation();
    const preparation = { token: options.token, roomId: options.roomId, done: Promise.resolve(false), cancelled: false };
    this.preparation = preparation;
    preparation.done = (async () => {
      try {
        const auth = await this.signaling.connect(options.token, options.tokenProvider ? { tokenProvider: options.tokenProvider } : {});
        if (preparation.cancelled) return false;
        this.store.mediaAvailable.set(auth.mediaAvailable);
        await this.joinSequence.prepare(options.roomId);
        this.logger.debug(`prepare() | room=${options.roomId} peer=${auth.peerId}`);
        return !preparation.cancelled;
      } catch (error) {
        this.logger.debug(`prepare() failed, join() starts over | ${(error as Error)?.message}`);
        return false;
      }
    })();
    await preparation.done;
  }

  /**
   * Authenticates, enters the room, loads the Device from the router's RTP
   * capabilities, joins and creates the transports. Without a media worker on the
   * server it joins without media (`mediaAvailable` false). With the room's lobby
   * on it resolves only once a moderator admitted this peer (`waiting` meanwhile);
   * it rejects with `ExpelledError('denied')` when refused (state `closed`), and with
   * `InvalidStateError` when `leave()` was called before it completed. Rejects with
   * `InvalidStateError` unless `idle`, `closed` or `failed`, and `TypeError` for missing options.
   */
  async join(options: JoinOptions): Promise<void> {
    const state = this.store.state.value;
    if (state !== 'idle' && state !== 'closed' && state !== 'failed') throw new InvalidStateError(`join() while ${state}`);
    if (!options?.token || !options.roomId || !options.displayName) throw new TypeError('token, roomId and displayName are required');
    const preparation = this.preparation?.token === options.token && this.preparation.roomId === options.roomId ? this.preparation : null;
    if (!preparation) this.discardPreparation();
    this.preparation = null;
    this.store.error.set(null);
    this.store.expelled.set(null);
    this.store.state.set('joining');
    this.coordinator.start(options, [this.publisher.listen(), this.subscriber.listen(), this.moderation.listen()]);
    try {
      // Prepared on the join screen: the socket is open and only `join` is left.
      const ready = preparation ? await preparation.done : false;
      let auth = this.signaling.session();
      if (!ready || !auth || this.signaling.state() === 'closed') {
        if (preparation) this.closePrepared();
        auth = await this.signaling.connect(options.token, options.tokenProvider ? { tokenProvider: options.tokenProvider } : {});
      }
      this.store.mediaAvailable.set(auth.mediaAvailable);
      await this.coordinator.setUp();
      this.store.state.set('joined');
      this.logger.debug(`join() | room=${options.roomId} peer=${auth.peerId} media=${this.store.mediaAvailable.value}`);
    } catch (error) {
      if (error instanceof ExpelledError) {
        this.coordinator.expel(error.kind, error.reason, error.by);
        throw error;
      }
      // Left (or put out of the room) meanwhile: that is the state to keep.
      if (this.store.state.value === 'closed') throw this.store.error.value instanceof ExpelledError ? this.store.error.value : new InvalidStateError('left before join() completed');
      this.logger.warn(`join() failed | room=${options.roomId}`, error);
      this.coordinator.teardown();
      this.signaling.close();
      this.store.error.set(error as Error);
      this.store.state.set('failed');
      throw error;
    }
  }

  /** Leaves the room and closes every producer, consumer, transport and the socket. No-op when not joined. */
  async leave(): Promise<void> {
    this.discardPreparation();
    const state = this.store.state.value;
    if (state === 'idle' || state === 'closed') return;
    if (this.signaling.state() === 'open') {
      try {
        await this.context.request('leave', {});
      } catch (error) {
        this.logger.debug(`leave request failed (ignored) | ${(error as Error).message}`);
      }
    }
    this.dataChannels.closeAll();
    this.coordinator.teardown();
    this.signaling.close();
    this.store.state.set('closed');
  }

  /** Forgets a {@link prepare}: its transports and socket are closed. */
  private discardPreparation(): void {
    if (!this.preparation) return;
    this.preparation.cancelled = true;
    this.preparation = null;
    this.closePrepared();
  }

  private closePrepared(): void {
    this.joinSequence.discardPrepared();
    this.transports.close();
    this.signaling.close();
  }

  // Every media action below rejects with InvalidStateError outside a room (before
  // join, after leave or failure), like mediasoup-client on a closed transport.

  /**
   * Opens a data channel this peer sends on (SCTP through mediasoup: `produceData`);
   * the others in the room receive its messages on `dataMessages$`. Reliable and
   * ordered unless `maxRetransmits` / `maxPacketLifeTime` is given.
   */
  openDataChannel(label: string, options?: DataChannelOptions): Promise<LocalDataChannel> {
    return this.dataChannels.openChannel(label, options);
  }

  /** Starts the microphone (or the given device). No-op when already on. */
  enableMic(deviceId?: string): Promise<void> {
    return this.publisher.enableMic(deviceId);
  }

  /** Starts the camera (or the given device) with simulcast where the browser supports it. */
  enableCamera(deviceId?: string): Promise<void> {
    return this.publisher.enableCamera(deviceId);
  }

  /** Shares a screen (plus its audio when the browser offers it). Stopping from the browser UI disables it. */
  enableScreenShare(): Promise<void> {
    return this.publisher.enableScreenShare();
  }

  /** Turns the microphone off. No-op when it is off. */
  disableMic(): Promise<void> {
    return this.publisher.disable('mic');
  }

  /** Turns the camera off. No-op when it is off. */
  disableCamera(): Promise<void> {
    return this.publisher.disable('webcam');
  }

  /** Stops sharing the screen and its audio. No-op when not sharing. */
  async disableScreenShare(): Promise<void> {
    await this.publisher.disable('screen-audio');
    await this.publisher.disable('screen');
  }

  /** Mute: pauses the producer locally (no RTP) and on the server (others see it paused). `InvalidStateError` when `source` is off. */
  pauseProducer(source: ProducerSource): Promise<void> {
    return this.publisher.pause(source);
  }

  /** Unmute. `InvalidStateError` when `source` is off. */
  resumeProducer(source: ProducerSource): Promise<void> {
    return this.publisher.resume(source);
  }

  /** Mutes the microphone; `InvalidStateError` when it is off. */
  muteMic(): Promise<void> {
    return this.pauseProducer('mic');
  }

  /** Unmutes the microphone; `InvalidStateError` when it is off. */
  unmuteMic(): Promise<void> {
    return this.resumeProducer('mic');
  }

  /** Switches the microphone without renegotiating (replaceTrack). Enables it when off. */
  switchMic(deviceId: string): Promise<void> {
    return this.publisher.switchDevice('mic', deviceId);
  }

  /** Switches the camera without renegotiating. Enables it when off. */
  switchCamera(deviceId: string): Promise<void> {
    return this.publisher.switchDevice('webcam', deviceId);
  }

  /** Asks the server to forward these simulcast/SVC layers of a video consumer. */
  setConsumerPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void> {
    return this.subscriber.setPreferredLayers(consumerId, layers);
  }

  /** Stops receiving one consumer (e.g. a tile scrolled out of view). */
  pauseConsumer(consumerId: string): Promise<void> {
    return this.subscriber.pause(consumerId);
  }

  /** Receives a consumer paused with {@link pauseConsumer} again. */
  resumeConsumer(consumerId: string): Promise<void> {
    return this.subscriber.resume(consumerId);
  }

  /** Browser stats of a consumer's receiver (inbound-rtp bytes, jitter…). */
  getConsumerStats(consumerId: string): Promise<RTCStatsReport> {
    return this.subscriber.getStats(consumerId);
  }

  // Moderation: each rejects with PermissionDeniedError('moderate') unless this peer is a
  // host or moderator, InvalidStateError outside a room, and the server's SignalingError.

  /** Lets a peer waiting in the lobby in. */
  admit(peerId: string): Promise<ModerationResult> {
    return this.moderation.admit(peerId);
  }

  /** Lets everyone waiting in the lobby in. */
  admitAll(): Promise<ModerationResult> {
    return this.moderation.admitAll();
  }

  /** Refuses a peer waiting in the lobby; it is shown `reason`. */
  deny(peerId: string, reason?: string): Promise<ModerationResult> {
    return this.moderation.deny(peerId, reason);
  }

  /** Refuses everyone waiting in the lobby. */
  denyAll(reason?: string): Promise<ModerationResult> {
    return this.moderation.denyAll(reason);
  }

  /** Hard mute: pauses a peer's mic or camera, or closes its screen share; it cannot undo it until allowed again. */
  muteParticipant(peerId: string, source: MutableSource): Promise<ModerationResult> {
    return this.moderation.muteParticipant(peerId, source);
  }

  /** Hard mute of `source` (default `mic`) for everyone but moderators. */
  muteAll(source?: MutableSource): Promise<ModerationResult> {
    return this.moderation.muteAll(source);
  }

  /** Changes what a peer may do; e.g. `{ publishAudio: true }` allows it to unmute again. */
  setPermissions(peerId: string, patch: Partial<Permissions>): Promise<ModerationResult> {
    return this.moderation.setPermissions(peerId, patch);
  }

  /** Makes a peer a moderator, or a participant or viewer again. */
  setRole(peerId: string, role: SetRoleParams['role']): Promise<ModerationResult> {
    return this.moderation.setRole(peerId, role);
  }

  /** Removes a peer from the meeting; it is shown `reason` and cannot come back for a while. */
  removeParticipant(peerId: string, reason?: string): Promise<ModerationResult> {
    return this.moderation.removeParticipant(peerId, reason);
  }

  /** Turns the lobby on or off, locks or unlocks the room; resolves with the new settings. */
  updateRoomSettings(patch: UpdateRoomSettingsParams): Promise<RoomSettings> {
    return this.moderation.updateRoomSettings(patch);
  }

  /** Starts recording the room on the server (hosts and moderators; `media_unavailable` with the reason when it cannot). */
  startRecording(): Promise<RecordingNotice> {
    return this.moderation.startRecording();
  }

  /** Stops the room's recording (hosts and moderators; refused when the room requires recording). */
  stopRecording(): Promise<RecordingNotice> {
    return this.moderation.stopRecording();
  }

  /** This peer consents to being recorded (any peer in the room). */
  acknowledgeRecording(): Promise<{ recorded: boolean }> {
    return this.moderation.acknowledgeRecording();
  }

  /** Ends the meeting for everyone, this peer included (`expelled` kind `ended`). */
  endMeeting(reason?: string): Promise<ModerationResult> {
    return this.moderation.endMeeting(reason);
  }
}

/**
 * Providers for one more, independent session: its own {@link SignalingClient}
 * (hence its own socket), {@link MediaSession}, {@link ChatService} and
 * {@link FileTransferService}. Put them in a component's `providers` (the session
 * ends with the component) or in `createEnvironmentInjector(provideMediaSession(), parent)`.
 */
export function provideMediaSession(): Provider[] {
  return [SignalingClient, MediaSession, ChatService, FileTransferService];
}
