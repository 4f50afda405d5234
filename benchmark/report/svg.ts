// Grouped bar charts as inline SVG (no script, no external resource): one group per point (block
// size, queue depth, threads or direction), one bar per target. Every data bar is a
// <rect class="bar">; its label above it shows the container's change against the host, and a
// whisker (<path class="interval">) the interval of that change; a whisker taller than the axis
// is cut at the top, open-ended.

export interface ChartSeries {
  name: string;
  color: string;
}

export interface ChartBar {
  /** Index into `series`. */
  series: number;
  value: number;
  /** Shown above the bar (the container's change against the host). */
  label?: string;
  /** A penalty beyond the threshold: red label and outline. */
  flagged?: boolean;
  /** Tooltip. */
  title: string;
  /** The interval of the bar's value (the container's against the host's, as the penalty's interval puts it), in the chart's unit. */
  interval?: { low: number; high: number };
}

export interface ChartGroup {
  label: string;
  bars: ChartBar[];
}

export interface BarChart {
  title: string;
  /** Axis unit, e.g. "IOPS", "µs", "Gbit/s". */
  unit: string;
  series: ChartSeries[];
  groups: ChartGroup[];
}

export const FLAG_COLOR = '#d62728';
const AXIS_COLOR = '#555555';
const GRID_COLOR = '#e3e3e3';

const MARGIN = { top: 56, right: 16, bottom: 34, left: 64 };
const PLOT_HEIGHT = 200;
const MIN_PLOT_WIDTH = 320;
/** Bars are at least this wide, so a rotated label fits above each one. */
const MIN_BAR_WIDTH = 16;
const MAX_BAR_WIDTH = 34;
const GROUP_GAP = 18;
const LABEL_ROOM = 40;

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** A round axis maximum (1, 2, 2.5 or 5 times a power of ten) at or above `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

function tickText(value: number): string {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(2)}k`;
  return `${+value.toFixed(2)}`;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

export function barChartSvg(chart: BarChart): string {
  const seriesCount = Math.max(1, chart.series.length);
  const groupCount = Math.max(1, chart.groups.length);
  const plotWidth = Math.max(MIN_PLOT_WIDTH, groupCount * (seriesCount * MIN_BAR_WIDTH + GROUP_GAP));
  const perGroup = plotWidth / groupCount;
  const barWidth = Math.min(MAX_BAR_WIDTH, (perGroup - GROUP_GAP) / seriesCount);
  const width = MARGIN.left + plotWidth + MARGIN.right;
  const height = MARGIN.top + LABEL_ROOM + PLOT_HEIGHT + MARGIN.bottom;
  const plotTop = MARGIN.top + LABEL_ROOM;
  const plotBottom = plotTop + PLOT_HEIGHT;
  const barMax = Math.max(0, ...chart.groups.flatMap((g) => g.bars.map((b) => b.value)));
  // Intervals widen the axis up to twice the tallest bar; beyond, their whiskers are cut.
  const max = niceCeiling(Math.max(barMax, ...chart.groups.flatMap((g) => g.bars.map((b) => Math.min(2 * barMax, b.interval?.high ?? 0)))));
  const y = (v: number): number => plotBottom - (v / max) * PLOT_HEIGHT;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`);
  out.push(`<text x="${MARGIN.left}" y="18" font-size="14" font-weight="600" fill="#222">${escapeXml(chart.title)}</text>`);
  // Legend.
  let lx = MARGIN.left;
  for (const s of chart.series) {
    out.push(`<rect class="legend" x="${lx}" y="28" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 16}" y="38" font-size="11" fill="#333">${escapeXml(s.name)}</text>`);
    lx += 16 + s.name.length * 7 + 18;
  }
  // Axis with four grid lines.
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const ty = fmt(y(v));
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ty}" y2="${ty}" stroke="${i === 0 ? AXIS_COLOR : GRID_COLOR}" stroke-width="1"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(v) + 4)}" font-size="10" text-anchor="end" fill="${AXIS_COLOR}">${tickText(v)}</text>`);
  }
  out.push(`<text x="14" y="${fmt((plotTop + plotBottom) / 2)}" font-size="11" text-anchor="middle" fill="${AXIS_COLOR}" transform="rotate(-90 14 ${fmt((plotTop + plotBottom) / 2)})">${escapeXml(chart.unit)}</text>`);
  // Bars.
  chart.groups.forEach((group, gi) => {
    const barsWidth = seriesCount * barWidth;
    const gx = MARGIN.left + gi * perGroup + (perGroup - barsWidth) / 2;
    out.push(`<text x="${fmt(gx + barsWidth / 2)}" y="${plotBottom + 16}" font-size="11" text-anchor="middle" fill="#333">${escapeXml(group.label)}</text>`);
    for (const bar of group.bars) {
      const color = chart.series[bar.series]?.color ?? AXIS_COLOR;
      const x = gx + bar.series * barWidth + 1;
      const top = y(bar.value);
      const h = Math.max(0, plotBottom - top);
      const stroke = bar.flagged ? ` stroke="${FLAG_COLOR}" stroke-width="2"` : '';
      out.push(`<rect class="bar" data-series="${escapeXml(chart.series[bar.series]?.name ?? '')}" x="${fmt(x)}" y="${fmt(top)}" width="${fmt(barWidth - 2)}" height="${fmt(h)}" fill="${color}"${stroke}><title>${escapeXml(bar.title)}</title></rect>`);
      let labelTop = top;
      if (bar.interval) {
        const cx = x + (barWidth - 2) / 2;
        const hi = y(Math.min(max, bar.interval.high));
        const lo = y(Math.max(0, bar.interval.low));
        const cap = (at: number): string => `M${fmt(cx - 4)} ${fmt(at)}H${fmt(cx + 4)}`;
        const capTop = bar.interval.high <= max ? cap(hi) : '';
        out.push(`<path class="interval" d="M${fmt(cx)} ${fmt(lo)}V${fmt(hi)}${capTop}${cap(lo)}" stroke="#222" stroke-width="1.2" fill="none"/>`);
        labelTop = Math.min(top, hi);
      }
      if (bar.label !== undefined) {
        const cx = fmt(x + (barWidth - 2) / 2 + 4);
        const cy = fmt(labelTop - 4);
        const style = bar.flagged ? `fill="${FLAG_COLOR}" font-weight="700"` : 'fill="#333"';
        out.push(`<text class="bar-label" x="${cx}" y="${cy}" font-size="10" ${style} transform="rotate(-90 ${cx} ${cy})">${escapeXml(bar.label)}</text>`);
      }
    }
  });
  out.push('</svg>');
  return out.join('\n');
}
