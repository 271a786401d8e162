import type { SummaryCell } from "./summarize.js";

/** One panel of the chart: one Node version. */
export interface ChartPanel {
  title: string;
  cells: readonly SummaryCell[];
}

/** Options of {@link renderChart}. */
export interface ChartOptions {
  /** Rows, top to bottom: workload id and its label. */
  rows: readonly { id: string; label: string }[];
  /** Bars in each row, in order: variant id and its legend label. */
  variants: readonly { id: string; label: string }[];
  /** Dashed reference lines, e.g. the 1.2× target. */
  references?: readonly { at: number; label: string }[];
  title: string;
  /** A line of small print under the chart. */
  note?: string;
}

const COLORS = ["#c0392b", "#e67e22", "#7f8c8d", "#2e86c1", "#27ae60", "#8e44ad", "#16a085"];
const LABEL_W = 230;
const PANEL_W = 360;
const PANEL_GAP = 40;
const BAR_H = 10;
const BAR_GAP = 2;
const ROW_GAP = 12;
const LEGEND_LINE = 15;
const SCALE_CAP = 3;

/**
 * A horizontal grouped bar chart of throughput ratios to grpc-js (1.0 = grpc-js), one
 * panel per Node version, one group per workload, one bar per variant, each labelled with
 * its value. Plain SVG written by hand, no dependencies.
 */
export function renderChart(panels: readonly ChartPanel[], options: ChartOptions): string {
  const { rows, variants } = options;
  const references = options.references ?? [];
  const rowH = variants.length * (BAR_H + BAR_GAP) + ROW_GAP;
  // Title, one legend line per variant, then the panels.
  const TOP = 40 + variants.length * LEGEND_LINE + 48;
  const maxRatio = Math.max(1.3, ...references.map((r) => r.at + 0.1), ...panels.flatMap((p) => p.cells.map((c) => c.vsBaseline ?? 0)));
  // Capped, so that one huge ratio (raw streaming) does not squash every other bar; longer
  // bars end in an arrow and keep their value as a label.
  const scaleMax = Math.min(SCALE_CAP, Math.ceil(maxRatio * 2) / 2);
  const x = (ratio: number) => (ratio / scaleMax) * (PANEL_W - 50);
  const height = TOP + rows.length * rowH + 70;
  const width = Math.max(760, LABEL_W + panels.length * (PANEL_W + PANEL_GAP));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  // Legend, one variant a line.
  variants.forEach((variant, i) => {
    const ly = 34 + i * LEGEND_LINE;
    out.push(
      `<rect x="10" y="${ly}" width="12" height="11" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="28" y="${ly + 10}">${escapeXml(variant.label)}</text>`,
    );
  });
  rows.forEach((row, r) => {
    const y = TOP + r * rowH;
    out.push(`<text x="${LABEL_W - 8}" y="${y + (rowH - ROW_GAP) / 2 + 4}" text-anchor="end">${escapeXml(row.label)}</text>`);
    if (r > 0) out.push(`<line x1="10" x2="${width - 10}" y1="${y - ROW_GAP / 2}" y2="${y - ROW_GAP / 2}" stroke="#eeeeee"/>`);
  });
  panels.forEach((panel, p) => {
    const left = LABEL_W + p * (PANEL_W + PANEL_GAP);
    const bottom = TOP + rows.length * rowH;
    out.push(`<text x="${left}" y="${TOP - 32}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    // Axis with ticks every 0.5×.
    out.push(`<line x1="${left}" x2="${left}" y1="${TOP - 4}" y2="${bottom}" stroke="#333333"/>`);
    for (let t = 0; t <= scaleMax + 1e-9; t += 0.5) {
      out.push(
        `<line x1="${left + x(t)}" x2="${left + x(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#333333"/>`,
        `<text x="${left + x(t)}" y="${bottom + 16}" text-anchor="middle">${t.toFixed(1)}×</text>`,
      );
    }
    out.push(`<text x="${left + (PANEL_W - 50) / 2}" y="${bottom + 32}" text-anchor="middle">throughput ÷ grpc-js (same run)</text>`);
    // Reference lines, labelled alternately above and below the bars so close ones stay legible.
    [{ at: 1, label: "grpc-js" }, ...references].forEach((ref, i) => {
      const labelY = i % 2 === 0 ? TOP - 20 : bottom - 3;
      out.push(
        `<line x1="${left + x(ref.at)}" x2="${left + x(ref.at)}" y1="${TOP - 26}" y2="${bottom}" stroke="#555555" stroke-dasharray="4 3"/>`,
        `<text x="${left + x(ref.at) + 3}" y="${labelY}" fill="#555555" font-size="9">${escapeXml(ref.label)}</text>`,
      );
    });
    rows.forEach((row, r) => {
      variants.forEach((variant, v) => {
        const cell = panel.cells.find((c) => c.workload === row.id && c.variant === variant.id);
        const y = TOP + r * rowH + v * (BAR_H + BAR_GAP);
        if (cell?.vsBaseline === undefined) {
          if (cell === undefined) return; // the variant does not serve this protocol
          out.push(`<text x="${left + 3}" y="${y + BAR_H - 1}" font-size="9" fill="#999999">no valid run</text>`);
          return;
        }
        const clipped = cell.vsBaseline > scaleMax;
        const w = Math.max(1, x(Math.min(cell.vsBaseline, scaleMax)));
        if (clipped) {
          out.push(`<path d="M${left + w} ${y - 1} l6 ${BAR_H / 2 + 1} l-6 ${BAR_H / 2 + 1} z" fill="${COLORS[v % COLORS.length]}"/>`);
        }
        out.push(
          `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[v % COLORS.length]}"><title>${escapeXml(
            `${variant.label}, ${row.label}: ${cell.vsBaseline.toFixed(2)}× grpc-js (${Math.round(cell.msgsPerSec ?? 0)}/s)`,
          )}</title></rect>`,
          `<text x="${left + w + (clipped ? 9 : 3)}" y="${y + BAR_H - 1}" font-size="9">${cell.vsBaseline.toFixed(2)}×</text>`,
        );
      });
    });
  });
  if (options.note) {
    out.push(`<text x="10" y="${height - 8}" font-size="10" fill="#555555">${escapeXml(options.note)}</text>`);
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
