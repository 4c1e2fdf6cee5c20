import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/** How an ffmpeg run ended: its exit code or signal, and whether we asked it to stop. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when {@link FfmpegProcess.stop} was called before it exited. */
  requested: boolean;
  /** The last lines ffmpeg wrote to stderr (the reason, when it failed). */
  tail: string;
}

/**
 * One ffmpeg child process: spawned with its arguments, stderr appended to a
 * log file (and the last lines kept for the failure reason), stopped gracefully.
 * `stop()` writes `q` on stdin (ffmpeg finishes the file and exits 0), then
 * SIGINT twice, then SIGKILL: only the last leaves an unfinished file, which
 * callers label `.partial`.
 */
export class FfmpegProcess {
  readonly exited: Promise<FfmpegExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly log: WriteStream;
  private tailLines: string[] = [];
  private stopRequested = false;
  private done = false;

  constructor(
    bin: string,
    readonly args: string[],
    logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.log.on('error', () => undefined);
    this.log.write(`$ ${bin} ${args.join(' ')}\n`);
    this.child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // A write after ffmpeg closed its stdin must not crash the server.
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.resume();
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      this.tailLines = [...this.tailLines, ...chunk.toString().split(/\r?\n|\r/).filter((l) => l.trim())].slice(-6);
    });
    this.exited = new Promise<FfmpegExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null, extra?: string): void => {
        if (this.done) return;
        this.done = true;
        if (extra) this.tailLines.push(extra);
        this.log.end(`\n# exit code=${code} signal=${signal}\n`);
        resolve({ code, signal, requested: this.stopRequested, tail: this.tailLines.join(' | ') });
      };
      // `error`: the binary could not be started (ENOENT, EACCES); `close`: exited and its pipes drained.
      this.child.once('error', (error) => finish(null, null, `spawn failed: ${error.message}`));
      this.child.once('close', (code, signal) => finish(code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.done;
  }

  /**
   * Asks ffmpeg to finish; resolves on exit. `q` works while packets flow; an
   * input with no packets blocks ffmpeg in its read, where the first SIGINT
   * only asks for a graceful end and the second interrupts the read (ffmpeg
   * still writes the trailer); SIGKILL last.
   */
  stop(graceMs = 1500): Promise<FfmpegExit> {
    if (this.done) return this.exited;
    this.stopRequested = true;
    this.child.stdin.end('q');
    const timers = [
      setTimeout(() => this.signal('SIGINT'), graceMs),
      setTimeout(() => this.signal('SIGINT'), graceMs + 300),
      setTimeout(() => this.signal('SIGKILL'), graceMs * 4),
    ];
    return this.exited.finally(() => timers.forEach(clearTimeout));
  }

  /** Ends it at once (SIGKILL), e.g. at shutdown; its output is unfinished. */
  kill(): void {
    this.stopRequested = true;
    this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.done) this.child.kill(signal);
  }
}

/** `ffmpeg -version` in a few seconds: its first line, or why it cannot be used. */
export function probeFfmpeg(bin: string, timeoutMs = 5000): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(bin, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `FFMPEG_PATH=${bin}: ${e.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const first = out.split('\n')[0]?.trim() ?? '';
      resolve(code === 0 && /ffmpeg/i.test(first) ? { ok: true, version: first } : { ok: false, reason: `FFMPEG_PATH=${bin}: \`-version\` exited ${code}` });
    });
  });
}
