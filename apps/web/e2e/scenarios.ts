/**
 * Browser scenarios. UI-level ones (join, peers, chat, files, errors) run against
 * any server; media ones need a real mediasoup worker and are skipped without.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import {
  ARTIFACTS,
  E2E_RESUME_GRACE_MS,
  E2E_SHUTDOWN_DRAIN_MS,
  eventually,
  join,
  leaveAll,
  log,
  mediasoupWorkerPids,
  newContext,
  startApi,
  type Participant,
  type Results,
} from './harness';

import { WORKER_RECOVERY_BUDGET_MS, watchMediaComeBack, mediaBackAt, inboundAudioBytes, videoPlaying, openConnections, iceRestartedAndFlowing, workerServing, peerListed } from './page-probes';

export interface ScenarioContext {
  browser: Browser;
  baseUrl: string;
  results: Results;
  /** Null when media scenarios can run; otherwise why not. */
  mediaSkip: string | null;
  mediaAvailable: boolean;
  /**
   * Stops the API (SIGTERM: graceful drain), runs `downtime`, starts it again on
   * the same port with the same JWT secret. Resolves with the old process's exit code.
   */
  restartApi: (downtime: () => Promise<void>) => Promise<number | null>;
  /** Pid of the running API process. */
  apiPid: () => number;
}

