/**
 * The HTML report in a real headless Chromium (Debian's /usr/bin/chromium): it loads without
 * console errors or network requests, and every plot is drawn with its data: the SVG's vertices
 * and dots are checked against the computed points through the plot's own scales, not by pixels.
 * A screenshot is saved to report.png in a temporary folder (named in the test's title) for people
 * to look at; nothing is written into the working tree.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeJson } from '../cases/json.ts';
import { runExplain } from '../cli/explain.ts';
import { CATALOGUE, PENALTIES } from '../regularize/recipes.ts';
import { computeEvidence } from './evidence.ts';
import { buildFigures, type Figure, type Panel } from './figures.ts';
import { nanClass, renderReport, seriesClass } from './report.ts';
import { referenceRunner } from './scenarios.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`SKIPPING the browser test of the HTML report: ${CHROMIUM} is missing (install Debian's chromium: apt-get install -y chromium).`);
}

// One folder per checkout, so runs in two checkouts never share files.
const checkout = createHash('sha256').update(fileURLToPath(new URL('../..', import.meta.url))).digest('hex').slice(0, 12);
const ARTIFACTS = join(tmpdir(), `regproof-artifacts-${checkout}`, '/');
const REPORT = `${ARTIFACTS}report.html`;
const SCREENSHOT = `${ARTIFACTS}report.png`;

/** What the page shows of one panel, read from the DOM. */
interface DrawnPanel {
  xLabel: string;
  yLabel: string;
  width: number;
  height: number;
  series: { key: string; points: string; matches: string | null; paths: string[]; circles: [number, number][] }[];
  nan: { key: string; rules: number[]; texts: string[] }[];
}

interface DrawnFigure {
  width: number;
  height: number;
  /** How much of the panels' row, from its left edge, the panels' rightmost edge reaches (1: all of it). */
  filled: number;
  legend: string[];
  panels: Record<string, DrawnPanel>;
}

type Point = [number, number];

/** The vertices of an SVG path made of M and L commands, as Plot's line mark writes it. */
function vertices(d: string): Point[] {
  const out: Point[] = [];
  for (const m of d.matchAll(/[ML]\s*(-?[\d.]+(?:e[-+]?\d+)?)[ ,](-?[\d.]+(?:e[-+]?\d+)?)/g)) out.push([Number(m[1]), Number(m[2])]);
  const commands = (d.match(/[A-Za-z]/g) ?? []).filter((c) => c !== 'e');
  if (commands.some((c) => c !== 'M' && c !== 'L') || commands.length !== out.length) throw new Error(`unexpected path data: ${d.slice(0, 80)}`);
  return out;
}

/**
 * Checks that pixel = a + b·f(value) for one affine map over every pair: the panel's single scale.
 * d3-path writes coordinates to 3 decimals (≤ 0.0005 px off each); the map fitted through two of
 * them is off by at most 0.001 px anywhere in the range, so 0.002 px covers both.
 */
function checkAffine(pairs: [number, number][], f: (v: number) => number, what: string, problems: string[]): void {
  const mapped = pairs.map(([v, px]) => [f(v), px] as const);
  const lo = mapped.reduce((a, b) => (b[0] < a[0] ? b : a));
  const hi = mapped.reduce((a, b) => (b[0] > a[0] ? b : a));
  const slope = hi[0] === lo[0] ? 0 : (hi[1] - lo[1]) / (hi[0] - lo[0]);
  if (hi[0] !== lo[0] && slope === 0) problems.push(`${what}: the scale is flat`);
  const off = mapped.find(([v, px]) => !(Math.abs(px - (lo[1] + slope * (v - lo[0]))) <= 0.002));
  if (off !== undefined) problems.push(`${what}: value ${off[0]} drawn at ${off[1]} px, but the scale through the extremes puts it at ${lo[1] + slope * (off[0] - lo[0])} px`);
}

