import { parseImage } from './image-reference';
import { everyContainer, workloadPodSpec } from './pod-security';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * `postgres:16` or `node:20-alpine` is a tag its publisher moves to every release of that major version: pinned in name
 * only. The library refuses such versions for its built-in engines; this rule points them out in other images.
 * Two numbers are not judged: `redis:7.2` floats, but `postgres:16.6` is one PostgreSQL release (its versions have had
 * two parts since 10), and only the image's publisher knows which scheme applies.
 */
export const specificImageTag: IPolicyRule = {
  id: 'SEC-SPECIFIC-IMAGE-TAG',
  level: RuleLevel.INFO,
  finding: 'A container image tag names only a major version, which its publisher moves with every release.',
  explanation: 'Use the full version (`16.6`, `7.2.6`) or a digest, so that every replica and every restart runs the build you tested; '
    + 'upgrade by changing the tag.',
  evaluate(o: any): Verdict {
    const spec = workloadPodSpec(o);
    if (!spec) return Verdict.notApplicable();
    const problems: string[] = [];
    for (const { name, container } of everyContainer(spec)) {
      if (typeof container.image !== 'string') continue;
      const { tag, digest } = parseImage(container.image.trim());
      if (!digest && tag && isFloatingVersion(tag)) {
        problems.push(`container "${name}" image ${container.image} uses the floating version tag ${tag}`);
      }
    }
    return Verdict.fromProblems(problems);
  },
};

/**
 * `16`, `v1`, `16-alpine`, `20-bookworm`: one version number, optionally a variant word; not a patch or pre-release mark
 * (`3-p3`, `2-rc1`), which names one build.
 */
function isFloatingVersion(tag: string): boolean {
  return /^v?\d+(-(?!(?:rc|alpha|beta)\.?\d)[A-Za-z]{2,}[A-Za-z0-9.]*)?$/.test(tag);
}
