import { TestBed } from '@angular/core/testing';
import { MEDIA_DEVICES, MediaSession, type MediaDevicesLike } from '@confer/media';
import { SignalingError } from '@confer/signaling-contracts';
import { AppComponent } from './app.component';
import { describeError } from './shared/call.service';
import { TokenService } from './shared/token.service';

function fakeDevices(getUserMedia: MediaDevicesLike['getUserMedia']): MediaDevicesLike {
  return { getUserMedia, getDisplayMedia: jest.fn(), enumerateDevices: jest.fn(async () => []) };
}

describe('AppComponent', () => {
  it('shows the join screen with labelled fields and a join button', async () => {
    TestBed.configureTestingModule({ providers: [{ provide: MEDIA_DEVICES, useValue: fakeDevices(jest.fn(() => new Promise<MediaStream>(() => undefined))) }] });
    const fixture = TestBed.createComponent(AppComponent);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('h1')?.textContent).toContain('Join a meeting');
    expect(el.querySelector('[data-testid="join-button"]')?.getAttribute('aria-label')).toBe('Join the meeting');
    expect(TestBed.inject(MediaSession).state()).toBe('idle');
  });

  it('explains a denied camera on the join screen', async () => {
    const denied = jest.fn(async () => {
      throw Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' });
    });
    TestBed.configureTestingModule({ providers: [{ provide: MEDIA_DEVICES, useValue: fakeDevices(denied) }] });
    const fixture = TestBed.createComponent(AppComponent);
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r, 0));
    await fixture.whenStable();
    const error = (fixture.nativeElement as HTMLElement).querySelector('[data-testid="preview-error"]');
    expect(error?.textContent).toContain('was denied');
  });

  it('disables join for an invalid room id', async () => {
    TestBed.configureTestingModule({ providers: [{ provide: MEDIA_DEVICES, useValue: fakeDevices(jest.fn(() => new Promise<MediaStream>(() => undefined))) }] });
    const fixture = TestBed.createComponent(AppComponent);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const name = el.querySelector<HTMLInputElement>('[data-testid="display-name"]');
    const room = el.querySelector<HTMLInputElement>('[data-testid="room-id"]');
    if (!name || !room) throw new Error('inputs missing');
    name.value = 'Ada';
    name.dispatchEvent(new Event('input'));
    room.value = 'bad room!';
    room.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(el.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.disabled).toBe(true);
    room.value = 'team-1';
    room.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(el.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.disabled).toBe(false);
  });
});

describe('describeError', () => {
  it('turns wire errors into sentences', () => {
    expect(describeError(new SignalingError('unauthenticated', 'token expired'))).toContain('token was refused');
    expect(describeError(new SignalingError('media_unavailable', 'no worker'))).toContain('Media unavailable');
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});

describe('TokenService', () => {
  afterEach(() => history.replaceState(null, '', '/'));

  it('takes the token from the URL fragment and removes it from the address bar', async () => {
    history.replaceState(null, '', '/?x=1#token=abc.def&room=team-1&name=Ada');
    const tokens = TestBed.inject(TokenService);
    expect(tokens.hasHandedOverToken).toBe(true);
    expect(tokens.suggestions).toEqual({ room: 'team-1', name: 'Ada' });
    expect(location.hash).toBe('');
    expect(location.search).toBe('?x=1');
    await expect(tokens.token('Ada', 'team-1')).resolves.toBe('abc.def');
  });

  it('asks the development endpoint for the picked role, and keeps the token per name, room and role (one identity)', async () => {
    const original = globalThis.fetch;
    let n = 0;
    const fetchMock = jest.fn(async () => ({ ok: true, status: 200, json: async () => ({ token: `dev-${++n}` }) }) as unknown as Response);
    globalThis.fetch = fetchMock;
    try {
      const tokens = TestBed.inject(TokenService);
      await expect(tokens.token('Ada', 'team-1', 'participant')).resolves.toBe('dev-1');
      expect(JSON.parse((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body as string)).toEqual({ displayName: 'Ada', roomId: 'team-1', role: 'participant' });
      await expect(tokens.token('Ada', 'team-1', 'participant')).resolves.toBe('dev-1');
      await expect(tokens.token('Ada', 'team-1')).resolves.toBe('dev-2');
      expect(fetchMock).toHaveBeenCalledTimes(2);
    } finally {
      globalThis.fetch = original;
    }
  });

  it('accepts a postMessage hand-over from its own origin only', async () => {
    const tokens = TestBed.inject(TokenService);
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'confer:token', token: 'evil' }, origin: 'https://evil.example' }));
    expect(tokens.hasHandedOverToken).toBe(false);
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'confer:token', token: 'good' }, origin: location.origin }));
    await expect(tokens.token('Ada', 'r')).resolves.toBe('good');
  });
});
