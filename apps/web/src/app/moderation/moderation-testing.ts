import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MediaSession, type Expulsion, type RecordingStatus, type RemotePeer } from '@confer/media';
import { CallService } from '../shared/call.service';
import type { LobbyEntry, Permissions, Role, RoomSettings } from '@confer/signaling-contracts';

export const ALL_PERMISSIONS: Permissions = { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true };

/** A stand-in for MediaSession's moderation signals and methods (the methods resolve at once). */
export function fakeModerationSession() {
  const ok = () => jest.fn(async () => ({ affected: 1 }));
  return {
    role: signal<Role | null>('host'),
    isModerator: signal(true),
    permissions: signal<Permissions | null>(ALL_PERMISSIONS),
    roomSettings: signal<RoomSettings | null>({ lobby: false, locked: false, capacity: 50, participantPermissions: ALL_PERMISSIONS, recording: 'allowed', recordingConsent: false }),
    lobby: signal<LobbyEntry[]>([]),
    waiting: signal(false),
    expelled: signal<Expulsion | null>(null),
    remotePeers: signal<RemotePeer[]>([]),
    mediaAvailable: signal(true),
    recording: signal<RecordingStatus | null>(null),
    startRecording: jest.fn(async () => undefined),
    stopRecording: jest.fn(async () => undefined),
    acknowledgeRecording: jest.fn(async () => ({ recorded: true })),
    admit: ok(),
    admitAll: ok(),
    deny: ok(),
    denyAll: ok(),
    muteParticipant: ok(),
    muteAll: ok(),
    setPermissions: ok(),
    setRole: ok(),
    removeParticipant: ok(),
    endMeeting: ok(),
    updateRoomSettings: jest.fn(async (patch: Partial<RoomSettings>) => ({ lobby: false, locked: false, capacity: 50, participantPermissions: ALL_PERMISSIONS, ...patch })),
  };
}

/** A stand-in for CallService: runs actions, records notices. */
export function fakeCall() {
  return {
    roomId: signal('team-1'),
    displayName: signal('Ada'),
    notices: signal([]),
    attempt: jest.fn(async (action: () => Promise<unknown>) => {
      await action();
    }),
    notify: jest.fn(),
  };
}

/** Configures TestBed with a fake session and call service; returns the session to drive and inspect. */
export function provideFakeModeration(): FakeModerationSession {
  const session = fakeModerationSession();
  TestBed.configureTestingModule({
    providers: [
      { provide: MediaSession, useValue: session },
      { provide: CallService, useValue: fakeCall() },
    ],
  });
  return session;
}

export type FakeModerationSession = ReturnType<typeof fakeModerationSession>;

/** Clicks the button whose accessible name (aria-label, else text) is `name`. */
export function clickButton(root: HTMLElement, name: string): void {
  const button = [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name);
  if (!button) throw new Error(`no button "${name}"`);
  button.click();
}
