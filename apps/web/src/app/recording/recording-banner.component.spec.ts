import { TestBed } from '@angular/core/testing';
import type { RecordingStatus } from '@confer/media';
import { clickButton, provideFakeModeration, type FakeModerationSession } from '../moderation/moderation-testing';
import { RecordingBannerComponent } from './recording-banner.component';

const RECORDING: RecordingStatus = { state: 'recording', recordingId: 'rec-1', startedBy: 'Hana', startedAt: 1, consentRequired: false, acknowledged: false, active: true };

describe('RecordingBannerComponent', () => {
  let session: FakeModerationSession;

  beforeEach(() => {
    session = provideFakeModeration();
  });

  async function render(): Promise<{ el: HTMLElement; stable: () => Promise<void> }> {
    const fixture = TestBed.createComponent(RecordingBannerComponent);
    await fixture.whenStable();
    return { el: fixture.nativeElement as HTMLElement, stable: () => fixture.whenStable() };
  }
  const button = (el: HTMLElement, testId: string) => el.querySelector<HTMLButtonElement>(`[data-testid="${testId}"]`);

  it('tells everyone the meeting is being recorded, with who started it', async () => {
    session.isModerator.set(false);
    session.recording.set(RECORDING);
    const { el } = await render();
    const notice = el.querySelector('[data-testid="recording-notice"]');
    expect(notice?.getAttribute('role')).toBe('status');
    expect(notice?.textContent).toContain('Recording');
    expect(notice?.textContent).toContain('This meeting is being recorded (started by Hana).');
    expect(el.querySelector('[data-testid="recording-consent"]')).toBeNull();
    expect(el.querySelector('[data-testid="recording-controls"]')).toBeNull();
  });

  it('asks for consent when the room requires it; Allow sends acknowledgeRecording, Not now hides the prompt', async () => {
    session.isModerator.set(false);
    session.recording.set({ ...RECORDING, consentRequired: true });
    const { el, stable } = await render();
    expect(el.querySelector('[data-testid="recording-consent"]')?.getAttribute('role')).toBe('alertdialog');
    expect(el.textContent).toContain('Your audio and video are not recorded until you allow it.');
    clickButton(el, 'Allow recording of my audio and video');
    await Promise.resolve();
    expect(session.acknowledgeRecording).toHaveBeenCalled();
    clickButton(el, 'Not now');
    await stable();
    expect(el.querySelector('[data-testid="recording-consent"]')).toBeNull();
    // A new recording asks again.
    session.recording.set({ ...RECORDING, recordingId: 'rec-2', consentRequired: true });
    await stable();
    expect(el.querySelector('[data-testid="recording-consent"]')).not.toBeNull();
    session.recording.set({ ...RECORDING, recordingId: 'rec-2', consentRequired: true, acknowledged: true });
    await stable();
    expect(el.querySelector('[data-testid="recording-consent"]')).toBeNull();
  });

  it('hosts start and stop; the buttons are disabled with the reason when the room cannot be recorded', async () => {
    const { el, stable } = await render();
    clickButton(el, 'Start recording');
    await Promise.resolve();
    expect(session.startRecording).toHaveBeenCalled();

    session.roomSettings.update((s) => (s ? { ...s, recording: 'forbidden' } : s));
    await stable();
    expect(button(el, 'start-recording')?.disabled).toBe(true);
    expect(button(el, 'start-recording')?.title).toBe('Recording is not allowed in this room.');
    session.roomSettings.update((s) => (s ? { ...s, recording: 'allowed' } : s));
    session.mediaAvailable.set(false);
    await stable();
    expect(button(el, 'start-recording')?.title).toBe('Recording is unavailable: there is no media server.');

    session.recording.set(RECORDING);
    await stable();
    clickButton(el, 'Stop recording');
    await Promise.resolve();
    expect(session.stopRecording).toHaveBeenCalled();
    session.roomSettings.update((s) => (s ? { ...s, recording: 'required' } : s));
    await stable();
    expect(button(el, 'stop-recording')?.disabled).toBe(true);
    expect(button(el, 'stop-recording')?.title).toContain('always recorded');
  });
});