export async function runScenarios({ browser, baseUrl, results, mediaSkip, mediaAvailable, restartApi, apiPid }: ScenarioContext): Promise<void> {
  const room = `e2e-${randomBytes(3).toString('hex')}`;
  // Assigned inside scenario callbacks; `as` keeps TypeScript from narrowing them to null.
  let a = null as Participant | null;
  let b = null as Participant | null;
  let c = null as Participant | null;
  const pair = (): [Participant, Participant] => {
    if (!a || !b) throw new Error('the two-participant set-up failed earlier');
    return [a, b];
  };

  await results.run('join screen: name, room, camera preview, device pickers (screenshot)', null, async () => {
    const { context, page } = await newContext(browser, baseUrl);
    try {
      await page.goto('/');
      await page.getByTestId('join-button').waitFor();
      await page.getByTestId('display-name').fill('Ada');
      await eventually(() => page.evaluate(() => (document.querySelector('video')?.videoWidth ?? 0) > 0), 'camera preview did not play');
      await page.screenshot({ path: path.join(ARTIFACTS, 'join-screen.png') });
      const labels = await page.locator('button').evaluateAll((buttons) => buttons.filter((b) => !b.getAttribute('aria-label') && !b.textContent?.trim()).length);
      if (labels > 0) throw new Error(`${labels} unlabelled buttons`);
    } finally {
      await context.close();
    }
  });

  await results.run('two participants join one room and list each other', null, async () => {
    a = await join(browser, baseUrl, 'Alice', room);
    b = await join(browser, baseUrl, 'Bob', room);
    const [pa, pb] = pair();
    await eventually(() => peerListed(pa.page, pb.peerId), 'Alice does not list Bob');
    await eventually(() => peerListed(pb.page, pa.peerId), 'Bob does not list Alice');
    await pa.page.locator(`cf-tile[data-peer-id="${pb.peerId}"][data-source="webcam"]`).waitFor();
    if (!mediaAvailable) {
      const notice = await pa.page.getByTestId('notice').allTextContents();
      if (!notice.some((t) => t.includes('Media unavailable'))) throw new Error('no "media unavailable" message without a worker');
    }
    await pa.page.screenshot({ path: path.join(ARTIFACTS, 'room-two-participants.png') });
    // Phone width: the side panel stacks below the grid and every control stays reachable.
    await pb.page.setViewportSize({ width: 390, height: 844 });
    await pb.page.screenshot({ path: path.join(ARTIFACTS, 'room-phone-width.png'), fullPage: true });
    const overflow = await pb.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    if (overflow) throw new Error('the room overflows horizontally at phone width');
    await pb.page.setViewportSize({ width: 1280, height: 800 });
  });

  await results.run('media: each sees the other\'s video playing (videoWidth > 0, currentTime advancing)', mediaSkip, async () => {
    const [pa, pb] = pair();
    await eventually(() => videoPlaying(pa.page, pb.peerId, 'webcam'), 'Alice does not see Bob\'s video playing', 20_000);
    await eventually(() => videoPlaying(pb.page, pa.peerId, 'webcam'), 'Bob does not see Alice\'s video playing', 20_000);
    await pa.page.screenshot({ path: path.join(ARTIFACTS, 'room-two-participants.png') });
  });

  await results.run('media: each hears the other (inbound audio bytes grow)', mediaSkip, async () => {
    for (const p of pair()) {
      const before = await inboundAudioBytes(p.page);
      await eventually(async () => (await inboundAudioBytes(p.page)) > before + 1000, `${p.name}'s inbound audio bytes do not grow`);
    }
  });

  await results.run('media: mute stops the other side\'s inbound audio bytes; unmute restarts them', mediaSkip, async () => {
    const [pa, pb] = pair();
    await pa.page.getByTestId('toggle-mic').click();
    await pa.page.locator('[data-testid="toggle-mic"][aria-pressed="false"]').waitFor();
    await pb.page.locator(`cf-tile[data-peer-id="${pa.peerId}"] [data-testid="mic-muted"]`).waitFor();
    await pb.page.waitForTimeout(1000); // packets in flight drain
    const x = await inboundAudioBytes(pb.page);
    await pb.page.waitForTimeout(1500);
    const y = await inboundAudioBytes(pb.page);
    if (y - x > 500) throw new Error(`Bob still receives audio after Alice muted (${y - x} bytes in 1.5 s)`);
    await pa.page.getByTestId('toggle-mic').click();
    await eventually(async () => (await inboundAudioBytes(pb.page)) > y + 1000, 'audio did not come back after unmute');
  });

  await results.run('media: screen share appears as a separate tile and plays', mediaSkip, async () => {
    const [pa, pb] = pair();
    await pa.page.getByTestId('toggle-screen').click();
    await pb.page.locator(`cf-tile[data-peer-id="${pa.peerId}"][data-source="screen"]`).waitFor();
    await eventually(() => videoPlaying(pb.page, pa.peerId, 'screen'), 'the screen share does not play for Bob', 20_000);
    if (!(await videoPlaying(pb.page, pa.peerId, 'webcam'))) throw new Error('Alice\'s camera tile stopped while sharing');
    await pa.page.getByTestId('toggle-screen').click();
    await eventually(async () => (await pb.page.locator(`cf-tile[data-peer-id="${pa.peerId}"][data-source="screen"]`).count()) === 0, 'screen tile not removed after stop');
  });

  await results.run(`worker death: SIGKILL of the room's mediasoup worker → video frames decoded and audio received again on both sides in < ${WORKER_RECOVERY_BUDGET_MS} ms (two kills, target on the better round); a room on the other worker is untouched`, mediaSkip, async () => {
    const [pa, pb] = pair();
    const pid = apiPid();
    const figures: number[] = [];
    let untouchedChecks = 0;
    // A second room, audio only: placement puts it on the other worker (fewest routers first).
    const dave = await join(browser, baseUrl, 'Dave', `${room}-other`, { camera: false });
    try {
      for (let round = 1; round <= 2; round++) {
        await eventually(() => videoPlaying(pb.page, pa.peerId, 'webcam'), 'Bob does not see Alice before the kill', 20_000);
        await eventually(() => videoPlaying(pa.page, pb.peerId, 'webcam'), 'Alice does not see Bob before the kill', 20_000);
        let workers: number[] = [];
        await eventually(async () => (workers = mediasoupWorkerPids(pid)).length === 2, `the API (pid ${pid}) does not run its two mediasoup workers`);
        const hosting = await workerServing(pa.page, workers);
        const davesWorker = await workerServing(dave.page, workers);
        const daveBefore = await openConnections(dave.page);
        await Promise.all([watchMediaComeBack(pa.page), watchMediaComeBack(pb.page), watchMediaComeBack(dave.page)]);
        const killedAt = Date.now();
        process.kill(hosting, 'SIGKILL');
        let back: { at: number | null; banner: boolean }[] = [];
        await eventually(
          async () => {
            back = await Promise.all([mediaBackAt(pa.page), mediaBackAt(pb.page)]);
            return back.every((b) => b.at !== null);
          },
          `media did not come back on both sides within 15 s of killing worker ${hosting}`,
          15_000,
        );
        const [alice, bob] = back.map((b) => (b.at ?? 0) - killedAt);
        const ms = Math.max(alice, bob);
        figures.push(ms);
        log(`  worker SIGKILL (pid ${hosting}) → media again in ${ms} ms (Alice ${alice} ms, Bob ${bob} ms; round ${round})`);
        try {
          process.kill(pid, 0);
        } catch {
          throw new Error('the API process died with its worker');
        }
        await eventually(async () => {
          const now = mediasoupWorkerPids(pid);
          return now.length === workers.length && !now.includes(hosting);
        }, `no replacement worker for ${hosting} (workers now: ${mediasoupWorkerPids(pid).join(',') || 'none'})`, 5000);
        for (const other of workers.filter((w) => w !== hosting)) {
          try {
            process.kill(other, 0);
          } catch {
            throw new Error(`worker ${other}, which did not host the room, died too`);
          }
        }
        if (!back.every((b) => b.banner)) throw new Error('the "reconnecting media" banner did not show on both sides');
        if (ms >= WORKER_RECOVERY_BUDGET_MS) log(`  round ${round}: over the ${WORKER_RECOVERY_BUDGET_MS} ms target`);
        if (davesWorker !== hosting) {
          // The other room kept its transports (same connections, same ICE) and never showed the banner.
          const daveAfter = await openConnections(dave.page);
          const daveBanner = (await mediaBackAt(dave.page)).banner;
          if (daveAfter.total !== daveBefore.total || daveAfter.ufrags.join() !== daveBefore.ufrags.join() || daveBanner) {
            throw new Error(`the room on worker ${davesWorker} was disturbed by the death of worker ${hosting}`);
          }
          untouchedChecks++;
        } else {
          log(`  (round ${round}: the other room had moved to the same worker, so it was reset too)`);
        }
        for (const p of [pa, pb, dave]) await p.page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
      }
    } finally {
      await dave.context.close();
    }
    if (untouchedChecks === 0) throw new Error('the other room never ran on another worker than the killed one');
    log(`  worker SIGKILL → media again: ${figures.map((f) => `${f} ms`).join(', ')}`);
    // The target is checked on the better of two rounds: one round can be slowed by
    // an unrelated load spike on a 2-core machine; both over target is a regression.
    if (Math.min(...figures) >= WORKER_RECOVERY_BUDGET_MS) {
      throw new Error(`media came back in ${figures.join(' and ')} ms: both rounds over the ${WORKER_RECOVERY_BUDGET_MS} ms target`);
    }
  });

  await results.run('signaling drop: the socket comes back within the grace period, the session resumes with the same transports, ICE restarts on both, media keeps flowing', mediaSkip, async () => {
    const [pa, pb] = pair();
    const before = await openConnections(pa.page);
    // An abnormal close (not 1000/1001), as when the network drops: the server keeps the peer for RESUME_GRACE_MS.
    await pa.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)?.close(4000, 'e2e: network drop'));
    await iceRestartedAndFlowing(pa, pb, before);
    await pa.page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
    const sockets = await pa.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length);
    if (sockets < 2) throw new Error('the signaling socket was not re-opened');
  });

  await results.run(`signaling drop past the grace period (${E2E_RESUME_GRACE_MS} ms): the others see the peer leave; when the network is back it re-joins with a new session and media flows again`, mediaSkip, async () => {
    const [pa, pb] = pair();
    const started = Date.now();
    await pa.page.evaluate(() => {
      const w = window as unknown as { __sockets: WebSocket[]; __blockSockets: boolean };
      w.__blockSockets = true;
      w.__sockets.at(-1)?.close(4000, 'e2e: network down');
    });
    try {
      await eventually(async () => !(await peerListed(pb.page, pa.peerId)), 'Bob still lists Alice after the grace period', E2E_RESUME_GRACE_MS + 8000);
      const gone = Date.now() - started;
      if (gone < E2E_RESUME_GRACE_MS - 300) throw new Error(`Alice was dropped after ${gone} ms, before the ${E2E_RESUME_GRACE_MS} ms grace`);
    } finally {
      await pa.page.evaluate(() => ((window as unknown as { __blockSockets: boolean }).__blockSockets = false));
    }
    await pa.page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor({ timeout: 20_000 });
    await eventually(() => peerListed(pb.page, pa.peerId), 'Bob does not list Alice after she came back', 20_000);
    await eventually(() => videoPlaying(pb.page, pa.peerId, 'webcam'), 'Bob does not see Alice\'s video after she came back', 20_000);
    await eventually(() => videoPlaying(pa.page, pb.peerId, 'webcam'), 'Alice does not see Bob\'s video after she came back', 20_000);
  });

  await results.run('network change: an "online" event restarts ICE on both transports (server restartIce + transport.restartIce), media keeps flowing', mediaSkip, async () => {
    const [pa, pb] = pair();
    const before = await openConnections(pb.page);
    await pb.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await iceRestartedAndFlowing(pb, pa, before);
  });

  await results.run('chat: a message arrives intact', null, async () => {
    const [pa, pb] = pair();
    const text = `Hello Bob — “quotes”, ünïcödé, emoji 🎉 ${randomBytes(4).toString('hex')}`;
    await pa.page.getByTestId('chat-input').fill(text);
    await pa.page.getByTestId('chat-send').click();
    await eventually(async () => (await pb.page.getByTestId('chat-message').allTextContents()).some((t) => t.includes(text)), 'Bob did not get the message');
    await eventually(async () => (await pa.page.getByTestId('chat-message').allTextContents()).some((t) => t.includes(text)), 'Alice does not see her own message');
  });

  await results.run('file transfer: a small file arrives intact (SHA-256 verified on both ends)', null, async () => {
    const [pa, pb] = pair();
    const content = randomBytes(150 * 1024);
    const sha = createHash('sha256').update(content).digest('hex');
    await pa.page.getByTestId('file-recipient').selectOption(pb.peerId);
    await pa.page.getByTestId('file-input').setInputFiles({ name: 'sample.bin', mimeType: 'application/octet-stream', buffer: content });
    await pa.page.getByTestId('file-send').click();
    await pb.page.locator('[data-testid="transfer"][data-direction="incoming"][data-status="offered"]').waitFor();
    await pb.page.getByTestId('file-accept').click();
    const link = pb.page.getByTestId('file-download');
    await link.waitFor();
    await pa.page.locator('[data-testid="transfer"][data-direction="outgoing"][data-status="completed"]').waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    const received = await pb.page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      const digest = await crypto.subtle.digest('SHA-256', bytes);
      return { size: bytes.byteLength, sha: Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('') };
    }, href);
    if (received.size !== content.length || received.sha !== sha) throw new Error(`file differs: ${received.size} bytes, sha ${received.sha}`);
  });

  await results.run('three participants: everyone lists the other two', null, async () => {
    const [pa, pb] = pair();
    c = await join(browser, baseUrl, 'Carol', room);
    const pc = c;
    for (const [viewer, others] of [
      [pa, [pb, pc]],
      [pb, [pa, pc]],
      [pc, [pa, pb]],
    ] as const) {
      for (const other of others) await eventually(() => peerListed(viewer.page, other.peerId), `${viewer.name} does not list ${other.name}`);
    }
  });

  await results.run('media: three participants each see two remote videos playing', mediaSkip, async () => {
    const [pa, pb] = pair();
    if (!c) throw new Error('Carol did not join');
    const all = [pa, pb, c];
    for (const viewer of all) {
      for (const other of all.filter((p) => p !== viewer)) {
        await eventually(() => videoPlaying(viewer.page, other.peerId, 'webcam'), `${viewer.name} does not see ${other.name}'s video`, 20_000);
      }
    }
  });

  await results.run('leaving removes the participant and their tile for the others', null, async () => {
    const [pa, pb] = pair();
    if (!c) throw new Error('Carol did not join');
    const gone = c;
    await gone.page.getByTestId('leave').click();
    await gone.page.getByTestId('join-screen').waitFor();
    for (const viewer of [pa, pb]) {
      await eventually(
        async () => !(await peerListed(viewer.page, gone.peerId)) && (await viewer.page.locator(`cf-tile[data-peer-id="${gone.peerId}"]`).count()) === 0,
        `${viewer.name} still shows Carol`,
      );
    }
  });

  await results.run('reconnection: the reconnecting state shows, a message sent meanwhile is queued, the session re-joins after a server restart', null, async () => {
    const [pa, pb] = pair();
    const text = `sent while offline ${randomBytes(3).toString('hex')}`;
    const drainStarted = Date.now();
    const exitCode = await restartApi(async () => {
      // SIGTERM drains: serverShutdown (the notice) first, the sockets close after the drain time.
      const notices = await pa.page.getByTestId('notice').allTextContents();
      if (!notices.some((t) => t.includes('The server is restarting'))) throw new Error(`no server-restart notice (notices: ${notices.join(' | ') || 'none'})`);
      const drained = Date.now() - drainStarted;
      if (drained < E2E_SHUTDOWN_DRAIN_MS - 200) throw new Error(`the API exited after ${drained} ms, before its ${E2E_SHUTDOWN_DRAIN_MS} ms drain`);
      await pa.page.getByTestId('reconnecting').waitFor();
      await pa.page.getByTestId('chat-input').fill(text);
      await pa.page.getByTestId('chat-send').click();
      await pa.page.screenshot({ path: path.join(ARTIFACTS, 'room-reconnecting.png') });
    });
    if (exitCode !== 0) throw new Error(`the API exited with ${exitCode} after SIGTERM (expected 0 after the drain)`);
    for (const p of [pa, pb]) await p.page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor({ timeout: 30_000 });
    await eventually(() => peerListed(pa.page, pb.peerId), 'Alice does not list Bob after the restart', 20_000);
    await eventually(() => peerListed(pb.page, pa.peerId), 'Bob does not list Alice after the restart', 20_000);
    await eventually(async () => (await pa.page.getByTestId('chat-message').allTextContents()).some((t) => t.includes(text)), 'the queued message was not delivered');
    if (!mediaSkip) {
      await eventually(() => videoPlaying(pb.page, pa.peerId, 'webcam'), 'Alice\'s video did not come back for Bob', 20_000);
    }
  });

  await results.run('errors: a refused token is explained', null, async () => {
    const { context, page } = await newContext(browser, baseUrl);
    try {
      await page.goto('/#token=not-a-valid-token');
      if ((await page.evaluate(() => location.href)).includes('token')) throw new Error('the token stayed in the URL');
      await page.getByTestId('display-name').fill('Mallory');
      await page.getByTestId('room-id').fill(room);
      await page.getByTestId('join-button').click();
      await eventually(async () => (await page.getByTestId('join-error').allTextContents()).some((t) => /refused/i.test(t)), 'no "token refused" message');
    } finally {
      await context.close();
    }
  });

  await results.run('errors: denied camera/microphone is explained', null, async () => {
    const deny = `navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));`;
    const { context, page } = await newContext(browser, baseUrl, deny);
    try {
      await page.goto('/');
      const text = await page.getByTestId('preview-error').textContent();
      if (!text || !/denied/i.test(text)) throw new Error(`unexpected message: ${text}`);
    } finally {
      await context.close();
    }
  });

  await results.run('join screen: while the browser waits for camera/microphone permission, it says so (not a black box); no console errors', null, async () => {
    // The permission prompt left open: getUserMedia neither resolves nor rejects.
    const pending = `navigator.mediaDevices.getUserMedia = () => new Promise(() => undefined);`;
    const { context, page } = await newContext(browser, baseUrl, pending);
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /pattern attribute/i.test(m.text())) consoleErrors.push(m.text());
    });
    try {
      await page.goto('/');
      const status = page.getByTestId('preview-status');
      await status.and(page.locator('[data-state="waiting"]')).waitFor({ timeout: 6000 });
      const text = (await status.textContent()) ?? '';
      if (!/allow access to your camera and microphone/i.test(text)) throw new Error(`unexpected preview text: ${text}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'join-waiting-permission.png') });
      // Turning the camera off while the prompt is open: the preview says so, and joining stays possible.
      await page.getByTestId('camera-on').uncheck();
      await page.getByTestId('display-name').fill('Ada');
      if (await page.getByTestId('join-button').isDisabled()) throw new Error('join disabled while the permission prompt is open');
      // The room field's pattern compiles under the "v" flag (the browser logs and ignores an invalid one).
      await page.getByTestId('room-id').fill('bad room!');
      if (await page.getByTestId('room-id').evaluate((el) => (el as HTMLInputElement).validity.patternMismatch) !== true) throw new Error('room pattern not applied by the browser');
      if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
    } finally {
      await context.close();
    }
  });

  await results.run('join screen on a production server (no dev tokens) without a token: says to open Confer from the portal; the preview still starts', null, async () => {
    const prod = await startApi({ devTokens: false });
    const { context, page } = await newContext(browser, prod.baseUrl);
    try {
      await page.goto('/');
      const alert = await page.getByTestId('no-token').textContent({ timeout: 6000 });
      if (!/open Confer from your company portal/.test(alert ?? '')) throw new Error(`unexpected notice: ${alert}`);
      await eventually(() => page.evaluate(() => (document.querySelector('video')?.videoWidth ?? 0) > 0), 'camera preview did not play');
      await page.screenshot({ path: path.join(ARTIFACTS, 'join-no-token.png') });
    } finally {
      await context.close();
      await prod.stop();
    }
  });

  const remaining = [a, b, c].filter((p): p is Participant => p !== null);
  await leaveAll(remaining);
  log(`room ${room} done`);
}
