import { DestroyRef, Injectable, computed, inject } from '@angular/core';
import { MediaPermissionError } from '../errors';
import { MEDIA_DEVICES } from '../tokens';
import { State } from '../util/state';

/**
 * Cameras and microphones for device pickers, and a preview stream for the join
 * screen. Labels are only filled once the user granted access (browser rule),
 * so `preview()` refreshes the list.
 */
@Injectable({ providedIn: 'root' })
export class MediaDevicesService {
  private readonly mediaDevices = inject(MEDIA_DEVICES);
  private readonly devicesCell = new State<readonly MediaDeviceInfo[]>([]);

  readonly devices = this.devicesCell.signal;
  readonly devices$ = this.devicesCell.changes$;
  readonly cameras = computed(() => this.devicesCell.signal().filter((d) => d.kind === 'videoinput'));
  readonly microphones = computed(() => this.devicesCell.signal().filter((d) => d.kind === 'audioinput'));

  constructor() {
    const target = this.mediaDevices as Partial<EventTarget> | undefined;
    const onChange = () => void this.refresh();
    target?.addEventListener?.('devicechange', onChange);
    inject(DestroyRef).onDestroy(() => target?.removeEventListener?.('devicechange', onChange));
  }

  /** Re-reads the device list. */
  async refresh(): Promise<void> {
    if (!this.mediaDevices?.enumerateDevices) return;
    this.devicesCell.set(await this.mediaDevices.enumerateDevices());
  }

  /**
   * Opens camera and/or microphone for a preview. Throws {@link MediaPermissionError}
   * with a user-facing message when refused. Stop the tracks when done.
   */
  async preview(options: { audio: boolean | string; video: boolean | string }): Promise<MediaStream> {
    const constraint = (v: boolean | string) => (typeof v === 'string' ? { deviceId: { exact: v } } : v);
    try {
      const stream = await this.mediaDevices.getUserMedia({ audio: constraint(options.audio), video: constraint(options.video) });
      await this.refresh();
      return stream;
    } catch (error) {
      throw MediaPermissionError.from(error, options.video ? 'camera' : 'microphone');
    }
  }
}