function checkPanel(figure: Figure, panel: Panel, drawn: DrawnPanel | undefined, problems: string[]): void {
  const where = `${figure.id} / ${panel.key}`;
  const problem = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${where}: ${message}`);
  };
  if (drawn === undefined) return problem(false, 'panel missing from the page');
  problem(drawn.width > 100 && drawn.height > 100, `panel drawn ${drawn.width}×${drawn.height} px`);
  problem(drawn.xLabel.includes(panel.xLabel), `x axis labelled '${drawn.xLabel}', expected '${panel.xLabel}'`);
  problem(drawn.yLabel.includes(panel.yLabel), `y axis labelled '${drawn.yLabel}', expected '${panel.yLabel}'`);
  const xPairs: [number, number][] = [];
  const yPairs: [number, number][] = [];
  const pathsByKey = new Map<string, string>();
  for (const series of panel.series) {
    const seen = drawn.series.find((s) => s.key === series.key);
    if (seen === undefined) {
      problem(false, `series '${series.key}' missing`);
      continue;
    }
    problem(seen.points === encodeJson(series.points), `data-points of '${series.key}' are not the computed points`);
    const drawable = series.points.filter(([, y]) => Number.isFinite(y) && (panel.yScale === 'linear' || y > 0));
    const drawnPoints = panel.mark === 'line' ? seen.paths.flatMap(vertices) : seen.circles;
    if (drawnPoints.length !== drawable.length) {
      problem(false, `'${series.key}' shows ${drawnPoints.length} vertices or dots for ${drawable.length} finite points`);
      continue;
    }
    drawable.forEach(([x, y], i) => {
      xPairs.push([x, drawnPoints[i][0]]);
      yPairs.push([y, drawnPoints[i][1]]);
    });
    pathsByKey.set(series.key, seen.paths.join(' '));
    const nanXs = series.points.filter(([, y]) => Number.isNaN(y)).map(([x]) => x);
    const markers = drawn.nan.find((n) => n.key === series.key) ?? { rules: [], texts: [] };
    problem(markers.rules.length === nanXs.length && markers.texts.length === nanXs.length && markers.texts.every((t) => t === 'NaN'), `'${series.key}' has ${nanXs.length} NaN values but ${markers.rules.length} NaN rules labelled ${JSON.stringify(markers.texts)}`);
    if (markers.rules.length === nanXs.length) markers.rules.forEach((px, i) => xPairs.push([nanXs[i], px]));
  }
  if (xPairs.length > 0) {
    checkAffine(xPairs, (v) => v, `${where}: x`, problems);
    checkAffine(yPairs, panel.yScale === 'log' ? Math.log : (v) => v, `${where}: y`, problems);
  }
  for (const series of panel.series) {
    if (series.matches === undefined || !pathsByKey.has(series.key)) continue;
    problem(pathsByKey.get(series.key) === pathsByKey.get(series.matches), `'${series.key}' should be drawn exactly on '${series.matches}'`);
  }
}

/** Everything the page shows of the figures, read from the DOM after an optional tampering script. */
async function inspect(browser: Browser, file: string, figures: readonly Figure[], options: { tamper?: string; screenshot?: string } = {}): Promise<{ errors: string[]; requests: string[]; url: string; drawn: Record<string, DrawnFigure | null> }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  if (options.tamper !== undefined) await page.evaluate(options.tamper);
  const drawn = await page.evaluate(
    ({ ids, seriesPrefix, nanPrefix }) => {
      const text = (root: Element, label: string) => root.querySelector(`g[aria-label="${label}"]`)?.textContent ?? '';
      const out: Record<string, DrawnFigure | null> = {};
      for (const id of ids) {
        const figure = document.getElementById(id);
        if (figure === null) {
          out[id] = null;
          continue;
        }
        const box = figure.getBoundingClientRect();
        const panels: Record<string, DrawnPanel> = {};
        for (const panel of figure.querySelectorAll('.panel')) {
          const svg = panel.querySelector('svg')!;
          const svgBox = svg.getBoundingClientRect();
          panels[panel.getAttribute('data-panel')!] = {
            xLabel: text(svg, 'x-axis label'),
            yLabel: text(svg, 'y-axis label'),
            width: svgBox.width,
            height: svgBox.height,
            series: [...svg.querySelectorAll(`g[class^="${seriesPrefix}"]`)].map((g) => ({
              key: g.getAttribute('data-series') ?? '',
              points: g.getAttribute('data-points') ?? '',
              matches: g.getAttribute('data-matches'),
              paths: [...g.querySelectorAll('path')].map((p) => p.getAttribute('d') ?? ''),
              circles: [...g.querySelectorAll('circle')].map((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))] as [number, number]),
            })),
            nan: [...new Set([...svg.querySelectorAll(`g[class^="${nanPrefix}"]`)].map((g) => g.getAttribute('class')!))].map((cls) => ({
              key: cls.slice(nanPrefix.length),
              rules: [...svg.querySelectorAll(`g.${cls} line`)].map((l) => Number(l.getAttribute('x1'))),
              texts: [...svg.querySelectorAll(`g.${cls} text`)].map((t) => t.textContent ?? ''),
            })),
          };
        }
        const legend = [...figure.querySelectorAll('.legend span')].map((s) => s.textContent ?? '');
        const row = figure.querySelector('.panels')!.getBoundingClientRect();
        const right = Math.max(...[...figure.querySelectorAll('.panel svg')].map((svg) => svg.getBoundingClientRect().right));
        out[id] = { width: box.width, height: box.height, filled: (right - row.left) / row.width, legend, panels };
      }
      return out;
    },
    { ids: figures.map((f) => f.id), seriesPrefix: seriesClass(''), nanPrefix: nanClass('') },
  );
  if (options.screenshot !== undefined) await page.screenshot({ path: options.screenshot, fullPage: true });
  await page.close();
  return { errors, requests, url, drawn };
}

/** Every way the page fails to load cleanly, fetches something, or draws a figure without its data. */
function pageProblems(figures: readonly Figure[], { errors, requests, url, drawn }: Awaited<ReturnType<typeof inspect>>): string[] {
  const problems = [...errors];
  for (const r of requests) if (r !== url) problems.push(`request besides the page itself: ${r}`);
  for (const figure of figures) {
    const seen = drawn[figure.id];
    if (seen === null) {
      problems.push(`figure #${figure.id} missing from the page`);
      continue;
    }
    if (!(seen.width * seen.height > 0)) problems.push(`figure #${figure.id} is not visible`);
    // The row is 1014 px wide at this viewport and the panels share 940 px of it (93%).
    if (!(seen.filled >= 0.9)) problems.push(`figure #${figure.id}: its panels fill ${(100 * seen.filled).toFixed(0)}% of the width of its box`);
    const labels = [...new Map(figure.panels.flatMap((p) => p.series).map((s) => [s.key, s.label])).values()];
    if (JSON.stringify(seen.legend) !== JSON.stringify(labels)) problems.push(`figure #${figure.id}: legend ${JSON.stringify(seen.legend)}, expected ${JSON.stringify(labels)}`);
    const keys = figure.panels.map((p) => p.key);
    if (JSON.stringify(Object.keys(seen.panels)) !== JSON.stringify(keys)) problems.push(`figure #${figure.id}: panels ${Object.keys(seen.panels).join(', ')}, expected ${keys.join(', ')}`);
    for (const panel of figure.panels) checkPanel(figure, panel, seen.panels[panel.key], problems);
  }
  return problems;
}

