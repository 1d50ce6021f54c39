import { App, Chart, Testing } from 'cdk8s';
import { assertValidManifests } from './validate';

/** A chart in a fresh app, with the namespace given (null: none). */
export function newChart(namespace: string | null = 'db'): Chart {
  const app: App = Testing.app();
  return new Chart(app, 'test', { namespace: namespace ?? undefined });
}

/** Synthesizes a chart and validates every object: schema, names, labels. Every test goes through here. */
export function synthValid(chart: Chart): any[] {
  const manifests = Testing.synth(chart);
  assertValidManifests(manifests);
  return manifests;
}

/** The single object of `kind` (and `name`, when given). */
export function only(manifests: any[], kind: string, name?: string): any {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** Every container of a pod spec, init containers included. */
export function allContainers(podSpec: any): any[] {
  return [...(podSpec.initContainers ?? []), ...podSpec.containers];
}

/** The one-off Job `<base>-<6 hex>`: one-off Jobs are named after a hash of their content. */
export function jobNamed(manifests: any[], base: string): any {
  const found = manifests.filter((m) => m.kind === 'Job' && new RegExp(`^${base}-[0-9a-f]{6}$`).test(m.metadata.name));
  if (found.length !== 1) throw new Error(`expected one Job ${base}-<hash>, found ${found.length}`);
  return found[0];
}
