import type { RecordedTrack } from './recording-types';

/**
 * The final pass. Output: MP4 with H.264 (libx264, veryfast) and AAC, with the
 * index at the front (faststart). Why MP4/H.264 rather than WebM/VP8: it plays
 * everywhere a portal's users will open it (Safari, QuickTime, Windows,
 * document systems, mobile) and libx264 encodes several times faster than
 * libvpx at the same quality, which matters on a media server's shared CPU.
 * The tracks themselves are kept as they arrived (VP8/H.264/Opus in Matroska,
 * no transcoding while the meeting runs).
 */
export const MIX = { width: 1280, height: 720, fps: 30, video: 'h264', audio: 'aac' } as const;

/** Where one participant's video goes in the grid. */
export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An even-sized grid of `n` tiles filling the canvas (columns = ⌈√n⌉), centred vertically. */
export function gridTiles(n: number, width: number = MIX.width, height: number = MIX.height): Tile[] {
  if (n <= 0) return [];
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const even = (v: number): number => Math.floor(v / 2) * 2;
  const w = even(width / cols);
  const h = even(height / rows);
  const top = even((height - rows * h) / 2);
  return Array.from({ length: n }, (_, i) => ({ x: (i % cols) * w, y: top + Math.floor(i / cols) * h, w, h }));
}

/**
 * ffmpeg arguments that mix the finished tracks into one file of exactly
 * `durationMs`. Each track file starts at its `startOffsetMs` (from the
 * manifest): audio is delayed by it (adelay) with gaps (a paused producer)
 * filled with silence (aresample async), then all are summed (amix); video
 * tracks are grouped into one tile per participant and source (a camera
 * re-published later lands on the same tile), scaled to fit, shifted by their
 * offset (setpts) and overlaid on a black canvas that runs for the whole
 * recording. Overlay rather than xstack: xstack needs every input present
 * from start to end, while participants join and leave; overlay shows
 * nothing for a tile before its track starts and passes the canvas through
 * once it ends (eof_action=pass). Always one video and one audio stream.
 */
export function mixArgs(tracks: RecordedTrack[], durationMs: number, inputPath: (t: RecordedTrack) => string, outPath: string): string[] {
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const usable = tracks.filter((t) => t.status === 'complete');
  const inputs = usable.flatMap((t) => ['-i', inputPath(t)]);
  const filters: string[] = [];
  const D = seconds(durationMs);

  const videos = usable.map((t, i) => ({ t, i })).filter((v) => v.t.kind === 'video');
  const tileKeys = [...new Set(videos.map((v) => `${v.t.peerId}:${v.t.source}`))];
  const tiles = gridTiles(tileKeys.length);
  filters.push(`color=c=black:s=${MIX.width}x${MIX.height}:r=${MIX.fps}:d=${D}[bg0]`);
  videos.forEach(({ t, i }, k) => {
    const tile = tiles[tileKeys.indexOf(`${t.peerId}:${t.source}`)];
    filters.push(
      `[${i}:v]setpts=PTS-STARTPTS+${seconds(t.startOffsetMs)}/TB,` +
        `scale=${tile.w}:${tile.h}:force_original_aspect_ratio=decrease,pad=${tile.w}:${tile.h}:(ow-iw)/2:(oh-ih)/2,setsar=1[v${k}]`,
    );
    filters.push(`[bg${k}][v${k}]overlay=x=${tile.x}:y=${tile.y}:eof_action=pass[bg${k + 1}]`);
  });
  filters.push(`[bg${videos.length}]format=yuv420p[vout]`);

  const audios = usable.map((t, i) => ({ t, i })).filter((a) => a.t.kind === 'audio');
  audios.forEach(({ t, i }, k) => {
    filters.push(`[${i}:a]asetpts=PTS-STARTPTS,aresample=48000:async=1000,adelay=${Math.max(0, Math.round(t.startOffsetMs))}:all=1[a${k}]`);
  });
  if (audios.length === 0) filters.push('anullsrc=r=48000:cl=stereo[aout]');
  else if (audios.length === 1) filters.push('[a0]apad[aout]');
  else filters.push(`${audios.map((_, k) => `[a${k}]`).join('')}amix=inputs=${audios.length}:duration=longest:dropout_transition=0:normalize=0,apad[aout]`);

  // prettier-ignore
  return [
    '-hide_banner', '-nostats', '-loglevel', 'info',
    ...inputs,
    '-filter_complex', filters.join(';'),
    '-map', '[vout]', '-map', '[aout]',
    '-t', D,
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-r', String(MIX.fps),
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
    '-movflags', '+faststart',
    '-f', 'mp4', '-y', outPath,
  ];
}
