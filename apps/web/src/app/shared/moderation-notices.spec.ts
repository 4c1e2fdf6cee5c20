import { ExpelledError, PermissionDeniedError, type ModeratorAction } from '@confer/media';
import { describeError } from './call.service';
import { expulsionNotice, moderatorActionNotice } from './moderation-notices';

const ALL = { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true };

describe('moderation notices', () => {
  it('say who muted or stopped what', () => {
    expect(moderatorActionNotice({ type: 'muted', source: 'mic', by: 'Hana' })).toBe('You were muted by Hana.');
    expect(moderatorActionNotice({ type: 'muted', source: 'webcam', by: 'Hana' })).toBe('Hana stopped your camera.');
    expect(moderatorActionNotice({ type: 'stopped', source: 'screen', by: null })).toBe('A host stopped your screen share.');
  });

  it('a mute and the permission it takes away say the same; granted permissions and role changes are told', () => {
    const base: ModeratorAction = { type: 'permissionsChanged', role: 'participant', previousRole: 'participant', permissions: ALL, granted: [], revoked: [], by: 'Hana' };
    expect(moderatorActionNotice({ ...base, revoked: ['publishAudio'] })).toBe('You were muted by Hana.');
    expect(moderatorActionNotice({ ...base, granted: ['publishAudio'] })).toBe('Hana allowed you to unmute.');
    expect(moderatorActionNotice({ ...base, role: 'moderator' })).toBe('Hana made you a moderator.');
    expect(moderatorActionNotice(base)).toBeNull();
  });

  it('explain being out of the meeting', () => {
    expect(expulsionNotice({ kind: 'removed', reason: 'spam', by: 'Hana' })).toBe('You were removed from the meeting: spam');
    expect(expulsionNotice({ kind: 'ended', reason: 'the meeting was ended', by: 'Hana' })).toBe('The meeting was ended by Hana.');
    expect(expulsionNotice({ kind: 'denied', reason: 'private', by: null })).toBe('You were not let in to the meeting: private');
    expect(describeError(new ExpelledError('removed', 'spam', 'Hana'))).toBe('You were removed from the meeting: spam');
    expect(describeError(new PermissionDeniedError('publishAudio', 'x'))).toContain('A moderator muted you');
  });
});
