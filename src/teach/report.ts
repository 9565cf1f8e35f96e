/**
 * The HTML form of `regproof explain`: one self-contained page. Observable Plot draws every chart
 * into inline SVG when the report is generated (jsdom supplies the document), so viewing the page
 * needs no script, no font and no network; a Content-Security-Policy forbids fetching anything.
 * Every plotted series carries its data in attributes (data-series, data-points, ...), so a test
 * can check what was drawn against what was computed.
 */
import type { LegendScales, Markish } from '@observablehq/plot';
import { encodeJson } from '../cases/json.ts';
import type { CatalogueEntry } from '../regularize/recipes.ts';
import type { Evidence } from './evidence.ts';
import type { Figure, Panel, SeriesStyle } from './figures.ts';
import { formatNumber, formatValue } from './format.ts';
import { THREAD_SETUP } from './scenarios.ts';
import { NO_LIVE_EVIDENCE, contradictions } from './terminal.ts';

type PlotModule = typeof import('@observablehq/plot');

const STYLES: Record<SeriesStyle, { color: string; width: number; dash?: string }> = {
  under: { color: '#8db7e6', width: 7 },
  over: { color: '#14365d', width: 1.75, dash: '6,4' },
  reference: { color: '#9a9a9a', width: 1.5 },
  contrast: { color: '#c8383a', width: 2 },
};

/** The class Plot puts on a series' mark group, so the report can find it and annotate it. */
export const seriesClass = (key: string): string => `series-${key}`;
export const nanClass = (key: string): string => `nan-${key}`;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

type Point = [number, number];

/** The width the panels of a figure share in a row (main's 1080 px less its and the figure's padding). */
const ROW_WIDTH = 940;
/** The horizontal gap between panels, as .panels sets it in the CSS below. */
const PANEL_GAP = 20;

/** Up to three panels fill one row together; more wrap into rows of three. */
function panelWidth(panelCount: number): number {
  const perRow = Math.min(panelCount, 3);
  return Math.floor((ROW_WIDTH - PANEL_GAP * (perRow - 1)) / perRow);
}

function renderPanel(Plot: PlotModule, document: Document, panel: Panel, panelCount: number): string {
  const x = (d: Point) => d[0];
  const y = (d: Point) => d[1];
  const marks: Markish[] = [];
  for (const s of panel.series) {
    const style = STYLES[s.style];
    const common = { x, y, className: seriesClass(s.key) };
    marks.push(
      panel.mark === 'line'
        ? Plot.line(s.points, { ...common, stroke: style.color, strokeWidth: style.width, strokeDasharray: style.dash, title: () => s.label })
        : Plot.dot(s.points, { ...common, fill: style.color, r: 4, title: (d: Point) => `${s.label} at ${formatNumber(d[0])}: ${formatNumber(d[1])}` }),
    );
    const nan = s.points.filter(([, v]) => Number.isNaN(v));
    if (nan.length > 0) {
      // A NaN has no place on the y axis: mark its x with a dashed rule, labelled halfway up.
      const color = STYLES.contrast.color;
      marks.push(
        Plot.ruleX(nan, { x, stroke: color, strokeDasharray: '3,3', className: nanClass(s.key) }),
        Plot.text(nan, { x, frameAnchor: 'middle', textAnchor: 'start', dx: 5, text: () => 'NaN', fill: color, fontWeight: 'bold', fontSize: 13, className: nanClass(s.key) }),
      );
    }
  }
  const svg = Plot.plot({
    document,
    width: panelWidth(panelCount),
    height: 260,
    marginLeft: 52,
    marginRight: 16,
    marginTop: 28,
    marginBottom: 44,
    style: { fontSize: '12px' },
    x: { label: panel.xLabel, labelAnchor: 'center', labelOffset: 38 },
    // Few log ticks keep the grid to the powers of ten; '~g' writes them as 0.1 and 10, not 100m.
    y: { label: panel.yLabel, type: panel.yScale, grid: true, ...(panel.yScale === 'log' ? { ticks: 3, tickFormat: '~g' } : {}) },
    marks,
  });
  for (const s of panel.series) {
    const g = svg.querySelector(`g.${seriesClass(s.key)}`);
    if (g === null) throw new Error(`report: Plot drew no mark for series '${s.key}' of panel '${panel.key}'`);
    g.setAttribute('data-series', s.key);
    g.setAttribute('data-label', s.label);
    g.setAttribute('data-style', s.style);
    g.setAttribute('data-points', encodeJson(s.points));
    if (s.matches !== undefined) g.setAttribute('data-matches', s.matches);
  }
  return (
    `<div class="panel" data-panel="${escapeHtml(panel.key)}" data-mark="${panel.mark}" data-y-scale="${panel.yScale}" ` +
    `data-x-label="${escapeHtml(panel.xLabel)}" data-y-label="${escapeHtml(panel.yLabel)}">` +
    `<h4>${escapeHtml(panel.title)}</h4>${svg.outerHTML}</div>`
  );
}

