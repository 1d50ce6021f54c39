/**
 * Every failure class at once (a property test stops at its first counterexample): samples each generator, runs the
 * same checks, and prints each class of failure once with its smallest counterexample.
 * Run: `npx ts-node --transpile-only test/properties/survey.ts [runs per generator]`.
 */
import * as fc from 'fast-check';
import { backupProps } from './backup-props';
import { replicatedFields, replicatedProps, statefulFields, statefulProps } from './database-props';
import { FAMILIES, validEngine } from './engines';
import { changeShows, changeable, twoValues, validBase } from './one-prop-change';
import { checkAll } from './outcome';
import { SEED } from './run-config';
import { priorityClassProps, storageClassProps } from './small-construct-props';
import { BackupSchedule, DatabasePriorityClass, DatabaseStorageClass, ReplicatedDatabase, StatefulDatabase } from '../../src';

const runs = Number(process.argv[2] ?? 200);
const classes = new Map<string, { count: number; where: Set<string>; example: string; detail: string }>();

/** One failure class per property and problem kind: names, numbers and quoted values blanked out. */
function classOf(message: string): string {
  const [head, ...rest] = message.split('\n');
  const tag = head.match(/^\[[^\]]+\]/)?.[0] ?? '[crash]';
  const line = (tag.startsWith('[property 2') ? rest[0] ?? head : head.slice(tag.length)).trim();
  const shape = line.replace(/"[^"]*"|'[^']*'/g, 'Q').replace(/\{.*\}/g, '{}').replace(/test[-/][\w/-]*/g, 'OBJ')
    .replace(/\b([A-Z]\w+)\/[\w.-]+/g, '$1')
    .replace(/\b[\w-]*\d[\w-]*\b/g, 'N')
    .slice(0, 160);
  return `${tag} ${shape}`;
}

function survey<T>(label: string, arb: fc.Arbitrary<T>, check: (value: T) => void): void {
  for (const value of fc.sample(arb, { numRuns: runs, seed: SEED })) {
    try {
      check(value);
    } catch (e) {
      const message = (e as Error).message;
      const key = classOf(message);
      const example = fc.stringify(value);
      const seen = classes.get(key);
      if (!seen) {classes.set(key, { count: 1, where: new Set([label]), example, detail: message.split('\n').slice(0, 3).join(' | ').slice(0, 400) });} else {
        seen.count++;
        seen.where.add(label);
        if (example.length < seen.example.length) Object.assign(seen, { example, detail: message.split('\n').slice(0, 3).join(' | ').slice(0, 400) });
      }
    }
  }
}

const qos = (p: any) => (p.qosClass === 'Burstable' ? 'Burstable' as const : 'Guaranteed' as const);
for (const family of FAMILIES) {
  survey(`StatefulDatabase ${family}`, statefulProps(family), ({ props }) => checkAll((c) => new StatefulDatabase(c, 'db', props), { qosClass: qos(props) }));
  survey(`ReplicatedDatabase ${family}`, replicatedProps(family), ({ props }) => checkAll((c) => new ReplicatedDatabase(c, 'db', props), { qosClass: qos(props) }));
}
const database = fc.tuple(fc.constantFrom(...FAMILIES), fc.boolean()).chain(([f, r]) => validEngine(f, r).map((e) => ({ r, engine: e.engine })));
survey('BackupSchedule', fc.tuple(database, backupProps()), ([db, { props }]) => checkAll((c) => {
  const d = db.r ? new ReplicatedDatabase(c, 'db', { engine: db.engine, name: 'orders' }) : new StatefulDatabase(c, 'db', { engine: db.engine, name: 'orders' });
  new BackupSchedule(c, 'backups', { database: d, ...props });
}, { qosClass: 'Guaranteed' }));
survey('DatabaseStorageClass', storageClassProps(), ({ props }) => checkAll((c) => new DatabaseStorageClass(c, 'sc', props), {}));
survey('DatabasePriorityClass', priorityClassProps(), ({ props }) => checkAll((c) => new DatabasePriorityClass(c, 'pc', props), {}));

function report(): void {
  const sorted = [...classes.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [key, { count, where, example, detail }] of sorted) {
    console.log(`\n## ${key}  (${count}x: ${[...where].join(', ')})\n   ${detail}\n   e.g. ${example.slice(0, 700)}`);
  }
  console.log(`\n${classes.size} failure classes over ${runs} prop sets per generator`);
}

// Property 4 over every family (same sampling).
for (const family of FAMILIES) {
  const sf = statefulFields(family);
  survey(`change StatefulDatabase ${family}`, fc.tuple(validBase(family, false, sf), twoValues(changeable(sf))), ([base, change]) => {
    try {
      changeShows((c, p) => new StatefulDatabase(c, 'db', p), base, change);
    } catch (e) {
      if (!(e as Error).message?.startsWith('[property')) return; // fc.pre: base refused
      throw e;
    }
  });
  const rf = { ...statefulFields(family, true), ...replicatedFields(family) };
  survey(`change ReplicatedDatabase ${family}`, fc.tuple(validBase(family, true, rf), twoValues(changeable(rf))), ([base, change]) => {
    try {
      changeShows((c, p) => new ReplicatedDatabase(c, 'db', p), base, change);
    } catch (e) {
      if (!(e as Error).message?.startsWith('[property')) return;
      throw e;
    }
  });
}
report();
