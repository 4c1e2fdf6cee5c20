import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MediaSession, type RemoteConsumer, type RemotePeer, type SessionState } from '@confer/media';
import { BehaviorSubject, Subject } from 'rxjs';
import { CallService, FIRST_CONSUMER_WAIT_MS } from './call.service';
import { TokenService } from './token.service';

/** The part of MediaSession that CallService uses, driven by the test. */
function fakeSession() {
  const state = new BehaviorSubject<SessionState>('idle');
  const consumers = new BehaviorSubject<readonly RemoteConsumer[]>([]);
  const stateSignal = signal<SessionState>('idle');
  state.subscribe((s) => stateSignal.set(s));
  const consumersSignal = signal<readonly RemoteConsumer[]>([]);
  consumers.subscribe((c) => consumersSignal.set(c));
  const calls: string[] = [];
  return {
    calls,
    stateSubject: state,
    consumersSubject: consumers,
    state: stateSignal,
    connectionState$: state.asObservable(),
    consumers: consumersSignal,
    consumers$: consumers.asObservable(),
    remotePeers: signal<readonly RemotePeer[]>([]),
    mediaAvailable: signal(true),
    mediaUnavailableReason: signal<string | null>(null),
    error: signal<Error | null>(null),
    waiting$: new BehaviorSubject(false).asObservable(),
    expelled$: new Subject().asObservable(),
    moderatorActions$: new Subject().asObservable(),
    prepare: jest.fn(async () => void calls.push('prepare')),
    join: jest.fn(async () => {
      calls.push('join');
      state.next('joined');
    }),
    enableMic: jest.fn(async () => void calls.push('enableMic')),
    enableCamera: jest.fn(async () => void calls.push('enableCamera')),
    leave: jest.fn(async () => state.next('closed')),
    setConsumerPreferredLayers: jest.fn(async () => undefined),
  };
}

const consumer = (id: string, kind: 'audio' | 'video') => ({ id, kind, peerId: 'bob', source: kind === 'audio' ? 'mic' : 'webcam' }) as unknown as RemoteConsumer;
const BOB = { id: 'bob', displayName: 'Bob', device: { flag: 'chrome', name: 'Chrome' }, role: 'participant' } as RemotePeer;

describe('CallService: the join path', () => {
  let session: ReturnType<typeof fakeSession>;
  let call: CallService;

  beforeEach(() => {
    session = fakeSession();
    TestBed.configureTestingModule({
      providers: [
        { provide: MediaSession, useValue: session },
        { provide: TokenService, useValue: { token: jest.fn(async (name: string, room: string) => `token-${name}-${room}`) } },
      ],
    });
    call = TestBed.inject(CallService);
  });

  const request = { displayName: 'Ada', roomId: 'team-1', micOn: true, cameraOn: true };

  it('prepares the session with the token for the name and room', async () => {
    await call.prepare('Ada', 'team-1');
    expect(session.prepare).toHaveBeenCalledWith({ token: 'token-Ada-team-1', roomId: 'team-1' });
  });

  it('consumes first: the room screen and the camera and mic wait until the offered consumers are set up', async () => {
    session.remotePeers.set([BOB]);
    const joined = call.join(request);
    await new Promise((r) => setTimeout(r, 10));
    expect(session.calls).toEqual(['join']);
    session.consumersSubject.next([consumer('c1', 'audio')]);
    await new Promise((r) => setTimeout(r, 20));
    session.consumersSubject.next([consumer('c1', 'audio'), consumer('c2', 'video')]);
    await new Promise((r) => setTimeout(r, 20));
    expect(call.roomReady()).toBe(false);
    expect(session.enableMic).not.toHaveBeenCalled();
    await expect(joined).resolves.toBe(true);
    expect(call.roomReady()).toBe(true);
    expect(session.calls).toEqual(['join', 'enableMic', 'enableCamera']);
  });

  it('does not wait in an empty room', async () => {
    const started = Date.now();
    await expect(call.join(request)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(FIRST_CONSUMER_WAIT_MS);
    expect(call.roomReady()).toBe(true);
    expect(session.calls).toEqual(['join', 'enableMic', 'enableCamera']);
  });

  it('waits at most FIRST_CONSUMER_WAIT_MS for a first consumer that does not come', async () => {
    session.remotePeers.set([BOB]);
    const started = Date.now();
    await call.join(request);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FIRST_CONSUMER_WAIT_MS - 5);
    expect(call.roomReady()).toBe(true);
  });

  it('asks for the simulcast layer as soon as a consumer exists, counting the others still to come while joining', async () => {
    const peer = (id: string) => ({ ...BOB, id }) as RemotePeer;
    session.remotePeers.set([peer('a'), peer('b'), peer('c')]);
    const video = (id: string) => ({ ...consumer(id, 'video'), type: 'simulcast' }) as RemoteConsumer;
    const joined = call.join(request);
    await new Promise((r) => setTimeout(r, 5));
    session.consumersSubject.next([video('v1')]);
    // Three others: layer 1 from the first consumer on (not 2, then 1 once all arrived).
    expect(session.setConsumerPreferredLayers).toHaveBeenCalledWith('v1', { spatialLayer: 1, temporalLayer: 2 });
    session.consumersSubject.next([video('v1'), video('v2'), video('v3')]);
    await joined;
    expect(session.setConsumerPreferredLayers.mock.calls.map((c) => (c as unknown[])[0])).toEqual(['v1', 'v2', 'v3']);
    // In the room, the cameras count: two left, so layer 2.
    session.consumersSubject.next([video('v1'), video('v2')]);
    expect(session.setConsumerPreferredLayers).toHaveBeenLastCalledWith('v2', { spatialLayer: 2, temporalLayer: 2 });
  });

  it('leaves the room screen when the session ends', async () => {
    await call.join(request);
    expect(call.roomReady()).toBe(true);
    await call.leave();
    expect(call.roomReady()).toBe(false);
  });
});
