import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import {
  ChatService,
  ConnectionError,
  ExpelledError,
  FileTransferService,
  InvalidStateError,
  MediaPermissionError,
  MediaSession,
  PermissionDeniedError,
  type RemoteConsumer,
  RequestTimeoutError,
  SignalingClient,
} from '@confer/media';
import { SignalingError, type Role } from '@confer/signaling-contracts';
import { skip } from 'rxjs';
import { expulsionNotice, moderatorActionNotice, permissionDeniedText } from './moderation-notices';
import { TokenService } from './token.service';

/** What the join screen hands to the call. */
export interface JoinRequest {
  displayName: string;
  roomId: string;
  micOn: boolean;
  cameraOn: boolean;
  micDeviceId?: string;
  cameraDeviceId?: string;
  /** Development tokens only: the role to ask for (the server's default otherwise). */
  role?: Role;
}

/** A message shown above the room (permissions, server errors, media unavailable). */
export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * After `join`, the server offers the room's producers (`newConsumer`) at once. The
 * page has one main thread: rendering the room screen and starting the camera and
 * mic while those are set up would delay the first remote frame. So both wait until
 * the offers are set up — the first consumer within this long when others are in the
 * room, …
 */
export const FIRST_CONSUMER_WAIT_MS = 150;
/** … then no new consumer for this long … */
export const CONSUMERS_QUIET_MS = 40;
/** … and never longer than this after joining. */
export const CONSUMERS_SETTLE_MAX_MS = 300;
/** How long the stand-in video sinks outlive the room screen's first render. */
export const VIDEO_SINK_HANDOVER_MS = 1000;

/**
 * The app's use of the SDK: gets a token, joins, turns devices on, and turns
 * SDK errors into sentences for the user.
 */
@Injectable({ providedIn: 'root' })
export class CallService {
  readonly session = inject(MediaSession);
  private readonly chat = inject(ChatService);
  private readonly files = inject(FileTransferService);
  private readonly tokens = inject(TokenService);
  private readonly noticesCell = signal<readonly Notice[]>([]);
  private readonly roomCell = signal<string | null>(null);
  private readonly nameCell = signal<string>('');
  private readonly roomReadyCell = signal(false);
  private nextNotice = 1;
  /** Simulcast layer asked for per video consumer, so that score updates do not repeat the request. */
  private readonly requestedLayers = new Map<string, number>();
  private wasInRoom = false;

  readonly notices = this.noticesCell.asReadonly();
  readonly roomId = this.roomCell.asReadonly();
  readonly displayName = this.nameCell.asReadonly();
  /**
   * Joined and the consumers offered at the join are set up (or the wait for them is
   * over): the room screen renders from then on. False on the join screen and while joining.
   */
  readonly roomReady = this.roomReadyCell.asReadonly();
  /** True from the moment the user pressed "Join" until they leave. */
  readonly inRoom = computed(() => {
    const state = this.session.state();
    return state === 'joining' || state === 'joined' || state === 'reconnecting';
  });

  constructor() {
    const signaling = inject(SignalingClient);
    const subs = [
      signaling.on('serverShutdown').subscribe(({ drainMs }) =>
        this.notify('info', `The server is restarting${drainMs >= 1000 ? ` in up to ${Math.round(drainMs / 1000)} s` : ''}; you will be reconnected automatically.`),
      ),
      this.session.connectionState$.subscribe((state) => {
        if (state === 'joined') this.wasInRoom = true;
        if (state === 'reconnecting') this.roomReadyCell.set(true);
        if (state !== 'joining' && state !== 'joined' && state !== 'reconnecting') this.roomReadyCell.set(false);
        // Reconnection gave up or a rebuild failed: back to the join screen, saying why.
        if (state === 'failed' && this.wasInRoom) {
          this.wasInRoom = false;
          this.notify('error', `You were disconnected: ${describeError(this.session.error())}`);
        }
        if (state === 'closed') this.wasInRoom = false;
      }),
      this.session.consumers$.subscribe((consumers) => this.askLayers(consumers)),
      // The lobby's waiting screen is part of the room screen: at once.
      this.session.waiting$.subscribe((waiting) => waiting && this.roomReadyCell.set(true)),
      // Denied, removed, or the meeting ended: back to the join screen, saying who and why.
      this.session.expelled$.subscribe((expulsion) => {
        if (!expulsion) return;
        this.chat.clear();
        this.files.clearFinished();
        this.notify(expulsion.kind === 'ended' ? 'info' : 'error', expulsionNotice(expulsion));
      }),
      this.session.moderatorActions$.subscribe((action) => {
        const text = moderatorActionNotice(action);
        if (text) this.notify('info', text);
      }),
    ];
    inject(DestroyRef).onDestroy(() => subs.forEach((s) => s.unsubscribe()));
  }

