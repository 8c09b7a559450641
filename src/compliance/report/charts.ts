/**
 * @module The report's charts as data (a small, renderer-neutral model) and as inline SVG for HTML.
 * The PDF renderer draws the same model with pdfkit vectors, so both show the same figures:
 * open remediation work over time, training compliance by department, time-to-patch distribution.
 */
import type { ComplianceReport } from '../evaluate.js';

export interface ChartSeries {
  name: string;
  color: string;
  values: number[];
}

export interface Chart {
  id: 'open-over-time' | 'training-by-department' | 'time-to-patch';
  title: string;
  /** lines: one point per category; bars: side by side per category (or stacked). */
  kind: 'lines' | 'bars';
  categories: string[];
  series: ChartSeries[];
  yLabel: string;
  /** A horizontal reference line (training target). */
  target?: { value: number; label: string };
  /** Shown instead of the chart when there is nothing to draw. */
  empty: string | null;
}

export const COLORS = {
  ok: '#2e7d32',
  warn: '#ef6c00',
  bad: '#c62828',
  neutral: '#1565c0',
  grey: '#757575',
};

/** Time-to-patch bins in days: the upper bound of each (the last is open). */
export const TTP_BINS: { label: string; max: number }[] = [
  { label: '≤7 d', max: 7 },
  { label: '8–14 d', max: 14 },
  { label: '15–30 d', max: 30 },
  { label: '31–60 d', max: 60 },
  { label: '61–90 d', max: 90 },
  { label: '91–180 d', max: 180 },
  { label: '>180 d', max: Number.POSITIVE_INFINITY },
];

export function histogram(days: readonly number[]): number[] {
  const counts = TTP_BINS.map(() => 0);
  for (const d of days) {
    const i = TTP_BINS.findIndex((b) => d <= b.max);
    counts[i]!++;
  }
  return counts;
}

export function reportCharts(r: ComplianceReport): Chart[] {
  const work = r.tables.openOverTime;
  const training = r.tables.trainingByDepartment;
  const target = r.summary.training?.target ?? null;
  const anyWork = work.some((p) => p.withinDue + p.overdue + p.riskAccepted > 0);
  return [
    {
      id: 'open-over-time',
      title: 'Open remediation work over the last 12 weeks',
      kind: 'lines',
      categories: work.map((p) => p.at.slice(5)),
      series: [
        { name: 'overdue', color: COLORS.bad, values: work.map((p) => p.overdue) },
        { name: 'within due date', color: COLORS.neutral, values: work.map((p) => p.withinDue) },
        { name: 'risk accepted', color: COLORS.grey, values: work.map((p) => p.riskAccepted) },
      ],
      yLabel: 'tasks',
      empty: anyWork ? null : 'No remediation tasks in this period.',
    },
    {
      id: 'training-by-department',
      title: 'Training compliance by department',
      kind: 'bars',
      categories: training.map((t) =>
        t.siteName ? `${t.department ?? '-'} (${t.siteName})` : (t.department ?? '-'),
      ),
      series: [
        {
          name: 'current %',
          color: COLORS.ok,
          values: training.map((t) => Math.round(t.rate * 1000) / 10),
        },
      ],
      yLabel: '% current',
      ...(target !== null ? { target: { value: Math.round(target * 1000) / 10, label: 'target' } } : {}),
      empty: training.length ? null : 'No training figures.',
    },
    {
      id: 'time-to-patch',
      title: 'Time to patch (days from task to applied or verified)',
      kind: 'bars',
      categories: TTP_BINS.map((b) => b.label),
      series: [{ name: 'tasks', color: COLORS.neutral, values: histogram(r.tables.timeToPatchDays) }],
      yLabel: 'tasks',
      empty: r.tables.timeToPatchDays.length ? null : 'No task has been patched yet.',
    },
  ];
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" upper bound for an axis: 1, 2, 5 × 10^n at or above the maximum. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export interface PlotBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Shared geometry: where each value goes, so SVG and PDF draw identical charts. */
export function chartGeometry(c: Chart, box: PlotBox) {
  const all = c.series.flatMap((s) => s.values);
  const yMax = niceMax(Math.max(c.target?.value ?? 0, ...all, 0));
  const n = Math.max(1, c.categories.length);
  const step = box.w / n;
  const yOf = (v: number) => box.y + box.h - (v / yMax) * box.h;
  const xOf = (i: number) => box.x + step * i + step / 2;
  const barWidth = (step * 0.7) / Math.max(1, c.series.length);
  const barX = (i: number, s: number) => box.x + step * i + step * 0.15 + barWidth * s;
  return { yMax, step, yOf, xOf, barWidth, barX };
}

const W = 640;
const H = 260;
const BOX: PlotBox = { x: 48, y: 30, w: 570, h: 160 };

/** One chart as a standalone SVG element (no scripts, no external references). */
export function chartSvg(c: Chart): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}">`,
    `<text x="${BOX.x}" y="18" font-size="13" font-weight="bold">${escapeXml(c.title)}</text>`,
  ];
  if (c.empty) {
    out.push(
      `<text x="${BOX.x}" y="${BOX.y + 40}" font-size="12" fill="#555">${escapeXml(c.empty)}</text></svg>`,
    );
    return out.join('');
  }
  const g = chartGeometry(c, BOX);
  for (const t of [0, 0.5, 1]) {
    const v = g.yMax * t;
    const y = g.yOf(v);
    out.push(
      `<line x1="${BOX.x}" y1="${y}" x2="${BOX.x + BOX.w}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${BOX.x - 6}" y="${y + 4}" font-size="10" text-anchor="end">${Math.round(v * 10) / 10}</text>`,
    );
  }
  out.push(
    `<text x="12" y="${BOX.y + BOX.h / 2}" font-size="10" transform="rotate(-90 12 ${BOX.y + BOX.h / 2})" text-anchor="middle">${escapeXml(c.yLabel)}</text>`,
  );
  c.series.forEach((s, si) => {
    if (c.kind === 'bars') {
      s.values.forEach((v, i) => {
        const y = g.yOf(v);
        out.push(
          `<rect x="${g.barX(i, si).toFixed(1)}" y="${y.toFixed(1)}" width="${g.barWidth.toFixed(1)}" height="${(BOX.y + BOX.h - y).toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${c.categories[i]}: ${v}`)}</title></rect>`,
        );
      });
    } else {
      const pts = s.values.map((v, i) => `${g.xOf(i).toFixed(1)},${g.yOf(v).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
  });
  if (c.target) {
    const y = g.yOf(c.target.value);
    out.push(
      `<line x1="${BOX.x}" y1="${y}" x2="${BOX.x + BOX.w}" y2="${y}" stroke="${COLORS.bad}" stroke-dasharray="4 3"/>`,
      `<text x="${BOX.x + BOX.w}" y="${y - 3}" font-size="10" text-anchor="end" fill="${COLORS.bad}">${escapeXml(`${c.target.label} ${c.target.value}`)}</text>`,
    );
  }
  const every = Math.ceil(c.categories.length / 14);
  c.categories.forEach((cat, i) => {
    if (i % every) return;
    out.push(
      `<text x="${g.xOf(i).toFixed(1)}" y="${BOX.y + BOX.h + 14}" font-size="9" text-anchor="middle">${escapeXml(cat.length > 18 ? `${cat.slice(0, 17)}…` : cat)}</text>`,
    );
  });
  c.series.forEach((s, si) => {
    const x = BOX.x + si * 150;
    out.push(
      `<rect x="${x}" y="${H - 22}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${x + 14}" y="${H - 13}" font-size="10">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
