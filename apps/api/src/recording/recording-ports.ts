import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';

/**
 * The recorder's UDP ports (RECORDING_MIN_PORT..RECORDING_MAX_PORT). The lower
 * half is where ffmpeg receives: an even RTP port and the next one, which
 * ffmpeg's RTP demuxer always binds for RTCP even though mediasoup multiplexes
 * RTCP on the RTP port. The upper half is the `portRange` mediasoup's plain
 * transports send from, so the two never compete for a port.
 */
export class RecordingPorts {
  private readonly taken = new Set<number>();
  private next: number;
  private readonly first: number;
  private readonly last: number;

  constructor(
    private readonly ip: string,
    min: number,
    max: number,
  ) {
    const middle = min + Math.floor((max - min + 1) / 2);
    this.first = min % 2 === 0 ? min : min + 1;
    this.last = middle - 2;
    this.next = this.first;
    this.transportRange = { min: middle, max };
  }

  /** For `createPlainTransport({ listenInfo: { portRange } })`. */
  readonly transportRange: { min: number; max: number };

  /** An even port whose pair is free now (checked by binding both), reserved until {@link release}. */
  async allocate(): Promise<number> {
    const count = (this.last - this.first) / 2 + 1;
    for (let i = 0; i < count; i++) {
      const port = this.next;
      this.next = port + 2 > this.last ? this.first : port + 2;
      if (this.taken.has(port)) continue;
      this.taken.add(port);
      if ((await udpFree(this.ip, port)) && (await udpFree(this.ip, port + 1))) return port;
      this.taken.delete(port);
    }
    throw new Error(`no free port pair in ${this.first}..${this.last + 1} for the recorder`);
  }

  release(port: number): void {
    this.taken.delete(port);
  }
}

function udpFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, ip, () => socket.close(() => resolve(true)));
  });
}

/**
 * Resolves once some process has bound UDP `port` (ffmpeg opened its input), read
 * from /proc/net/udp so that nothing races ffmpeg for the port. Where /proc is
 * absent it waits `fallbackMs`. Rejects after `timeoutMs`.
 */
export async function untilUdpBound(port: number, timeoutMs = 5000, fallbackMs = 500): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tables = await Promise.all(['/proc/net/udp', '/proc/net/udp6'].map((f) => readFile(f, 'utf8').catch(() => null)));
    if (tables.every((t) => t === null)) {
      await sleep(fallbackMs);
      return;
    }
    // Each line: "sl local_address rem_address ..."; the local address is the second column.
    if (tables.some((t) => t?.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex.trim())))) return;
    if (Date.now() > deadline) throw new Error(`ffmpeg did not open UDP port ${port} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
