import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What every benchmark result carries, so runs on different machines can be compared. */
export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  mediasoup: string;
  /** Path of the real worker, or null when the test double stood in. */
  worker: string | null;
  /** The repository's HEAD when the benchmark started (the code measured), if git is there. */
  commit: string | null;
}

export function machineInfo(worker: string | null): MachineInfo {
  const root = path.resolve(__dirname, '../../..');
  const mediasoupPkg = JSON.parse(readFileSync(path.join(root, 'node_modules/mediasoup/package.json'), 'utf8')) as { version: string };
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    mediasoup: mediasoupPkg.version,
    worker,
    commit: gitHead(root),
  };
}

function gitHead(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export type Row = Record<string, string | number>;

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: readonly Row[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c] ?? ''))));
}

export interface Series {
  name: string;
  points: Array<{ x: number; y: number }>;
}

/** A small dependency-free SVG line chart of one or more series over a sweep. */
export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 160, t: 40, b: 50 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yMax = Math.max(1e-9, ...all.map((p) => p.y)) * 1.1;
  const sx = (x: number): number => m.l + (x / xMax) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - (y / yMax) * (H - m.t - m.b);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${esc(yLabel)}</text>`,
  ];
  for (const t of ticks) {
    const y = sy(t * yMax);
    const x = sx(t * xMax);
    parts.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${+(t * yMax).toPrecision(3)}</text>`);
    parts.push(`<text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${+(t * xMax).toPrecision(3)}</text>`);
  }
  series.forEach((s, i) => {
    const c = colors[i % colors.length];
    const pts = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`);
    for (const p of s.points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${c}"/>`);
    parts.push(`<rect x="${W - m.r + 12}" y="${m.t + i * 20}" width="12" height="12" fill="${c}"/>`);
    parts.push(`<text x="${W - m.r + 30}" y="${m.t + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes `<name>.json` and `<name>.svg` under dist/bench/ and returns their paths. */
export function writeResults(name: string, result: unknown, svg: string): { json: string; svg: string } {
  const dir = path.resolve(__dirname, '../../../dist/bench');
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const svgPath = path.join(dir, `${name}.svg`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(svgPath, svg);
  console.log(`\nresults: ${path.relative(process.cwd(), json)}  chart: ${path.relative(process.cwd(), svgPath)}`);
  return { json, svg: svgPath };
}
