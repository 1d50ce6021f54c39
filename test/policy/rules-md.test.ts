import * as fs from 'fs';
import * as path from 'path';
import { PolicyPack } from '../../src';
import { rulesMarkdown } from '../../src/policy/rules-markdown';

const RULES_MD = path.resolve(__dirname, '../../RULES.md');

describe('RULES.md', () => {
  test('is generated from the rules and committed (npx projen docs:rules writes it)', () => {
    const expected = rulesMarkdown();
    if (process.env.UPDATE_RULES_MD === '1') fs.writeFileSync(RULES_MD, expected);
    expect(fs.readFileSync(RULES_MD, 'utf8')).toBe(expected);
  });

  test('lists every rule of both built-in packs, with its level and explanation', () => {
    const text = rulesMarkdown();
    for (const pack of PolicyPack.builtIns()) {
      for (const rule of pack.rules) {
        expect(text).toContain(`### ${rule.id}`);
        expect(text).toContain(rule.explanation);
      }
    }
  });
});