const FIGURES = buildFigures();

describe.skipIf(!hasChromium)(`the HTML report in headless Chromium${hasChromium ? '' : ` (SKIPPED: ${CHROMIUM} missing)`}`, () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runExplain(['--html', REPORT])).toBe(0);
    } finally {
      write.mockRestore();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it(`loads without errors or requests, and draws every plot with its data (screenshot: ${SCREENSHOT})`, async () => {
    expect(pageProblems(FIGURES, await inspect(browser, REPORT, FIGURES, { screenshot: SCREENSHOT }))).toEqual([]);
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('catches drawings that do not match their data', async () => {
    const panel = (figure: string, key: string) => `document.querySelector('#${figure} [data-panel="${key}"]')`;
    const tamper = [
      // A curve loses its last vertex.
      `{ const p = ${panel('plot-l2-vs-weight-decay', 'parameterNorm')}.querySelector('g.series-decay path'); p.setAttribute('d', p.getAttribute('d').replace(/L[^L]*$/, '')); }`,
      // A vertex is drawn 3 px off its value.
      `{ const p = ${panel('plot-stability', 'parameterNorm')}.querySelector('g.series-unstable path'); p.setAttribute('d', p.getAttribute('d').replace(/L([\\d.]+),([\\d.]+)/, (_, x, y) => 'L' + x + ',' + (Number(y) + 3))); }`,
      // A series' data attribute describes another curve.
      `{ const p = ${panel('plot-l2-without-half', 'dataLoss')}; p.querySelector('g.series-decay-2').setAttribute('data-points', p.querySelector('g.series-decay').getAttribute('data-points')); }`,
      // The NaN marker and a dot are gone.
      `${panel('plot-gradient-at-zero', 'gradient-sqrt')}.querySelector('g.nan-sqrt').remove()`,
      `${panel('plot-gradient-at-zero', 'gradient-norm')}.querySelector('g.series-norm circle').remove()`,
      // A panel drawn at half the width of its row.
      `{ const svg = ${panel('plot-missing-zero-grad', 'dataLoss')}.closest('figure').querySelectorAll('svg'); svg.forEach((s) => s.setAttribute('width', 230)); }`,
    ].join(';\n');
    const problems = pageProblems(FIGURES, await inspect(browser, REPORT, FIGURES, { tamper }));
    const expected = [
      /plot-l2-vs-weight-decay \/ parameterNorm: 'decay' shows 40 vertices or dots for 41 finite points/,
      /plot-stability \/ parameterNorm: y: value .* drawn at .* px, but the scale/,
      /plot-l2-without-half \/ dataLoss: data-points of 'decay-2' are not the computed points/,
      /plot-gradient-at-zero \/ gradient-sqrt: 'sqrt' has 1 NaN values but 0 NaN rules/,
      /plot-gradient-at-zero \/ gradient-norm: 'norm' shows 20 vertices or dots for 21 finite points/,
      /figure #plot-missing-zero-grad: its panels fill \d+% of the width of its box/,
    ];
    for (const message of expected) expect(problems.some((p) => message.test(p)), `${message} among\n${problems.join('\n')}`).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it('catches curves that should overlap but do not, from an engine whose λ·Σw² lost its factor 2', async () => {
    const run = referenceRunner({ penalties: { ...PENALTIES, 'pow-sum': PENALTIES['half-pow-sum'] } });
    const figures = buildFigures(run).filter((f) => f.id === 'plot-l2-without-half');
    const entries = CATALOGUE.filter((e) => e.id === 'pow-sum');
    const file = `${ARTIFACTS}report-broken-engine.html`;
    writeFileSync(file, await renderReport(entries, entries.map((e) => computeEvidence(e)), figures));
    const problems = pageProblems(figures, await inspect(browser, file, figures).finally(() => rmSync(file)));
    expect(problems).toEqual([
      "plot-l2-without-half / dataLoss: 'decay-2' should be drawn exactly on 'manual'",
      "plot-l2-without-half / parameterNorm: 'decay-2' should be drawn exactly on 'manual'",
    ]);
  });

  it('catches a console error and a network request', async () => {
    const file = `${ARTIFACTS}report-broken-page.html`;
    writeFileSync(file, readFileSync(REPORT, 'utf8').replace('</main>', '<img src="http://example.invalid/tracker.png" alt=""></main>'));
    const problems = pageProblems(FIGURES, await inspect(browser, file, FIGURES).finally(() => rmSync(file)));
    expect(problems.join('\n')).toMatch(/Content Security Policy/);
  });
});
