import { App, Chart, Testing } from 'cdk8s';
import { findScripts, syntaxErrors } from './shell-syntax';
import { DatabaseConfigError } from '../../src';
import { ValidationOptions, assertValidManifests } from '../support/validate';

/** What building and synthesizing a chart gave: the manifests, or the error. */
export type Outcome = { manifests: any[]; error?: undefined } | { manifests?: undefined; error: unknown };

/** Builds `build` in a fresh chart (namespace `db`) and synthesizes it; any throw is caught. */
export function outcomeOf(build: (chart: Chart) => void): Outcome {
  try {
    const app: App = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    build(chart);
    return { manifests: Testing.synth(chart) };
  } catch (error) {
    return { error };
  }
}

/**
 * Property 1: the only thing thrown is a DatabaseConfigError whose message starts with a construct path of the
 * chart (`test/...: `) and names a prop in backticks. Throws a description of what was thrown otherwise.
 */
export function assertRefusedWell(error: unknown): void {
  if (!(error instanceof DatabaseConfigError)) {
    const e = error as any;
    throw new Error(`[property 1: only DatabaseConfigError] threw ${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}`);
  }
  const message = (error as DatabaseConfigError).message;
  if (!/^test(\/[^:\s]+)*: /.test(message)) throw new Error(`[property 1: message starts with the construct path] ${message}`);
  if (!/`[^`]+`/.test(message)) throw new Error(`[property 1: message names a prop in backticks] ${message}`);
}

/** Property 2: a synthesized chart is valid (schemas plus the API server's rules, QoS as asked). */
export function assertValid(manifests: any[], options: ValidationOptions): void {
  try {
    assertValidManifests(manifests, options);
  } catch (e) {
    throw new Error(`[property 2: every success is valid] ${(e as Error).message}`);
  }
}

/** Property 2: the same props give the same output. */
export function assertDeterministic(first: any[], again: Outcome): void {
  if (again.error !== undefined) throw new Error(`[property 2: deterministic] the same props threw the second time: ${(again.error as Error).message}`);
  const a = JSON.stringify(first);
  const b = JSON.stringify(again.manifests);
  if (a !== b) {
    let i = 0;
    while (a[i] === b[i]) i++;
    throw new Error(`[property 2: deterministic] the second synthesis differs at ...${a.slice(Math.max(0, i - 80), i + 80)}... vs ...${b.slice(Math.max(0, i - 80), i + 80)}...`);
  }
}

/** Property 3: every shell script parses with `bash -n`. */
export function assertScriptsParse(manifests: any[]): void {
  const bad = syntaxErrors(findScripts(manifests));
  if (bad.length > 0) {
    throw new Error(`[property 3: scripts parse with bash -n] ${bad.map((b) => `${b.where}: ${b.error}\n--- script ---\n${b.script}\n---`).join('\n')}`);
  }
}

/** Properties 1-3 for one generated prop set. */
export function checkAll(build: (chart: Chart) => void, options: ValidationOptions): void {
  const first = outcomeOf(build);
  if (first.manifests === undefined) {
    assertRefusedWell(first.error);
    return;
  }
  assertValid(first.manifests, options);
  assertDeterministic(first.manifests, outcomeOf(build));
  assertScriptsParse(first.manifests);
}
