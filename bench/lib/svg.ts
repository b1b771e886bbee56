/**
 * Benchmark helper (not product code): a hand-written SVG chart of latency percentiles
 * (p50 / p99 / p99.9, log scale) against offered load, one panel per inner packet size.
 */

export interface LatencyPoint {
  readonly offeredPps: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

export interface LatencySeries {
  readonly name: string;
  readonly dashed: boolean;
  readonly points: readonly LatencyPoint[];
}

export interface LatencyPanel {
  readonly title: string;
  readonly series: readonly LatencySeries[];
}

const W = 520;
const H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 48 };
const COLORS = { p50: '#1b7837', p99: '#e08214', p999: '#b2182b' } as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  const e = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

function panel(p: LatencyPanel, x0: number): string {
  const pts = p.series.flatMap((s) => s.points);
  const xmax = niceMax(Math.max(1, ...pts.map((q) => q.offeredPps)) * 1.05);
  const vals = pts.flatMap((q) => [q.p50, q.p99, q.p999]).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, Math.min(...vals, 1e9)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals, lo * 10))));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number): number => x0 + M.left + (v / xmax) * pw;
  const sy = (v: number): number => M.top + ph - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${x0 + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  for (let d = lo; d <= hi * 1.001; d *= 10) {
    const y = sy(d).toFixed(1);
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    const label = d >= 1000 ? `${d / 1000} ms` : `${d} µs`;
    out.push(`<text x="${x0 + M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${label}</text>`);
  }
  const niceStep = (x: number): boolean => {
    const m = x / Math.pow(10, Math.floor(Math.log10(x)));
    return [1, 2, 2.5, 5].some((k) => Math.abs(m - k) < 1e-9);
  };
  const ticks = [5, 4, 6, 3].find((n) => niceStep(xmax / n)) ?? 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (xmax / ticks) * i;
    const x = sx(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1000).toFixed(v < 10000 && v % 1000 ? 1 : 0)}k`}</text>`);
  }
  out.push(`<text x="${x0 + M.left + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="12">offered load (packets/s)</text>`);
  out.push(`<text transform="translate(${x0 + 14},${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">round-trip latency</text>`);
  for (const s of p.series) {
    for (const k of ['p50', 'p99', 'p999'] as const) {
      const sorted = [...s.points].sort((a, b) => a.offeredPps - b.offeredPps);
      const d = sorted.map((q, i) => `${i ? 'L' : 'M'}${sx(q.offeredPps).toFixed(1)},${sy(q[k]).toFixed(1)}`).join(' ');
      const dash = s.dashed ? ' stroke-dasharray="5,4"' : '';
      out.push(`<path d="${d}" fill="none" stroke="${COLORS[k]}" stroke-width="2"${dash}/>`);
      for (const q of sorted) {
        const shape = s.dashed
          ? `<rect x="${(sx(q.offeredPps) - 3).toFixed(1)}" y="${(sy(q[k]) - 3).toFixed(1)}" width="6" height="6" fill="white" stroke="${COLORS[k]}"/>`
          : `<circle cx="${sx(q.offeredPps).toFixed(1)}" cy="${sy(q[k]).toFixed(1)}" r="3.5" fill="${COLORS[k]}"/>`;
        out.push(shape);
      }
    }
  }
  return out.join('\n');
}

function legend(series: readonly LatencySeries[], y: number): string {
  const items: string[] = [];
  let x = 20;
  for (const k of ['p50', 'p99', 'p999'] as const) {
    items.push(`<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${COLORS[k]}" stroke-width="3"/>`);
    items.push(`<text x="${x + 30}" y="${y}" dominant-baseline="middle" font-size="12">${k === 'p999' ? 'p99.9' : k}</text>`);
    x += 90;
  }
  for (const s of series) {
    const dash = s.dashed ? ' stroke-dasharray="5,4"' : '';
    items.push(`<line x1="${x}" x2="${x + 30}" y1="${y}" y2="${y}" stroke="#333" stroke-width="2"${dash}/>`);
    items.push(`<text x="${x + 36}" y="${y}" dominant-baseline="middle" font-size="12">${esc(s.name)}</text>`);
    x += 60 + s.name.length * 7;
  }
  return items.join('\n');
}

export function latencyChartSvg(panels: readonly LatencyPanel[], subtitle: string): string {
  const width = W * panels.length;
  const height = H + 56;
  const body = panels.map((p, i) => panel(p, i * W)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    body,
    legend(panels[0]?.series ?? [], H + 14),
    `<text x="20" y="${H + 42}" font-size="11" fill="#555">${esc(subtitle)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
