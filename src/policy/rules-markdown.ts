import { SUPPRESSION_PREFIX } from './manifest';
import { PolicyPack } from './policy-pack';

/** RULES.md: every rule of the built-in packs, generated from the rules themselves (test/policy/rules-md.test.ts). */
export function rulesMarkdown(packs: PolicyPack[] = PolicyPack.builtIns()): string {
  const md = [
    '# Policy rules',
    '',
    '<!-- Generated from src/policy/rules by `npx projen docs:rules`; do not edit. -->',
    '',
    'Each rule reads the rendered objects (what `cdk8s synth` writes, escape-hatch edits and your own objects included) and',
    'says of each object: compliant, non-compliant or not applicable. Errors fail `Policy.enforce(app)` and the',
    '`cdk8s synth --validate` plugin; warnings and info are reported. See [docs/policy.md](docs/policy.md).',
    '',
    'Suppress a finding with a reason of at least 10 characters: `Policy.suppress(scope, \'<RULE-ID>\', \'why\')` (inherited by',
    `everything under \`scope\`), or the annotation \`${SUPPRESSION_PREFIX}<RULE-ID>: why\` on the object.`,
    '',
  ];
  for (const pack of packs) {
    md.push(`## Pack \`${pack.name}\``, '', '| rule | level | finding |', '| --- | --- | --- |');
    for (const r of pack.rules) md.push(`| [${r.id}](#${r.id.toLowerCase()}) | ${r.level} | ${r.finding} |`);
    md.push('');
  }
  const seen = new Set<string>();
  md.push('## Rules', '');
  for (const pack of packs) {
    for (const r of pack.rules) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const inPacks = packs.filter((p) => p.rules.some((x) => x.id === r.id)).map((p) => `\`${p.name}\``).join(', ');
      md.push(`### ${r.id}`, '', `**${r.level}**, in ${inPacks}. ${r.finding}`, '', r.explanation, '');
    }
  }
  return md.join('\n');
}