/** One legend per figure: each series key once, with the colour it has in every panel. */
function renderLegend(Plot: PlotModule, document: Document, figure: Figure): string {
  const byKey = new Map<string, { label: string; style: SeriesStyle }>();
  for (const s of figure.panels.flatMap((p) => p.series)) {
    const seen = byKey.get(s.key);
    if (seen !== undefined && (seen.label !== s.label || seen.style !== s.style)) {
      throw new Error(`report: series '${s.key}' of figure '${figure.id}' is drawn with two labels or styles; the legend could not name it`);
    }
    byKey.set(s.key, { label: s.label, style: s.style });
  }
  // legend() reads `document` as plot() does (both go through Plot's createContext), though its
  // type declaration leaves the option out.
  const options: LegendScales & { document: Document } = {
    document,
    color: { type: 'ordinal', domain: [...byKey.values()].map((s) => s.label), range: [...byKey.values()].map((s) => STYLES[s.style].color) },
    swatchSize: 14,
    style: { fontSize: '13px' },
  };
  const legend = Plot.legend(options);
  if (legend === undefined) throw new Error(`report: Plot drew no legend for figure '${figure.id}'`);
  return `<div class="legend">${legend.outerHTML}</div>`;
}

function renderFigure(Plot: PlotModule, document: Document, figure: Figure): string {
  const panels = figure.panels.map((p) => renderPanel(Plot, document, p, figure.panels.length)).join('');
  return (
    `<figure class="plot" id="${escapeHtml(figure.id)}" data-plot="${escapeHtml(figure.id)}" data-entry="${escapeHtml(figure.entryId)}" data-panels="${figure.panels.length}">` +
    `<figcaption><strong>${escapeHtml(figure.title)}.</strong> ${escapeHtml(figure.caption)}</figcaption>` +
    `${renderLegend(Plot, document, figure)}<div class="panels">${panels}</div></figure>`
  );
}

function renderEvidence(evidence: Evidence | undefined): string {
  if (evidence === undefined || evidence.facts.length === 0) {
    return `<div class="evidence none"><h3>Evidence</h3><p>${escapeHtml(NO_LIVE_EVIDENCE.replace(/^none/, 'None'))}</p></div>`;
  }
  const facts = evidence.facts
    .map(
      (f) =>
        `<li class="fact ${f.agrees ? 'agrees' : 'contradicts'}" data-agrees="${f.agrees}">` +
        `<span class="mark">${f.agrees ? '✓' : '✗ contradicts the verdict:'}</span> ` +
        `${escapeHtml(f.measured)}: <strong class="value">${escapeHtml(formatValue(f.value))}</strong>` +
        (f.detail === undefined ? '' : ` <span class="detail">(${escapeHtml(f.detail)})</span>`) +
        `<div class="predicted">Predicted: ${escapeHtml(f.predicted)}</div></li>`,
    )
    .join('');
  return `<div class="evidence"><h3>Evidence, computed live on ${escapeHtml(evidence.setup ?? '')}</h3><ul>${facts}</ul></div>`;
}

function renderEntry(entry: CatalogueEntry, index: number, evidence: Evidence | undefined, figures: string[]): string {
  const wrong = evidence?.facts.some((f) => !f.agrees) ?? false;
  return (
    `<section class="entry" id="entry-${escapeHtml(entry.id)}" data-entry="${escapeHtml(entry.id)}" data-verdict-kind="${escapeHtml(entry.verdictKind)}" ` +
    `data-evidence="${(evidence?.facts.length ?? 0) > 0 ? 'live' : 'none'}" data-contradicted="${wrong}">` +
    `<h2><span class="num">${index + 1}.</span> ${escapeHtml(entry.title)} <code class="id">${escapeHtml(entry.id)}</code></h2>` +
    `<p class="verdict"><span class="badge kind-${escapeHtml(entry.verdictKind)}">${escapeHtml(entry.verdictKind)}</span> ${escapeHtml(entry.verdict)}</p>` +
    `<div class="idea"><div class="label">In PyTorch</div><pre><code>${escapeHtml(entry.pytorch)}</code></pre></div>` +
    `<p class="computes"><span class="label">Computes</span> ${escapeHtml(entry.computes)}</p>` +
    renderEvidence(evidence) +
    figures.join('') +
    `<p class="claims">Proven by the ${entry.claims.length === 1 ? 'claim' : 'claims'} ${entry.claims.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ')}.</p></section>`
  );
}

