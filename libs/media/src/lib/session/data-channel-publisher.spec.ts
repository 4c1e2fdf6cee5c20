import { TestBed } from '@angular/core/testing';
import { FakeSignalingServer } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { InvalidStateError } from '../errors';
import { MediaSession } from './media-session';

describe('MediaSession.openDataChannel (mediasoup-client FakeHandler)', () => {
  let server: FakeSignalingServer;
  let session: MediaSession;

  beforeEach(() => {
    server = new FakeSignalingServer();
    const rig = new MediaTestRig(server);
    TestBed.configureTestingModule({ providers: rig.providers() });
    session = TestBed.inject(MediaSession);
  });

  afterEach(async () => {
    await session.leave();
  });

  it('refuses before join (no send transport)', async () => {
    await expect(session.openDataChannel('chat')).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('produces a data channel on the send transport: produceData with its SCTP stream, label and protocol, reliable and ordered by default', async () => {
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    const channel = await session.openDataChannel('bot', { protocol: 'json' });
    const [request] = server.requests('produceData');
    expect(request).toMatchObject({ label: 'bot', protocol: 'json', sctpStreamParameters: { ordered: true } });
    expect(request['sctpStreamParameters']).toEqual(expect.objectContaining({ streamId: expect.any(Number) }));
    expect(channel.id).toMatch(/^dataproducer-/);
    expect(channel.label).toBe('bot');
    expect(channel.readyState).not.toBe('closed');
  });

  it('asks for partial reliability when given, and refuses both limits at once', async () => {
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    await session.openDataChannel('telemetry', { maxRetransmits: 0 });
    expect(server.requests('produceData')[0]).toMatchObject({ sctpStreamParameters: { ordered: false, maxRetransmits: 0 } });
    await expect(session.openDataChannel('x', { maxRetransmits: 1, maxPacketLifeTime: 100 })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('closes its channels on leave; a closed channel refuses to send', async () => {
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    const channel = await session.openDataChannel('bot');
    await session.leave();
    expect(channel.readyState).toBe('closed');
    expect(() => channel.send('late')).toThrow(InvalidStateError);
  });
});
