import { ChangeDetectionStrategy, Component, DestroyRef, OnInit, computed, inject, signal } from '@angular/core';
import { MediaDevicesService, MediaStreamDirective } from '@confer/media';
import { CallService, ROOM_ID_PATTERN, describeError } from '../shared/call.service';
import { TokenService } from '../shared/token.service';

const NAME_KEY = 'confer:displayName';

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
  protected readonly roomId = signal(this.tokens.suggestions.room ?? new URLSearchParams(globalThis.location.search).get('room') ?? 'lobby');
  protected readonly micOn = signal(true);
  protected readonly cameraOn = signal(true);
  protected readonly micDeviceId = signal<string | undefined>(undefined);
  protected readonly cameraDeviceId = signal<string | undefined>(undefined);
  protected readonly previewTracks = signal<MediaStreamTrack[]>([]);
  protected readonly previewError = signal<string | null>(null);
  protected readonly joining = signal(false);
  protected readonly notices = this.call.notices;
  protected readonly nameValid = computed(() => this.displayName().trim().length > 0 && this.displayName().trim().length <= 64);
  protected readonly roomValid = computed(() => ROOM_ID_PATTERN.test(this.roomId()));
  protected readonly canJoin = computed(() => this.nameValid() && this.roomValid() && !this.joining());
  protected readonly previewVideo = computed(() => this.previewTracks().filter((t) => t.kind === 'video'));

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stopPreview());
  }

  ngOnInit(): void {
    void this.startPreview();
  }

  protected setName(value: string): void {
    this.displayName.set(value);
  }

  protected setRoom(value: string): void {
    this.roomId.set(value.trim());
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
    // The session opens its own capture; free the devices (some cameras allow one user).
    this.stopPreview();
    await this.call.join({
      displayName,
      roomId: this.roomId(),
      micOn: this.micOn(),
      cameraOn: this.cameraOn(),
      micDeviceId: this.micDeviceId(),
      cameraDeviceId: this.cameraDeviceId(),
    });
    this.joining.set(false);
  }

  private async startPreview(): Promise<void> {
    this.stopPreview();
    this.previewError.set(null);
    const audio = this.micOn() ? (this.micDeviceId() ?? true) : false;
    const video = this.cameraOn() ? (this.cameraDeviceId() ?? true) : false;
    if (!audio && !video) return;
    try {
      const stream = await this.devices.preview({ audio, video });
      this.previewTracks.set(stream.getTracks());
    } catch (error) {
      this.previewError.set(describeError(error));
      await this.devices.refresh().catch(() => undefined);
    }
  }

  private stopPreview(): void {
    for (const track of this.previewTracks()) track.stop();
    this.previewTracks.set([]);
  }
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
