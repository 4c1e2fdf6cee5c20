import { lineChartSvg, percentile } from './report';

describe('bench report helpers', () => {
  it('computes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('draws one polyline per series with a legend', () => {
    const svg = lineChartSvg('t', 'x', 'y', [
      { name: 'a', points: [{ x: 1, y: 1 }, { x: 2, y: 4 }] },
      { name: 'b<c', points: [{ x: 1, y: 2 }] },
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('b&lt;c');
    expect(svg.startsWith('<svg')).toBe(true);
  });
});
