/**
 * Browser scenarios for meeting control (issue 12): the lobby, hard mute, removal
 * and ending the meeting, driven through the UI by a host and participants
 * (development tokens with `?role=participant`). Only the hard mute needs media.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, eventually, leaveAll, log, newContext, type Participant, type Results } from './harness';

export interface ModerationScenarioContext {
  browser: Browser;
  baseUrl: string;
  results: Results;
  /** Why media scenarios are skipped; null when a real worker runs. */
  mediaSkip: string | null;
}

type Arrival = 'joined' | 'waiting';

/** Opens the app as `role`, fills the join form, and waits until joined (or in the waiting room). */
export async function enter(
  browser: Browser,
  baseUrl: string,
  name: string,
  room: string,
  options: { role?: 'host' | 'participant'; arrival?: Arrival; mic?: boolean; camera?: boolean } = {},
): Promise<Participant> {
  const { context, page } = await newContext(browser, baseUrl);
  await page.goto(options.role === 'participant' ? '/?role=participant' : '/');
  await page.getByTestId('display-name').fill(name);
  await page.getByTestId('room-id').fill(room);
  if (options.camera === false) await page.getByTestId('camera-on').uncheck();
  if (options.mic === false) await page.getByTestId('mic-on').uncheck();
  await page.getByRole('button', { name: 'Join the meeting' }).click();
  if (options.arrival === 'waiting') {
    await page.getByRole('heading', { name: 'Waiting for a host to let you in' }).waitFor();
    return { name, context, page, peerId: '' };
  }
  await page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
  const peerId = (await page.locator('cf-tile[data-local="true"]').first().getAttribute('data-peer-id')) ?? '';
  return { name, context, page, peerId };
}

/** The join screen is back, showing an alert that matches `text`. */
async function backOnJoinScreen(page: Page, text: RegExp): Promise<void> {
  await page.getByTestId('join-screen').waitFor();
  await eventually(async () => (await page.getByTestId('join-error').allTextContents()).some((t) => text.test(t)), `no join-screen alert matching ${text}`);
}

/** The peer list row of `name` as another participant sees it. */
function peerRow(page: Page, name: string) {
  return page.getByTestId('peer').filter({ hasText: name });
}

async function chooseFromMenu(host: Page, name: string, action: string): Promise<void> {
  await host.getByRole('button', { name: `Manage ${name}` }).click();
  await host.getByRole('menuitem', { name: action }).click();
}

