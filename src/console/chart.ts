import { html, type SafeHtml } from './html.js';

export interface HourBar {
  hour: string;
  success: number;
  failure: number;
}

/**
 * Successes and failures per hour as a stacked SVG bar chart, drawn on the server (no script; colours by
 * presentation attributes, which the CSP allows). Each bar has a <title> so hovering or a screen reader gives the
 * exact counts; a table with the same numbers follows for keyboard and screen-reader users.
 */
export function hourlyChart(bars: HourBar[]): SafeHtml {
  const width = 960;
  const height = 180;
  const left = 44;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...bars.map((b) => b.success + b.failure));
  const step = bars.length > 0 ? plotW / bars.length : plotW;
  const barW = Math.max(1, step * 0.8);
  const y = (n: number) => (n / max) * plotH;
  const labelEvery = Math.max(1, Math.ceil(bars.length / 12));
  const rects = bars.map((b, i) => {
    const x = left + i * step;
    const hs = y(b.success);
    const hf = y(b.failure);
    const base = 10 + plotH;
    return html`<g><title>${b.hour}: ${b.success} succeeded, ${b.failure} failed</title>
      <rect x="${x.toFixed(1)}" y="${(base - hs).toFixed(1)}" width="${barW.toFixed(1)}" height="${hs.toFixed(1)}" fill="#1a7f37"></rect>
      <rect x="${x.toFixed(1)}" y="${(base - hs - hf).toFixed(1)}" width="${barW.toFixed(1)}" height="${hf.toFixed(1)}" fill="#c62828"></rect>
      ${i % labelEvery === 0 ? html`<text x="${x.toFixed(1)}" y="${height - 6}" font-size="10" fill="#57606a">${b.hour.slice(5, 13).replace('T', ' ')}h</text>` : ''}</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"
      aria-label="Successes and failures per hour">
    <text x="4" y="16" font-size="10" fill="#57606a">${max}</text>
    <text x="4" y="${10 + plotH}" font-size="10" fill="#57606a">0</text>
    <line x1="${left}" y1="${10 + plotH}" x2="${width - 4}" y2="${10 + plotH}" stroke="#d0d7de"></line>
    ${rects}
  </svg>`;
}
