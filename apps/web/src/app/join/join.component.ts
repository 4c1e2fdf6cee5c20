import { ChangeDetectionStrategy, Component, DestroyRef, OnInit, computed, effect, inject, signal } from '@angular/core';
import { MediaDevicesService, MediaStreamDirective } from '@confer/media';
import { ROLES, type Role } from '@confer/signaling-contracts';
import { CallService, ROOM_ID_PATTERN, describeError } from '../shared/call.service';
import { TokenService } from '../shared/token.service';

const NAME_KEY = 'confer:displayName';

/**
 * How long the preview may say "Starting camera…" before it tells the user the
 * browser is waiting for them (a permission prompt) or for a busy device.
 */
export const PREVIEW_WAIT_HINT_MS = 2500;

/** The preview box: off, starting, waiting for the user's permission (or the device), on, or failed. */
export type PreviewState = 'off' | 'starting' | 'waiting' | 'on' | 'failed';

/**
 * Once name and room have stayed unchanged this long, the token is fetched and the
 * session prepared (socket, room entered, Device, transports), so that "Join" sends only `join`.
 */
export const TOKEN_PREFETCH_MS = 150;

/** Name, room, camera/mic preview with device pickers, then "Join". */
@Component({
  selector: 'cf-join',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MediaStreamDirective],
  templateUrl: './join.component.html',
  styleUrl: './join.component.css',
})
export class JoinComponent implements OnInit {
  private readonly call = inject(CallService);
  private readonly tokens = inject(TokenService);
  protected readonly devices = inject(MediaDevicesService);

  protected readonly displayName = signal(this.tokens.suggestions.name ?? readStored(NAME_KEY));
  /** Back from a room the user did not leave (removed, meeting ended, disconnected): that room again. */
  protected readonly roomId = signal(this.call.roomId() ?? this.tokens.suggestions.room ?? new URLSearchParams(globalThis.location.search).get('room') ?? 'lobby');
  /** Development tokens only: the role to ask for (`?role=participant` preselects it); undefined: the server's default. */
  protected readonly role = signal<Role | undefined>(parseRole(new URLSearchParams(globalThis.location.search).get('role')) ?? this.tokens.lastDevRole);
  protected readonly roles = ROLES;
  /** The role picker is for development tokens; a portal's token carries its own role. */
  protected readonly devTokens = !this.tokens.hasHandedOverToken;
  protected readonly micOn = signal(true);
  protected readonly cameraOn = signal(true);
  protected readonly micDeviceId = signal<string | undefined>(undefined);
  protected readonly cameraDeviceId = signal<string | undefined>(undefined);
  protected readonly previewTracks = signal<MediaStreamTrack[]>([]);
  protected readonly previewError = signal<string | null>(null);
  protected readonly previewState = signal<PreviewState>('off');
  /** True when the portal handed over no token and this server issues no development tokens. */
  protected readonly noToken = signal(false);
  /** Bumped by every start/stop: a capture that resolves after a newer request is stopped, not shown. */
  private previewGeneration = 0;
  private waitHint: ReturnType<typeof setTimeout> | null = null;
  protected readonly joining = signal(false);
  protected readonly notices = this.call.notices;
  protected readonly nameValid = computed(() => this.displayName().trim().length > 0 && this.displayName().trim().length <= 64);
  protected readonly roomValid = computed(() => ROOM_ID_PATTERN.test(this.roomId()));
  protected readonly canJoin = computed(() => this.nameValid() && this.roomValid() && !this.joining());
  protected readonly previewVideo = computed(() => this.previewTracks().filter((t) => t.kind === 'video'));

  constructor() {
    let prefetch: ReturnType<typeof setTimeout> | null = null;
    inject(DestroyRef).onDestroy(() => {
      this.stopPreview();
      if (prefetch) clearTimeout(prefetch);
    });
    // Token, socket, room entry, Device and transports are on the join's critical path otherwise.
    effect(() => {
      const [name, room, role] = [this.displayName().trim(), this.roomId(), this.devTokens ? this.role() : undefined];
      if (prefetch) clearTimeout(prefetch);
      prefetch = null;
      if (!this.nameValid() || !this.roomValid() || this.noToken()) return;
      prefetch = setTimeout(() => void this.call.prepare(name, room, role), TOKEN_PREFETCH_MS);
    });
  }

