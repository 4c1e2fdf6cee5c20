import type { Type } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { LobbyPanelComponent } from './lobby-panel.component';
import { MeetingControlsComponent } from './meeting-controls.component';
import { clickButton, provideFakeModeration, type FakeModerationSession } from './moderation-testing';
import { WaitingRoomComponent } from './waiting-room.component';

describe('moderation panels', () => {
  let session: FakeModerationSession;

  beforeEach(() => {
    session = provideFakeModeration();
  });

  async function render<T>(component: Type<T>): Promise<{ el: HTMLElement; instance: T; stable: () => Promise<void> }> {
    const fixture = TestBed.createComponent(component);
    await fixture.whenStable();
    return { el: fixture.nativeElement as HTMLElement, instance: fixture.componentInstance, stable: () => fixture.whenStable() };
  }

  describe('WaitingRoomComponent', () => {
    it('says it waits for a host, lists nobody, and has a Leave button', async () => {
      const { el, instance } = await render(WaitingRoomComponent);
      const left = jest.fn();
      instance.leave.subscribe(left);
      expect(el.querySelector('h1')?.textContent).toBe('Waiting for a host to let you in');
      expect(el.querySelector('[role="status"]')?.textContent).toContain('team-1');
      expect(el.querySelector('[data-testid="peer"]')).toBeNull();
      clickButton(el, 'Leave');
      expect(left).toHaveBeenCalled();
    });
  });

  describe('LobbyPanelComponent', () => {
    it('lists who waits, with Admit and Deny for each and Admit all', async () => {
      session.lobby.set([
        { peerId: 'p1', displayName: 'Carol', since: 1 },
        { peerId: 'p2', displayName: 'Dave', since: 2 },
      ]);
      const { el } = await render(LobbyPanelComponent);
      expect(el.querySelector('h2')?.textContent).toBe('Waiting room (2)');
      expect([...el.querySelectorAll('[data-testid="lobby-entry"]')].map((li) => li.getAttribute('data-peer-id'))).toEqual(['p1', 'p2']);
      clickButton(el, 'Admit Carol');
      clickButton(el, 'Deny Dave');
      clickButton(el, 'Admit all');
      await Promise.resolve();
      expect(session.admit).toHaveBeenCalledWith('p1');
      expect(session.deny).toHaveBeenCalledWith('p2');
      expect(session.admitAll).toHaveBeenCalled();
    });

    it('says when nobody waits', async () => {
      const { el } = await render(LobbyPanelComponent);
      expect(el.textContent).toContain('Nobody is waiting.');
    });
  });

  describe('MeetingControlsComponent', () => {
    it('mutes all, toggles the waiting room and the lock from the current settings', async () => {
      const { el, stable } = await render(MeetingControlsComponent);
      clickButton(el, 'Mute all');
      clickButton(el, 'Turn waiting room on');
      clickButton(el, 'Lock room');
      await Promise.resolve();
      expect(session.muteAll).toHaveBeenCalledWith('mic');
      expect(session.updateRoomSettings).toHaveBeenCalledWith({ lobby: true });
      expect(session.updateRoomSettings).toHaveBeenCalledWith({ locked: true });

      session.roomSettings.update((s) => s && { ...s, lobby: true, locked: true });
      await stable();
      expect(el.querySelector('[data-testid="toggle-lobby"]')?.getAttribute('aria-pressed')).toBe('true');
      clickButton(el, 'Unlock room');
      await Promise.resolve();
      expect(session.updateRoomSettings).toHaveBeenLastCalledWith({ locked: false });
    });

    it('ends the meeting only after the confirmation', async () => {
      const { el, stable } = await render(MeetingControlsComponent);
      clickButton(el, 'End meeting for all');
      await stable();
      expect(el.querySelector('[role="alertdialog"]')?.textContent).toContain('End the meeting for everyone?');
      clickButton(el, 'Cancel');
      await stable();
      expect(el.querySelector('[role="alertdialog"]')).toBeNull();
      expect(session.endMeeting).not.toHaveBeenCalled();

      clickButton(el, 'End meeting for all');
      await stable();
      clickButton(el, 'End meeting');
      await stable();
      expect(session.endMeeting).toHaveBeenCalledTimes(1);
      expect(el.querySelector('[role="alertdialog"]')).toBeNull();
    });
  });
});
