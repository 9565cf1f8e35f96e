import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, parseFixture } from './fixture-support.ts';

const FILE = 'l1-sgd-momentum.json';
const text = readFileSync(join(FIXTURE_DIR, FILE), 'utf8');
const edited = (change: (raw: Record<string, unknown>) => void): string => {
  const raw = JSON.parse(text) as Record<string, unknown>;
  change(raw);
  return JSON.stringify(raw);
};

describe('parseFixture', () => {
  it('reads a recorded fixture', () => {
    expect(parseFixture(text, FILE).id).toBe('l1-sgd-momentum');
  });

  it('names the file and what is wrong: text that is not JSON, a bad case, a bad result', () => {
    expect(() => parseFixture(text.slice(0, 40), 'fixtures/torch/x.json')).toThrow(/^fixtures\/torch\/x\.json: not valid JSON: /);
    const noModel = edited((raw) => delete (raw.case as Record<string, unknown>).model);
    expect(() => parseFixture(noModel, 'x.json')).toThrow(/^x\.json: 'case': .*model/);
    const noParams = edited((raw) => delete (raw.result as Record<string, unknown>).params);
    expect(() => parseFixture(noParams, 'x.json')).toThrow(/^x\.json: 'result': .*params/);
  });
});
