import { scheduleGapMinutes } from './backup-objects';
import { describeDuration } from '../../../dr/recovery-objectives';
import { HINT_RPO_SECONDS, HINT_RPO_TARGET_SECONDS, annotationsOf, numberHint } from '../../manifest';
import { PolicyContext } from '../../policy-context';
import { IPolicyRule, RuleLevel, Verdict } from '../../rule';

/**
 * A backup's worst-case RPO is the longest gap between two of its runs. The library writes it on the CronJob; the
 * rule holds it to the target and recomputes it from the schedule the CronJob really has, so an escape-hatch edit of
 * `schedule` or `timeZone` (or a hand-written figure) cannot claim a better RPO than the controller will give.
 */
export const rpoTarget: IPolicyRule = {
  id: 'DOK-RPO-TARGET',
  level: RuleLevel.ERROR,
  finding: 'A backup misses its RPO target, or states an RPO its schedule does not give.',
  explanation: `On a backup CronJob with \`${HINT_RPO_TARGET_SECONDS}\`, the worst-case RPO (\`${HINT_RPO_SECONDS}\`, the longest gap `
    + 'between two runs in the CronJob\'s time zone, DST included) must be at most the target; and on every CronJob that states an RPO, the '
    + 'figure must be at least what its schedule gives. Run the backup more often, or agree a longer target; a backup that cannot show its '
    + 'RPO cannot prove it meets one.',
  evaluate(o: any, _context: PolicyContext): Verdict {
    const annotations = annotationsOf(o);
    const hasTarget = annotations[HINT_RPO_TARGET_SECONDS] !== undefined;
    const hasRpo = annotations[HINT_RPO_SECONDS] !== undefined;
    if (!hasTarget && !(hasRpo && o?.kind === 'CronJob')) return Verdict.notApplicable();
    const problems: string[] = [];
    const rpo = numberHint(o, HINT_RPO_SECONDS);
    const target = numberHint(o, HINT_RPO_TARGET_SECONDS);
    if (hasRpo && rpo === undefined) problems.push(`\`${HINT_RPO_SECONDS}\` ${JSON.stringify(annotations[HINT_RPO_SECONDS])} is not a whole number of seconds`);
    if (hasTarget && target === undefined) {
      problems.push(`\`${HINT_RPO_TARGET_SECONDS}\` ${JSON.stringify(annotations[HINT_RPO_TARGET_SECONDS])} is not a whole number of seconds`);
    }
    if (hasTarget && !hasRpo) problems.push(`target ${describe(target)} but no \`${HINT_RPO_SECONDS}\`: the RPO cannot be shown to meet it`);

    // What the schedule gives, whatever the annotation says.
    let scheduled: number | undefined;
    if (o?.kind === 'CronJob') {
      if (o.spec?.suspend === true) problems.push('is suspended (`spec.suspend: true`): no run, the RPO is unbounded');
      const gap = scheduleGapMinutes(o);
      if (typeof gap === 'string') problems.push(`${gap}: the RPO cannot be computed`);
      else scheduled = gap * 60;
      if (scheduled !== undefined && rpo !== undefined && rpo < scheduled) {
        problems.push(`states a worst-case RPO of ${describeDuration(rpo)}, but schedule "${o.spec.schedule}"${zoneWords(o)} runs up to `
          + `${describeDuration(scheduled)} apart`);
      }
    }
    const worst = Math.max(rpo ?? 0, scheduled ?? 0);
    if (target !== undefined && (rpo !== undefined || scheduled !== undefined) && worst > target) {
      problems.push(`worst case ${describeDuration(worst)}, target ${describeDuration(target)}`);
    }
    return Verdict.fromProblems(problems);
  },
};

function describe(seconds: number | undefined): string {
  return seconds === undefined ? '(unreadable)' : describeDuration(seconds);
}

function zoneWords(o: any): string {
  return typeof o.spec?.timeZone === 'string' ? ` in ${o.spec.timeZone}` : '';
}