  ngOnInit(): void {
    void this.startPreview();
    void this.checkToken();
  }

  protected setName(value: string): void {
    this.displayName.set(value);
  }

  protected setRoom(value: string): void {
    this.roomId.set(value.trim());
  }

  protected setRole(value: string): void {
    this.role.set(parseRole(value));
  }

  protected toggleMic(on: boolean): void {
    this.micOn.set(on);
    void this.startPreview();
  }

  protected toggleCamera(on: boolean): void {
    this.cameraOn.set(on);
    void this.startPreview();
  }

  protected pickMic(deviceId: string): void {
    this.micDeviceId.set(deviceId || undefined);
    void this.startPreview();
  }

  protected pickCamera(deviceId: string): void {
    this.cameraDeviceId.set(deviceId || undefined);
    void this.startPreview();
  }

  protected async join(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.canJoin()) return;
    const displayName = this.displayName().trim();
    writeStored(NAME_KEY, displayName);
    this.joining.set(true);
    const joined = this.call.join({
      displayName,
      roomId: this.roomId(),
      micOn: this.micOn(),
      cameraOn: this.cameraOn(),
      micDeviceId: this.micDeviceId(),
      cameraDeviceId: this.cameraDeviceId(),
      ...(this.devTokens && this.role() ? { role: this.role() } : {}),
    });
    // The session opens its own capture once joined; free the devices (some cameras allow
    // one user) right after `join` went out, not before.
    setTimeout(() => this.stopPreview());
    await joined;
    this.joining.set(false);
  }

  private async startPreview(): Promise<void> {
    this.stopPreview();
    const generation = this.previewGeneration;
    this.previewError.set(null);
    const audio = this.micOn() ? (this.micDeviceId() ?? true) : false;
    const video = this.cameraOn() ? (this.cameraDeviceId() ?? true) : false;
    if (!audio && !video) return;
    this.previewState.set('starting');
    // getUserMedia waits as long as the browser's permission prompt is open: say so.
    this.waitHint = setTimeout(() => this.previewState() === 'starting' && this.previewState.set('waiting'), PREVIEW_WAIT_HINT_MS);
    try {
      const stream = await this.devices.preview({ audio, video });
      if (generation !== this.previewGeneration) {
        // Toggled, re-picked or joined meanwhile: this capture is no longer wanted.
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      this.clearWaitHint();
      this.previewTracks.set(stream.getTracks());
      this.previewState.set('on');
    } catch (error) {
      if (generation !== this.previewGeneration) return;
      this.clearWaitHint();
      this.previewError.set(describeError(error));
      this.previewState.set('failed');
      await this.devices.refresh().catch(() => undefined);
    }
  }

  private stopPreview(): void {
    this.previewGeneration++;
    this.clearWaitHint();
    for (const track of this.previewTracks()) track.stop();
    this.previewTracks.set([]);
    this.previewState.set('off');
  }

  private clearWaitHint(): void {
    if (this.waitHint) clearTimeout(this.waitHint);
    this.waitHint = null;
  }

  /** Tells the user up front when joining cannot work: no token from the portal and no development tokens. */
  private async checkToken(): Promise<void> {
    if (this.tokens.hasHandedOverToken) return;
    const available = await this.tokens.devTokensAvailable();
    // A portal may still post a token (iframe embedding): only warn when none came meanwhile.
    this.noToken.set(available === false && !this.tokens.hasHandedOverToken);
  }
}

function parseRole(value: string | null): Role | undefined {
  return (ROLES as readonly string[]).includes(value ?? '') ? (value as Role) : undefined;
}

function readStored(key: string): string {
  try {
    return globalThis.localStorage?.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function writeStored(key: string, value: string): void {
  try {
    globalThis.localStorage?.setItem(key, value);
  } catch {
    // private mode: not remembered
  }
}
