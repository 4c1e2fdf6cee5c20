import { TestBed } from '@angular/core/testing';
import type { RemotePeer } from '@confer/media';
import { clickButton, provideFakeModeration, type FakeModerationSession } from './moderation-testing';
import { ParticipantMenuComponent } from './participant-menu.component';

const BOB: RemotePeer = { id: 'bob', displayName: 'Bob', device: { flag: 'chrome', name: 'Chrome' }, role: 'participant' };

describe('ParticipantMenuComponent', () => {
  let session: FakeModerationSession;

  beforeEach(() => {
    session = provideFakeModeration();
  });

  async function open(peer: RemotePeer) {
    const fixture = TestBed.createComponent(ParticipantMenuComponent);
    fixture.componentRef.setInput('peer', peer);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const choose = async (name: string) => {
      clickButton(el, `Manage ${peer.displayName}`);
      await fixture.whenStable();
      clickButton(el, name);
      await fixture.whenStable();
    };
    return { el, fixture, choose };
  }

  it('is a labelled menu button that opens a menu of actions', async () => {
    const { el, fixture } = await open(BOB);
    const trigger = el.querySelector('[data-testid="participant-menu"]');
    expect(trigger?.getAttribute('aria-label')).toBe('Manage Bob');
    expect(trigger?.getAttribute('aria-expanded')).toBe('false');
    clickButton(el, 'Manage Bob');
    await fixture.whenStable();
    expect(el.querySelector('[role="menu"]')?.getAttribute('aria-label')).toBe('Actions for Bob');
    expect([...el.querySelectorAll('[role="menuitem"]')].map((b) => b.textContent?.trim())).toEqual([
      'Mute microphone',
      'Stop camera',
      'Stop screen share',
      'Allow to unmute',
      'Allow camera',
      'Make moderator',
      'Remove from meeting',
    ]);
  });

  it('mutes, stops, allows and promotes through the session, closing the menu', async () => {
    const { el, choose } = await open(BOB);
    await choose('Mute microphone');
    await choose('Stop camera');
    await choose('Stop screen share');
    await choose('Allow to unmute');
    await choose('Allow camera');
    await choose('Make moderator');
    expect(session.muteParticipant.mock.calls).toEqual([
      ['bob', 'mic'],
      ['bob', 'webcam'],
      ['bob', 'screen'],
    ]);
    expect(session.setPermissions.mock.calls).toEqual([
      ['bob', { publishAudio: true }],
      ['bob', { publishVideo: true }],
    ]);
    expect(session.setRole).toHaveBeenCalledWith('bob', 'moderator');
    expect(el.querySelector('[role="menu"]')).toBeNull();
  });

  it('removes with the reason typed in', async () => {
    const { el, fixture, choose } = await open(BOB);
    await choose('Remove from meeting');
    const input = el.querySelector<HTMLInputElement>('[data-testid="remove-reason"]');
    expect(input?.getAttribute('aria-label')).toBe('Reason for removing Bob');
    if (!input) throw new Error('no reason field');
    input.value = 'off topic';
    input.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    clickButton(el, 'Remove');
    await fixture.whenStable();
    expect(session.removeParticipant).toHaveBeenCalledWith('bob', 'off topic');
  });

  it('offers demotion for moderators and no role change or removal for hosts', async () => {
    const mod = await open({ ...BOB, role: 'moderator' });
    clickButton(mod.el, 'Manage Bob');
    await mod.fixture.whenStable();
    expect(mod.el.textContent).toContain('Remove moderator role');
    const host = await open({ ...BOB, role: 'host' });
    clickButton(host.el, 'Manage Bob');
    await host.fixture.whenStable();
    expect(host.el.textContent).not.toContain('Make moderator');
    expect(host.el.textContent).not.toContain('Remove from meeting');
  });
});
