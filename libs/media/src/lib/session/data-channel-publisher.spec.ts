import { TestBed } from '@angular/core/testing';
import { FakeSignalingServer } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { EventEmitter } from 'node:events';
import { InvalidStateError, RequestTimeoutError } from '../errors';
import { DataChannelPublisher, untilOpen } from './data-channel-publisher';
import { MediaSession } from './media-session';

describe('MediaSession.openDataChannel (mediasoup-client FakeHandler)', () => {
  let server: FakeSignalingServer;
  let session: MediaSession;

  beforeEach(() => {
    // FakeHandler's data channels stay 'connecting' for ever: the wait for 'open' is stubbed here,
    // tested on untilOpen() below and for real in Chromium (apps/web/e2e/sdk-scenarios.ts).
    jest.spyOn(DataChannelPublisher.prototype as unknown as { waitOpen: () => Promise<void> }, 'waitOpen').mockResolvedValue(undefined);
    server = new FakeSignalingServer();
    const rig = new MediaTestRig(server);
    TestBed.configureTestingModule({ providers: rig.providers() });
    session = TestBed.inject(MediaSession);
  });

  afterEach(async () => {
    await session.leave();
    jest.restoreAllMocks();
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

  it('close() closes the channel and tells the server (closeDataProducer), once', async () => {
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    const channel = await session.openDataChannel('bot');
    channel.close();
    channel.close();
    expect(channel.readyState).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(server.requests('closeDataProducer')).toEqual([{ dataProducerId: channel.id }]);
  });
});

describe('untilOpen (openDataChannel resolves once the SCTP channel is open)', () => {
  class FakeChannel extends EventEmitter {
    readyState: RTCDataChannelState = 'connecting';
  }

  it('resolves at once when open, else on the open event, and leaves no listener behind', async () => {
    const open = new FakeChannel();
    open.readyState = 'open';
    await expect(untilOpen(open, 1000, 'a')).resolves.toBeUndefined();
    const later = new FakeChannel();
    const waiting = untilOpen(later, 1000, 'b');
    later.readyState = 'open';
    later.emit('open');
    await expect(waiting).resolves.toBeUndefined();
    expect(later.eventNames()).toEqual([]);
  });

  it('rejects when the channel closes, its transport closes or it fails first', async () => {
    for (const event of ['close', 'transportclose', 'error'] as const) {
      const channel = new FakeChannel();
      const waiting = untilOpen(channel, 1000, 'c');
      channel.emit(event, new Error('sctp failed'));
      await expect(waiting).rejects.toBeInstanceOf(InvalidStateError);
      expect(channel.eventNames()).toEqual([]);
    }
  });

  it('gives up after the timeout with RequestTimeoutError(openDataChannel)', async () => {
    const channel = new FakeChannel();
    const error: unknown = await untilOpen(channel, 20, 'd').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ method: 'openDataChannel', timeoutMs: 20 });
    expect(channel.eventNames()).toEqual([]);
  });
});