const CSS = `
:root { color-scheme: light; --ink: #1d232b; --muted: #5b6672; --line: #dde3ea; --paper: #fff; --wash: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--wash); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 26px; margin: 8px 0 4px; }
header p { color: var(--muted); margin: 6px 0; }
.summary { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
.summary.bad { border-color: #c8383a; background: #fff3f3; }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
nav a { color: #1f5fae; text-decoration: none; }
.entry { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin: 18px 0; }
.entry h2 { font-size: 19px; margin: 0 0 8px; }
.entry h2 .num { color: var(--muted); }
.entry h2 code.id { font-size: 12px; color: var(--muted); font-weight: normal; margin-left: 6px; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; margin-right: 6px; background: #e4e9f0; color: #34414f; }
.kind-equivalent { background: #dff3e4; color: #1c6b34; }
.kind-equivalent-within-rounding { background: #ddf1f1; color: #176767; }
.kind-not-equivalent, .kind-detached { background: #fbe1e1; color: #9b2326; }
.kind-pitfall { background: #fdecd6; color: #8a4b08; }
.verdict { font-weight: 500; }
.label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin-right: 8px; }
pre { background: #f2f4f7; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; overflow-x: auto; margin: 4px 0 10px; font-size: 13px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.evidence h3 { font-size: 14px; margin: 12px 0 4px; }
.evidence ul { list-style: none; padding: 0; margin: 0; }
.fact { padding: 4px 0 4px 24px; position: relative; }
.fact .mark { position: absolute; left: 0; font-weight: 700; color: #1c6b34; }
.fact.contradicts { color: #9b2326; padding-left: 0; }
.fact.contradicts .mark { position: static; color: #9b2326; }
.fact .detail, .fact .predicted { color: var(--muted); font-size: 13px; }
figure.plot { margin: 14px 0 6px; padding: 12px; border: 1px solid var(--line); border-radius: 8px; background: #fcfdfe; }
figcaption { margin-bottom: 6px; }
.panels { display: flex; flex-wrap: wrap; gap: 8px ${PANEL_GAP}px; }
.panel h4 { margin: 6px 0 0; font-size: 13px; color: var(--muted); font-weight: 600; }
.claims { color: var(--muted); font-size: 13px; margin-bottom: 0; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; }
`;

function renderReportWith(Plot: PlotModule, document: Document, entries: readonly CatalogueEntry[], evidence: readonly Evidence[], figures: readonly Figure[]): string {
  const byId = new Map(evidence.map((e) => [e.entryId, e]));
  const ids = new Set(entries.map((e) => e.id));
  const rendered = figures.map((f) => ({ figure: f, html: renderFigure(Plot, document, f) }));
  const figuresOf = (id: string) => rendered.filter((r) => r.figure.entryId === id).map((r) => r.html);
  const orphans = rendered.filter((r) => !ids.has(r.figure.entryId)).map((r) => r.html);
  const wrong = contradictions(evidence);
  const facts = evidence.reduce((n, e) => n + e.facts.length, 0);
  const live = entries.filter((e) => (byId.get(e.id)?.facts.length ?? 0) > 0).length;
  const toc = entries
    .map((e) => `<li><a href="#entry-${escapeHtml(e.id)}">${escapeHtml(e.title)}</a> <span class="badge kind-${escapeHtml(e.verdictKind)}">${escapeHtml(e.verdictKind)}</span></li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>regproof explain: manual L1/L2 regularization, with evidence</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Manual L1/L2 regularization, explained with evidence</h1>
<p>Each way the classic forum thread wrote a penalty, with its verdict and the evidence for it, computed live by regproof's reference engine (float64, fixed seeds: the same numbers on every run).</p>
<p>“The thread's case” is ${escapeHtml(THREAD_SETUP)}.</p>
</header>
<div class="summary${wrong === 0 ? '' : ' bad'}" data-entries="${entries.length}" data-live="${live}" data-facts="${facts}" data-contradictions="${wrong}">
${entries.length} entries, ${live} with live evidence; ${facts} measurements, ${wrong === 0 ? 'all as their verdicts predict' : `<strong>${wrong} contradicting their verdicts</strong> (the engine or the catalogue is wrong)`}.
<nav><ol>${toc}</ol></nav>
</div>
${entries.map((e, i) => renderEntry(e, i, byId.get(e.id), figuresOf(e.id))).join('\n')}
${orphans.length === 0 ? '' : `<section class="entry" id="more-plots"><h2>More plots</h2>${orphans.join('')}</section>`}
<footer>Generated by <code>regproof explain --html</code>. The plots were drawn with Observable Plot into inline SVG when this page was generated; the page runs no script and loads nothing.</footer>
</main>
</body>
</html>
`;
}

/** The whole report as one HTML string. Loads jsdom and Plot only when a report is asked for. */
export async function renderReport(entries: readonly CatalogueEntry[], evidence: readonly Evidence[], figures: readonly Figure[]): Promise<string> {
  const [{ JSDOM }, Plot] = await Promise.all([import('jsdom'), import('@observablehq/plot')]);
  const { window } = new JSDOM('');
  try {
    return renderReportWith(Plot, window.document, entries, evidence, figures);
  } finally {
    window.close();
  }
}
