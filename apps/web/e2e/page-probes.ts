/**
 * What the browser scenarios read from a page: media flowing, connections,
 * decoded frames, the worker serving a room, the peer list.
 */
import type { Page } from 'playwright-core';
import { eventually, pidOwningUdpPort, type Participant } from './harness';

/** Issue #5: media must flow again within this long after the worker died. */
export const WORKER_RECOVERY_BUDGET_MS = 3000;

/**
 * Starts watching, in the page, for media on RTCPeerConnections created from now
 * on: records `window.__mediaBackAt` (Date.now()) once a new connection has
 * decoded remote video frames (inbound-rtp framesDecoded > 0) and received audio
 * bytes, and `window.__sawMediaBanner` when the "reconnecting media" banner shows.
 * Polls every 40 ms (getStats is not free on a loaded machine), so the figure
 * is late by up to ~40 ms plus one getStats().
 */
export function watchMediaComeBack(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as { __pcs: RTCPeerConnection[]; __mediaBackAt: number | null; __sawMediaBanner: boolean };
    w.__mediaBackAt = null;
    w.__sawMediaBanner = false;
    const base = w.__pcs.length;
    const banner = new MutationObserver(() => {
      if (document.querySelector('[data-testid="reconnecting-media"]')) w.__sawMediaBanner = true;
    });
    banner.observe(document.body, { childList: true, subtree: true });
    let busy = false;
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        let frames = 0;
        let audio = 0;
        for (const pc of w.__pcs.slice(base).filter((p) => p.connectionState !== 'closed')) {
          (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number }) => {
            if (s.type !== 'inbound-rtp') return;
            if (s.kind === 'video') frames += s.framesDecoded ?? 0;
            if (s.kind === 'audio') audio += s.bytesReceived ?? 0;
          });
        }
        if (frames > 0 && audio > 0) {
          w.__mediaBackAt = Date.now();
          clearInterval(timer);
          setTimeout(() => banner.disconnect(), 1000);
        }
      } finally {
        busy = false;
      }
    }, 40);
    setTimeout(() => clearInterval(timer), 20_000);
  });
}

export async function mediaBackAt(page: Page): Promise<{ at: number | null; banner: boolean }> {
  return page.evaluate(() => {
    const w = window as unknown as { __mediaBackAt: number | null; __sawMediaBanner: boolean };
    return { at: w.__mediaBackAt, banner: w.__sawMediaBanner };
  });
}

/** Sum of inbound-rtp audio bytes over every RTCPeerConnection of the page. */
export function inboundAudioBytes(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter((pc) => pc.connectionState !== 'closed');
    let total = 0;
    for (const pc of pcs) {
      const stats = await pc.getStats();
      stats.forEach((s: { type: string; kind?: string; bytesReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') total += s.bytesReceived ?? 0;
      });
    }
    return total;
  });
}

/** The tile's video has frames and its clock advances. */
export async function videoPlaying(page: Page, peerId: string, source: 'webcam' | 'screen'): Promise<boolean> {
  const selector = `cf-tile[data-peer-id="${peerId}"][data-source="${source}"] video`;
  const first = await page.evaluate((sel) => {
    const v = document.querySelector<HTMLVideoElement>(sel);
    return v ? { w: v.videoWidth, t: v.currentTime } : null;
  }, selector);
  if (!first || first.w === 0) return false;
  await page.waitForTimeout(700);
  const second = await page.evaluate((sel) => document.querySelector<HTMLVideoElement>(sel)?.currentTime ?? 0, selector);
  return second > first.t;
}

/** The page's RTCPeerConnections that are not closed: count, and the server's ICE ufrag of each (changes on an ICE restart). */
export function openConnections(page: Page): Promise<{ total: number; ufrags: string[] }> {
  return page.evaluate(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const open = pcs.filter((pc) => pc.connectionState !== 'closed');
    return { total: pcs.length, ufrags: open.map((pc) => /a=ice-ufrag:(\S+)/.exec(pc.remoteDescription?.sdp ?? '')?.[1] ?? '') };
  });
}

/** Remote video frames decoded, summed over the page's open connections. */
export function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((p) => p.connectionState !== 'closed')) {
      (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
    }
    return frames;
  });
}

/** ICE was restarted on every open connection (new server ufrag) and remote video keeps decoding on both sides. */
export async function iceRestartedAndFlowing(p: Participant, other: Participant, before: { total: number; ufrags: string[] }): Promise<void> {
  await eventually(async () => {
    const now = await openConnections(p.page);
    return now.ufrags.length === before.ufrags.length && now.ufrags.every((u, i) => u !== before.ufrags[i]);
  }, `${p.name}: ICE was not restarted on every transport`);
  await eventually(
    async () => (await p.page.locator('[data-testid="reconnecting-media"], [data-testid="reconnecting"]').count()) === 0,
    `${p.name} still shows a reconnecting banner after the ICE restart`,
  );
  const after = await openConnections(p.page);
  if (after.total !== before.total) throw new Error(`${p.name} created ${after.total - before.total} new RTCPeerConnection(s): the media was rebuilt, not kept`);
  for (const [viewer, sender] of [
    [p, other],
    [other, p],
  ] as const) {
    const frames = await framesDecoded(viewer.page);
    await eventually(async () => (await framesDecoded(viewer.page)) > frames + 10, `${viewer.name} no longer decodes ${sender.name}'s video after the ICE restart`);
  }
}

/**
 * The mediasoup worker (one of `workers`) serving the page's transports: the
 * owner of the UDP port in the server's ICE candidates. Throws when it cannot tell.
 */
export async function workerServing(page: Page, workers: readonly number[]): Promise<number> {
  const ports = await page.evaluate(() =>
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => [...(pc.remoteDescription?.sdp ?? '').matchAll(/a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ/gi)].map((m) => Number(m[1]))),
  );
  const owners = new Set(ports.map((port) => pidOwningUdpPort(workers, port)));
  const [owner] = [...owners];
  if (owners.size !== 1 || owner === null || owner === undefined) throw new Error(`cannot tell which worker serves the page (ports ${ports.join(',') || 'none'})`);
  return owner;
}

export async function peerListed(page: Page, peerId: string): Promise<boolean> {
  return (await page.locator(`[data-testid="peer"][data-peer-id="${peerId}"]`).count()) > 0;
}
