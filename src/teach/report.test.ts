/** The report's structure, checked without a browser (the browser test checks what Chromium draws). */
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { decodeJson } from '../cases/json.ts';
import { CATALOGUE, type CatalogueEntry } from '../regularize/recipes.ts';
import { computeEvidence, type Evidence } from './evidence.ts';
import { buildFigures } from './figures.ts';
import { renderReport, seriesClass } from './report.ts';

const evidence = CATALOGUE.map((e) => computeEvidence(e));
const figures = buildFigures();
const html = await renderReport(CATALOGUE, evidence, figures);
const { document } = new JSDOM(html).window;

describe('the HTML report', () => {
  it('is self-contained: no script, nothing fetched, and a policy that forbids fetching', () => {
    expect(document.querySelectorAll('script, link, iframe, img, object, embed')).toHaveLength(0);
    const policy = document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '';
    expect(policy).toContain("default-src 'none'");
    for (const el of document.querySelectorAll('*')) {
      for (const attr of el.attributes) {
        if (['href', 'src', 'xlink:href', 'action', 'srcset'].includes(attr.name)) expect(attr.value, `${el.tagName} ${attr.name}`).toMatch(/^#/);
      }
    }
    for (const style of document.querySelectorAll('style')) expect(style.textContent).not.toMatch(/url\(|@import/);
  });

  it('has a section per entry with its verdict, code, evidence and claims', () => {
    CATALOGUE.forEach((entry, i) => {
      const section = document.getElementById(`entry-${entry.id}`)!;
      expect(section, entry.id).not.toBeNull();
      expect(section.textContent).toContain(entry.verdict);
      expect(section.querySelector('pre code')?.textContent).toBe(entry.pytorch);
      const claims = section.querySelector('.claims')?.textContent ?? '';
      for (const claim of entry.claims) expect(claims).toContain(claim);
      expect(claims, entry.id).toMatch(entry.claims.length === 1 ? /^Proven by the claim \S+\.$/ : /^Proven by the claims \S+(, \S+)+\.$/);
      expect(section.querySelectorAll('li.fact.agrees')).toHaveLength(evidence[i].facts.length);
    });
  });

  it('puts each figure in its entry, with every series carrying its points', () => {
    for (const f of figures) {
      const el = document.getElementById(f.id)!;
      expect(el.closest('section')?.id, f.id).toBe(`entry-${f.entryId}`);
      for (const p of f.panels) {
        const panel = el.querySelector(`[data-panel="${p.key}"]`)!;
        expect(panel.getAttribute('data-y-scale')).toBe(p.yScale);
        for (const s of p.series) {
          const g = panel.querySelector(`g.${seriesClass(s.key)}`)!;
          expect(g.getAttribute('data-label')).toBe(s.label);
          expect(decodeJson(g.getAttribute('data-points')!)).toEqual(s.points);
        }
      }
    }
  });

  it('says so when evidence contradicts a verdict, and when an entry has none', async () => {
    const unknown: CatalogueEntry = { id: 'adamw-decoupled', title: 'AdamW', pytorch: 'AdamW(params, weight_decay=lam)', computes: 'c', verdictKind: 'fact', verdict: 'v', claims: ['adam.x'] };
    const wrong: Evidence = { entryId: 'half-pow-sum', setup: 's', facts: [{ measured: 'gap', value: 1, predicted: '0', agrees: false }] };
    const page = new JSDOM(await renderReport([CATALOGUE[0], unknown], [wrong, computeEvidence(unknown)], [])).window.document;
    const summary = page.querySelector('.summary')!;
    expect(summary.classList.contains('bad')).toBe(true);
    expect(summary.getAttribute('data-contradictions')).toBe('1');
    expect(page.querySelector('#entry-half-pow-sum li.fact.contradicts')?.textContent).toContain('contradicts the verdict');
    expect(page.getElementById('entry-adamw-decoupled')?.getAttribute('data-evidence')).toBe('none');
    expect(page.querySelector('#entry-adamw-decoupled .evidence')?.textContent).toContain('None computed live');
  });

  it('collects figures of entries missing from the catalogue under "More plots"', async () => {
    const page = new JSDOM(await renderReport(CATALOGUE.slice(0, 1), evidence.slice(0, 1), figures.slice(0, 2))).window.document;
    expect(page.getElementById(figures[1].id)?.closest('section')?.id).toBe('more-plots');
  });
});