export async function runModerationScenarios({ browser, baseUrl, results, mediaSkip }: ModerationScenarioContext): Promise<void> {
  const suffix = Date.now().toString(36);
  const open: Participant[] = [];
  const track = (p: Participant): Participant => (open.push(p), p);

  await results.run('lobby: a host turns the waiting room on; a participant waits (no participant list), is admitted and joins; another is denied and told why', null, async () => {
    const room = `lobby-${suffix}`;
    const host = track(await enter(browser, baseUrl, 'Hana Host', room, { camera: false, mic: false }));
    await host.page.getByRole('button', { name: 'Turn waiting room on' }).click();
    await host.page.locator('[data-testid="toggle-lobby"][aria-pressed="true"]').waitFor();

    const pat = track(await enter(browser, baseUrl, 'Pat Guest', room, { role: 'participant', arrival: 'waiting', camera: false, mic: false }));
    if (await pat.page.getByTestId('peer').count()) throw new Error('the waiting participant sees the participant list');
    await host.page.getByTestId('lobby-entry').filter({ hasText: 'Pat Guest' }).waitFor();
    await host.page.screenshot({ path: path.join(ARTIFACTS, 'moderation-lobby-host.png') });
    await pat.page.screenshot({ path: path.join(ARTIFACTS, 'moderation-lobby-waiting.png') });
    await host.page.getByRole('button', { name: 'Admit Pat Guest' }).click();
    await pat.page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
    await peerRow(pat.page, 'Hana Host').waitFor();
    await peerRow(host.page, 'Pat Guest').waitFor();
    await host.page.getByText('Nobody is waiting.').waitFor();

    const dan = track(await enter(browser, baseUrl, 'Dan Denied', room, { role: 'participant', arrival: 'waiting', camera: false, mic: false }));
    await host.page.getByRole('button', { name: 'Deny Dan Denied' }).click();
    await backOnJoinScreen(dan.page, /You were not let in to the meeting/);
    if (await peerRow(host.page, 'Dan Denied').count()) throw new Error('the denied participant is listed');

    // Leaving from the waiting room takes the entry off the host's list.
    const lea = track(await enter(browser, baseUrl, 'Lea Leaves', room, { role: 'participant', arrival: 'waiting', camera: false, mic: false }));
    await host.page.getByTestId('lobby-entry').filter({ hasText: 'Lea Leaves' }).waitFor();
    await lea.page.getByRole('button', { name: 'Leave' }).click();
    await lea.page.getByTestId('join-screen').waitFor();
    await host.page.getByText('Nobody is waiting.').waitFor();
    if (await lea.page.getByTestId('join-error').count()) throw new Error(`leaving the waiting room showed an error: ${await lea.page.getByTestId('join-error').allTextContents()}`);
  });

  await results.run('hard mute: the host mutes a participant, who cannot unmute (button disabled, the server keeps the producer paused); the host allows it and the participant unmutes', mediaSkip, async () => {
    const room = `mute-${suffix}`;
    const host = track(await enter(browser, baseUrl, 'Hana Host', room, { camera: false }));
    const pat = track(await enter(browser, baseUrl, 'Pat Guest', room, { role: 'participant', camera: false }));
    const patMic = pat.page.getByTestId('toggle-mic');
    await pat.page.getByRole('button', { name: 'Mute microphone' }).waitFor();
    await peerRow(host.page, 'Pat Guest').getByRole('img', { name: 'microphone on' }).waitFor();

    await chooseFromMenu(host.page, 'Pat Guest', 'Mute microphone');
    await pat.page.getByTestId('notice').filter({ hasText: 'You were muted by Hana Host.' }).waitFor();
    await eventually(async () => (await patMic.isDisabled()) && (await patMic.getAttribute('aria-label')) === 'Unmute microphone', 'the muted participant can still unmute');
    const tooltip = (await patMic.getAttribute('title')) ?? '';
    if (!/A moderator muted you/.test(tooltip)) throw new Error(`unexpected tooltip: ${tooltip}`);
    await peerRow(host.page, 'Pat Guest').getByRole('img', { name: 'microphone off' }).waitFor();
    await pat.page.screenshot({ path: path.join(ARTIFACTS, 'moderation-muted.png') });
    // A click on the disabled button does nothing, and the server keeps the producer paused.
    await patMic.click({ force: true }).catch(() => undefined);
    await host.page.waitForTimeout(1000);
    if (await peerRow(host.page, 'Pat Guest').getByRole('img', { name: 'microphone on' }).count()) throw new Error('the muted mic came back on');

    await chooseFromMenu(host.page, 'Pat Guest', 'Allow to unmute');
    await pat.page.getByTestId('notice').filter({ hasText: 'Hana Host allowed you to unmute.' }).waitFor();
    await eventually(async () => !(await patMic.isDisabled()), 'unmute stays disabled after the host allowed it');
    if ((await patMic.getAttribute('aria-pressed')) !== 'false') throw new Error('the SDK unmuted by itself');
    await patMic.click();
    await pat.page.getByRole('button', { name: 'Mute microphone' }).waitFor();
    await peerRow(host.page, 'Pat Guest').getByRole('img', { name: 'microphone on' }).waitFor();
  });

  await results.run('removal: the host removes a participant with a reason; the participant is told why and cannot join again', null, async () => {
    const room = `remove-${suffix}`;
    const host = track(await enter(browser, baseUrl, 'Hana Host', room, { camera: false, mic: false }));
    const pat = track(await enter(browser, baseUrl, 'Pat Guest', room, { role: 'participant', camera: false, mic: false }));
    await peerRow(host.page, 'Pat Guest').waitFor();
    await chooseFromMenu(host.page, 'Pat Guest', 'Remove from meeting');
    await host.page.getByRole('textbox', { name: 'Reason for removing Pat Guest' }).fill('off topic');
    await host.page.getByRole('button', { name: 'Remove', exact: true }).click();
    await backOnJoinScreen(pat.page, /You were removed from the meeting: off topic/);
    await eventually(async () => (await peerRow(host.page, 'Pat Guest').count()) === 0, 'the host still lists the removed participant');
    await pat.page.screenshot({ path: path.join(ARTIFACTS, 'moderation-removed.png') });

    if ((await pat.page.getByTestId('room-id').inputValue()) !== room) throw new Error('the join screen does not offer the same room again');
    await pat.page.getByRole('button', { name: 'Join the meeting' }).click();
    await backOnJoinScreen(pat.page, /removed from room/);
    if (await peerRow(host.page, 'Pat Guest').count()) throw new Error('the removed participant got back in');
  });

  await results.run('end meeting: after confirming, the host ends the meeting and everyone sees who ended it', null, async () => {
    const room = `end-${suffix}`;
    const host = track(await enter(browser, baseUrl, 'Hana Host', room, { camera: false, mic: false }));
    const pat = track(await enter(browser, baseUrl, 'Pat Guest', room, { role: 'participant', camera: false, mic: false }));
    const quinn = track(await enter(browser, baseUrl, 'Quinn Guest', room, { role: 'participant', camera: false, mic: false }));
    await peerRow(host.page, 'Quinn Guest').waitFor();
    await host.page.getByRole('button', { name: 'End meeting for all' }).click();
    await host.page.getByRole('alertdialog').waitFor();
    await host.page.getByRole('button', { name: 'End meeting', exact: true }).click();
    for (const p of [host, pat, quinn]) await backOnJoinScreen(p.page, /The meeting was ended by Hana Host\./);
  });

  await leaveAll(open);
  log('moderation scenarios done');
}