  /**
   * Gets the session ready while the user is on the join screen (token, socket,
   * room entered, Device and transports), so that "Join" sends only `join`. Silent:
   * whatever fails here is tried again, and reported, by {@link join}.
   */
  async prepare(displayName: string, roomId: string, role?: Role): Promise<void> {
    if (this.inRoom()) return;
    try {
      const token = await this.tokens.token(displayName, roomId, role);
      if (!this.inRoom()) await this.session.prepare({ token, roomId });
    } catch {
      // join() asks again and says why.
    }
  }

  /** Joins; resolves false (with a notice) when joining failed. */
  async join(request: JoinRequest): Promise<boolean> {
    this.noticesCell.set([]);
    this.roomReadyCell.set(false);
    this.roomCell.set(request.roomId);
    this.nameCell.set(request.displayName);
    try {
      const token = await this.tokens.token(request.displayName, request.roomId, request.role);
      await this.session.join({ token, roomId: request.roomId, displayName: request.displayName });
      // Consume first: the room screen and this peer's own capture come once the others' media is set up.
      const releaseSinks = this.holdVideoSinks();
      await this.consumersSettled();
      if (this.inRoom()) this.roomReadyCell.set(true);
      this.askLayers(this.session.consumers());
      // The tiles attach the tracks in the render that follows; then the stand-ins go.
      setTimeout(releaseSinks, VIDEO_SINK_HANDOVER_MS);
    } catch (error) {
      // Left the waiting room, or denied there (the expulsion notice says so): nothing more to tell.
      const quiet = error instanceof ExpelledError || (error instanceof InvalidStateError && !this.inRoom());
      if (!quiet) this.notify('error', describeError(error));
      return false;
    }
    if (!this.session.mediaAvailable()) {
      const why = this.session.mediaUnavailableReason() ?? 'the server has no media worker right now';
      this.notify('info', `Media unavailable: ${why}. Chat, participants and file transfer still work.`);
      return true;
    }
    // The user may leave (or the session fail) while a device starts: the SDK would rightly refuse then.
    if (request.micOn && this.session.state() === 'joined') await this.attempt(() => this.session.enableMic(request.micDeviceId));
    if (request.cameraOn && this.session.state() === 'joined') await this.attempt(() => this.session.enableCamera(request.cameraDeviceId));
    return true;
  }

  /**
   * Smaller tiles need fewer pixels: with many remote cameras, ask the SFU for lower
   * simulcast layers (2 for up to two cameras, 1 up to six, else 0). Asked as soon as a
   * consumer exists — before the SFU resumes it — and while joining the others in the
   * room count for the cameras still to come, so that the first key frame asked for is
   * of the layer kept (a later switch waits for another key frame).
   */
  private askLayers(consumers: readonly RemoteConsumer[]): void {
    const videos = consumers.filter((c) => c.source === 'webcam' && c.type === 'simulcast');
    const count = this.roomReadyCell() ? videos.length : Math.max(videos.length, this.session.remotePeers().length);
    const spatialLayer = count <= 2 ? 2 : count <= 6 ? 1 : 0;
    for (const id of this.requestedLayers.keys()) if (!consumers.some((c) => c.id === id)) this.requestedLayers.delete(id);
    for (const c of videos) {
      if (this.requestedLayers.get(c.id) === spatialLayer) continue;
      this.requestedLayers.set(c.id, spatialLayer);
      void this.session.setConsumerPreferredLayers(c.id, { spatialLayer, temporalLayer: 2 }).catch(() => this.requestedLayers.delete(c.id));
    }
  }

