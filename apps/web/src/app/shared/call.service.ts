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
  RequestTimeoutError,
  SignalingClient,
} from '@confer/media';
import { SignalingError, type Role } from '@confer/signaling-contracts';
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
  private nextNotice = 1;
  private wasInRoom = false;

  readonly notices = this.noticesCell.asReadonly();
  readonly roomId = this.roomCell.asReadonly();
  readonly displayName = this.nameCell.asReadonly();
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
        // Reconnection gave up or a rebuild failed: back to the join screen, saying why.
        if (state === 'failed' && this.wasInRoom) {
          this.wasInRoom = false;
          this.notify('error', `You were disconnected: ${describeError(this.session.error())}`);
        }
        if (state === 'closed') this.wasInRoom = false;
      }),
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

  /** Joins; resolves false (with a notice) when joining failed. */
  async join(request: JoinRequest): Promise<boolean> {
    this.noticesCell.set([]);
    this.roomCell.set(request.roomId);
    this.nameCell.set(request.displayName);
    try {
      const token = await this.tokens.token(request.displayName, request.roomId, request.role);
      await this.session.join({ token, roomId: request.roomId, displayName: request.displayName });
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
