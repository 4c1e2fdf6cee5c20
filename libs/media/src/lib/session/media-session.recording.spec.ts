import { TestBed } from '@angular/core/testing';
import type { RecordingNotice } from '@confer/signaling-contracts';
import { FakeSignalingServer, until } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { PermissionDeniedError } from '../errors';
import { MediaSession } from './media-session';

const NOTICE: RecordingNotice = { state: 'recording', recordingId: 'rec-1', startedBy: 'Hana', startedAt: 1_700_000_000_000, consentRequired: true };

describe('MediaSession recording (notice, consent, host start/stop)', () => {
  let server: FakeSignalingServer;
  let session: MediaSession;

  beforeEach(() => {
    server = new FakeSignalingServer();
    TestBed.configureTestingModule({ providers: new MediaTestRig(server).providers() });
    session = TestBed.inject(MediaSession);
  });

  afterEach(async () => {
    await session.leave();
  });

  const join = () => session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });

  it('a joiner gets the notice from the join answer, then follows recordingStateChanged', async () => {
    server.joinAnswer = { ...server.joinAnswer, recording: NOTICE };
    await join();
    expect(session.recording()).toEqual({ ...NOTICE, acknowledged: false, active: true });

    server.notify('recordingStateChanged', { ...NOTICE, state: 'stored' });
    await until(() => session.recording()?.state === 'stored');
    expect(session.recording()?.active).toBe(false);
  });

  it('acknowledgeRecording() is sent and remembered, also for the next recording of the room', async () => {
    server.joinAnswer = { ...server.joinAnswer, recording: NOTICE };
    await join();
    await expect(session.acknowledgeRecording()).resolves.toEqual({ recorded: true });
    expect(server.requests('acknowledgeRecording')).toHaveLength(1);
    expect(session.recording()?.acknowledged).toBe(true);

    server.notify('recordingStateChanged', { ...NOTICE, recordingId: 'rec-2', state: 'recording' });
    await until(() => session.recording()?.recordingId === 'rec-2');
    expect(session.recording()?.acknowledged).toBe(true);
  });

  it('a participant may not start or stop (said locally, no round trip)', async () => {
    await join();
    expect(session.recording()).toBeNull();
    await expect(session.startRecording()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(session.stopRecording()).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(server.requests('startRecording')).toHaveLength(0);
  });

  it('a host starts and stops; the store follows the answers', async () => {
    server.joinAnswer = { ...server.joinAnswer, self: { ...server.joinAnswer.self, role: 'host' } };
    await join();
    const started = await session.startRecording();
    expect(started.state).toBe('recording');
    expect(session.recording()).toMatchObject({ recordingId: started.recordingId, active: true, startedBy: 'Me' });
    await session.stopRecording();
    expect(session.recording()).toMatchObject({ state: 'stopping', active: true });
  });
});
