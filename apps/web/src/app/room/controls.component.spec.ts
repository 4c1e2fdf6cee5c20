import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MediaDevicesService, MediaSession, type LocalProducer } from '@confer/media';
import type { Permissions } from '@confer/signaling-contracts';
import { CallService } from '../shared/call.service';
import { ControlsComponent } from './controls.component';

const ALL: Permissions = { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true };

describe('ControlsComponent', () => {
  const permissions = signal<Permissions | null>(ALL);
  const producers = signal<LocalProducer[]>([]);

  beforeEach(() => {
    permissions.set(ALL);
    producers.set([]);
    TestBed.configureTestingModule({
      providers: [
        { provide: MediaSession, useValue: { mediaAvailable: signal(true), state: signal('joined'), localProducers: producers, permissions } },
        { provide: CallService, useValue: { attempt: jest.fn() } },
        { provide: MediaDevicesService, useValue: { refresh: jest.fn(async () => undefined), microphones: signal([]), cameras: signal([]) } },
      ],
    });
  });

  const button = (el: HTMLElement, id: string) => el.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`);

  it('disables unmute, camera and screen share when a moderator took them away, saying why in the tooltip', async () => {
    const mic = { id: 'm', source: 'mic', kind: 'audio', track: {} as MediaStreamTrack, paused: true, score: [] } satisfies LocalProducer;
    producers.set([mic]);
    const fixture = TestBed.createComponent(ControlsComponent);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(button(el, 'toggle-mic')?.disabled).toBe(false);
    expect(button(el, 'toggle-mic')?.getAttribute('title')).toBeNull();

    permissions.set({ ...ALL, publishAudio: false, publishVideo: false, publishScreen: false });
    await fixture.whenStable();
    expect(button(el, 'toggle-mic')?.disabled).toBe(true);
    expect(button(el, 'toggle-mic')?.getAttribute('aria-label')).toBe('Unmute microphone');
    expect(button(el, 'toggle-mic')?.getAttribute('title')).toContain('A moderator muted you');
    expect(button(el, 'toggle-camera')?.disabled).toBe(true);
    expect(button(el, 'toggle-screen')?.disabled).toBe(true);

    // Allowed again: enabled, but still muted (the user unmutes).
    permissions.set(ALL);
    await fixture.whenStable();
    expect(button(el, 'toggle-mic')?.disabled).toBe(false);
    expect(button(el, 'toggle-mic')?.getAttribute('aria-pressed')).toBe('false');
  });
});
