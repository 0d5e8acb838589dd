/**
 * Bar charts as inline SVG, drawn on the server: no script, no inline style (colours come from
 * portal.css classes), so the portal's CSP stays strict. Every bar carries a <title> (its figures on
 * hover and for screen readers) and every chart sits beside a table of the same figures.
 */
import { html, type Html } from './html';

export interface Series {
  /** CSS class suffix of its colour (`bar-<key>`) and the legend's text. */
  key: string;
  label: string;
}

export interface StackedBars {
  /** Names the chart for assistive technology. */
  title: string;
  /** One label per bar (here: days, YYYY-MM-DD). */
  labels: string[];
  series: Series[];
  /** values[series][bar] */
  values: number[][];
}

const WIDTH = 720;
const HEIGHT = 180;
const LEFT = 40;
const BOTTOM = 24;
const TOP = 8;

/** The smallest of 1, 2, 5 × 10^n at or above `max` (and at least 1), so the axis reads well. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const fixed = (n: number) => Number(n.toFixed(2));

export function stackedBarChart(chart: StackedBars): Html {
  const n = chart.labels.length;
  const totals = chart.labels.map((_, i) => chart.values.reduce((sum, row) => sum + (row[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotW = WIDTH - LEFT - 4;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = n ? plotW / n : plotW;
  const barW = Math.max(1, slot * 0.7);
  const y = (v: number) => TOP + plotH - (v / top) * plotH;

  const bars = chart.labels.map((label, i) => {
    let base = 0;
    const x = fixed(LEFT + i * slot + (slot - barW) / 2);
    const parts = chart.series.map((s, k) => {
      const v = chart.values[k][i] ?? 0;
      if (!v) return '';
      const rect = html`<rect
        class="bar-${s.key}"
        x="${x}"
        y="${fixed(y(base + v))}"
        width="${fixed(barW)}"
        height="${fixed((v / top) * plotH)}"
      ></rect>`;
      base += v;
      return rect;
    });
    const figures = chart.series.map((s, k) => `${chart.values[k][i] ?? 0} ${s.label.toLowerCase()}`);
    return html`<g>
      <title>${label}: ${figures.join(', ')}</title>
      <rect
        class="bar-hit"
        x="${fixed(LEFT + i * slot)}"
        y="${TOP}"
        width="${fixed(slot)}"
        height="${plotH}"
      ></rect>
      ${parts}
    </g>`;
  });

  // A label under the first, middle and last bar; more would overlap at 30 days and up.
  const marks = [...new Set([0, Math.floor((n - 1) / 2), n - 1])].filter((i) => i >= 0 && i < n);
  const anchor = (i: number) => (i === 0 && n > 1 ? 'start' : i === n - 1 && n > 1 ? 'end' : 'middle');
  const xOf = (i: number) =>
    LEFT + i * slot + (anchor(i) === 'start' ? 0 : anchor(i) === 'end' ? slot : slot / 2);
  const xLabels = marks.map(
    (i) =>
      html`<text class="axis" x="${fixed(xOf(i))}" y="${HEIGHT - 6}" text-anchor="${anchor(i)}"
        >${chart.labels[i]}</text
      >`,
  );
  // Counts: whole numbers on the axis only.
  const yTicks = [0, top / 2, top]
    .filter(Number.isInteger)
    .map(
      (v) =>
        html`<line class="grid" x1="${LEFT}" x2="${WIDTH - 4}" y1="${fixed(y(v))}" y2="${fixed(y(v))}"></line>
          <text class="axis" x="${LEFT - 6}" y="${fixed(y(v) + 4)}" text-anchor="end">${v}</text>`,
    );

  return html`<figure class="chart">
    <svg
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      role="img"
      aria-label="${chart.title}"
      xmlns="http://www.w3.org/2000/svg"
    >
      <title>${chart.title}</title>
      ${yTicks} ${bars} ${xLabels}
    </svg>
    <figcaption>
      <ul class="legend">
        ${chart.series.map((s) => html`<li><span class="swatch bar-${s.key}" aria-hidden="true"></span>${s.label}</li>`)}
      </ul>
    </figcaption>
  </figure>`;
}

/** Every day from `from` to `to` (YYYY-MM-DD, inclusive). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
