/**
 * @module A bar chart of counts per day drawn with uPlot (canvas). The same numbers are in a
 * visually hidden table for screen readers.
 */

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { plural } from '../../../src/format-count.js';
import 'uplot/dist/uPlot.min.css';

export function DayChart(props: { label: string; days: string[]; counts: number[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const accent =
      getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#0b5cad';
    const text = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#555';
    const chart = new uPlot(
      {
        width: Math.max(300, el.clientWidth),
        height: 180,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          { stroke: text, grid: { show: false } },
          { stroke: text, grid: { stroke: 'rgba(128,128,128,0.2)' } },
        ],
        series: [
          {},
          {
            label: props.label,
            stroke: accent,
            fill: accent,
            paths: uPlot.paths.bars?.({ size: [0.7, 40] }),
            points: { show: false },
          },
        ],
      },
      [xs, props.counts],
      el,
    );
    return () => chart.destroy();
  }, [props.days, props.counts, props.label]);
  return (
    <figure>
      <div
        ref={box}
        role="img"
        aria-label={`${props.label}: ${props.counts.reduce((a, b) => a + b, 0)} over ${plural(props.days.length, 'day')}`}
      />
      <table className="visually-hidden">
        <caption>{props.label}</caption>
        <tbody>
          {props.days.map((d, i) => (
            <tr key={d}>
              <th scope="row">{d}</th>
              <td>{props.counts[i]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