  /**
   * Until the room screen shows, plays every remote video in a detached, muted
   * element: without a sink, the benchmark's first remote frame was decoded only when
   * the room screen's tiles appeared (Chromium decodes for the renderers). Returns the release.
   */
  private holdVideoSinks(): () => void {
    if (typeof MediaStream === 'undefined' || typeof document === 'undefined') return () => undefined;
    const sinks = new Map<string, HTMLVideoElement>();
    const sub = this.session.consumers$.subscribe((consumers) => {
      for (const c of consumers) {
        if (c.kind !== 'video' || sinks.has(c.id)) continue;
        const video = document.createElement('video');
        video.muted = true;
        video.playsInline = true;
        video.srcObject = new MediaStream([c.track]);
        void video.play().catch(() => undefined);
        sinks.set(c.id, video);
      }
    });
    return () => {
      sub.unsubscribe();
      for (const video of sinks.values()) video.srcObject = null;
      sinks.clear();
    };
  }

  /** Resolves once the consumers offered at the join are set up (see {@link FIRST_CONSUMER_WAIT_MS}). */
  private consumersSettled(): Promise<void> {
    if (this.session.remotePeers().length === 0 || !this.session.mediaAvailable()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let quiet = setTimeout(done, this.session.consumers().length ? CONSUMERS_QUIET_MS : FIRST_CONSUMER_WAIT_MS);
      const cap = setTimeout(done, CONSUMERS_SETTLE_MAX_MS);
      const sub = this.session.consumers$.pipe(skip(1)).subscribe(() => {
        clearTimeout(quiet);
        quiet = setTimeout(done, CONSUMERS_QUIET_MS);
      });
      function done(): void {
        clearTimeout(quiet);
        clearTimeout(cap);
        sub.unsubscribe();
        resolve();
      }
    });
  }

  async leave(): Promise<void> {
    await this.session.leave();
    this.chat.clear();
    this.files.clearFinished();
    this.roomCell.set(null);
  }

  /** Runs a media action and turns its failure into a notice. */
  async attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // Left (or failed) while the action ran: the refusal is expected and says nothing new.
      if (error instanceof InvalidStateError && !this.inRoom()) return;
      this.notify('error', describeError(error));
    }
  }

  notify(kind: Notice['kind'], text: string): void {
    const id = this.nextNotice++;
    this.noticesCell.update((list) => [...list.filter((n) => n.text !== text), { id, kind, text }]);
  }

  dismiss(id: number): void {
    this.noticesCell.update((list) => list.filter((n) => n.id !== id));
  }
}

/** A sentence for the user from any error the SDK or the server produces. */
export function describeError(error: unknown): string {
  if (error instanceof MediaPermissionError) return error.message;
  if (error instanceof PermissionDeniedError) return permissionDeniedText(error.permission);
  if (error instanceof ExpelledError) return expulsionNotice(error);
  if (error instanceof RequestTimeoutError) return `The server did not answer in time (${error.message}).`;
  if (error instanceof ConnectionError) {
    switch (error.reason) {
      case 'replaced':
        return error.message;
      case 'unreachable':
        return `Could not reach the server (${error.message}).`;
      default:
        return `The connection to the server was lost (${error.message}).`;
    }
  }
  if (error instanceof SignalingError) {
    switch (error.code) {
      case 'unauthenticated':
        return `Your access token was refused (${error.reason}). Open Confer again from your portal.`;
      case 'forbidden':
        return `Not allowed: ${error.reason}`;
      case 'limit_exceeded':
        return `Limit reached: ${error.reason}`;
      case 'media_unavailable':
        return 'Media unavailable: the server has no media worker right now.';
      case 'unsupported_version':
        return 'This page is out of date. Reload it to get the latest version.';
      case 'invalid_state':
        return error.reason;
      case 'timeout':
        return `The server did not answer in time (${error.reason}).`;
      default:
        return `Server error: ${error.reason}`;
    }
  }
  return (error as Error)?.message ?? String(error);
}
