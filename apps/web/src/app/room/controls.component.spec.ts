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
  const role = signal<'participant' | 'viewer'>('participant');
  const session = { mediaAvailable: signal(true), state: signal('joined'), localProducers: producers, permissions, role, resumeProducer: jest.fn(async () => undefined) };

  beforeEach(() => {
    permissions.set(ALL);
    producers.set([]);
    role.set('participant');
    TestBed.configureTestingModule({
      providers: [
        { provide: MediaSession, useValue: session },
        { provide: CallService, useValue: { attempt: jest.fn(async (action: () => Promise<unknown>) => void (await action())) } },
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

  it('offers to turn a camera the moderator paused back on (resume) once allowed; viewers are told why they cannot', async () => {
    const cam = { id: 'c', source: 'webcam', kind: 'video', track: {} as MediaStreamTrack, paused: true, score: [] } satisfies LocalProducer;
    producers.set([cam]);
    permissions.set({ ...ALL, publishVideo: false });
    const fixture = TestBed.createComponent(ControlsComponent);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(button(el, 'toggle-camera')?.getAttribute('aria-label')).toBe('Turn camera on');
    expect(button(el, 'toggle-camera')?.disabled).toBe(true);
    permissions.set(ALL);
    await fixture.whenStable();
    button(el, 'toggle-camera')?.click();
    await fixture.whenStable();
    expect(session.resumeProducer).toHaveBeenCalledWith('webcam');

    role.set('viewer');
    permissions.set({ ...ALL, publishAudio: false });
    await fixture.whenStable();
    expect(button(el, 'toggle-mic')?.getAttribute('title')).toContain('Viewers watch and listen');
  });
});
