import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { DRPair } from '../../src';
import { assertValidManifests } from '../../test/support/validate';

/** The label of the suspended DR Jobs (src/dr/switch-jobs.ts LABEL_DR_ACTION). */
const DR_ACTION = 'cdk8s-databases.io/dr-action';
export type DrAction = 'fence' | 'promote' | 'demote';

/** A DR Job as synthesized: whether it is suspended, its command, and its env resolved against the Secrets given. */
export interface DrJob {
  readonly name: string;
  readonly suspend: boolean;
  readonly command: string[];
  readonly env: Record<string, string>;
}

/** What one site's synthesized chart gives Patroni and the switch: everything the DR runtime test takes from the YAML. */
export interface PairSite {
  readonly name: string;
  /** The database of the site (`<name>-<site>`): Patroni's scope (the StatefulSet's SCOPE). */
  readonly scope: string;
  /** SPILO_CONFIGURATION's `bootstrap.dcs` and `postgresql.authentication` (the local block). */
  readonly dcs: any;
  readonly authentication: any;
  /** The replication user (PGUSER_STANDBY) and the Secret keys of the superuser and replication passwords. */
  readonly replicationUser: string;
  /** `patroni-dynamic.json`: what the config sidecar PATCHes at every pod start. */
  readonly dynamic: any;
  /** Member pod names and their headless-Service hosts, in ordinal order. */
  readonly members: { name: string; host: string }[];
  /** The read-write client Service host (`<db>.<ns>.svc`) and the cross-site host the peer reaches (`...clusterset.local`). */
  readonly clientHost: string;
  readonly crossSiteHost: string;
  readonly jobs: Record<DrAction, DrJob>;
}

/**
 * Reads both sites of a PostgreSQL DRPair from their synthesized charts, each validated as every synthesized object
 * in this repository is (test/support/validate.ts). `secrets` stands in for the Secrets both clusters hold.
 */
export function pairSites(pair: DRPair, sites: string[], secrets: Record<string, Record<string, string>>): Record<string, PairSite> {
  return Object.fromEntries(sites.map((site) => [site, readSite(pair, site, secrets)]));
}

function readSite(pair: DRPair, site: string, secrets: Record<string, Record<string, string>>): PairSite {
  const manifests: any[] = pair.chart(site).toJson();
  assertValidManifests(manifests);
  const sts = only(manifests.filter((m) => m.kind === 'StatefulSet'), `${site} StatefulSet`);
  const main = sts.spec.template.spec.containers.find((c: any) => c.name === 'postgresql');
  const envValue = (name: string) => main.env.find((e: any) => e.name === name);
  const ref = envValue('SPILO_CONFIGURATION').valueFrom.configMapKeyRef;
  const configMap = only(manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.name === ref.name), ref.name);
  const spilo = parse(configMap.data[ref.key]);
  const database = pair.database(site);
  const service = only(manifests.filter((m) => m.kind === 'ServiceExport'), `${site} ServiceExport`);
  const namespace = pair.chart(site).namespace!;
  const jobs = {} as Record<DrAction, DrJob>;
  for (const action of ['fence', 'promote', 'demote'] as const) {
    const job = only(manifests.filter((m) => m.kind === 'Job' && m.metadata.labels?.[DR_ACTION] === action), `${site} ${action} Job`);
    const container: any = only(job.spec.template.spec.containers, `${job.metadata.name} container`);
    jobs[action] = {
      name: job.metadata.name,
      suspend: job.spec.suspend,
      command: container.command,
      env: Object.fromEntries(container.env.map((e: any) => [e.name, e.valueFrom ? secretValue(secrets, e.valueFrom.secretKeyRef) : e.value])),
    };
  }
  return {
    name: site,
    scope: envValue('SCOPE').value,
    dcs: spilo.bootstrap.dcs,
    authentication: spilo.postgresql.authentication,
    replicationUser: envValue('PGUSER_STANDBY').value,
    dynamic: JSON.parse(configMap.data['patroni-dynamic.json']),
    members: database.memberHosts.map((host) => ({ name: host.split('.')[0], host })),
    clientHost: `${database.name}.${namespace}.svc`,
    crossSiteHost: `${service.metadata.name}.${namespace}.svc.clusterset.local`,
    jobs,
  };
}

function secretValue(secrets: Record<string, Record<string, string>>, ref: { name: string; key: string }): string {
  const value = secrets[ref.name]?.[ref.key];
  if (value === undefined) throw new Error(`the test has no Secret ${ref.name} key ${ref.key}`);
  return value;
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0];
}

/**
 * A self-signed certificate standing in for the cert-manager Certificate of every member (tls.crt, tls.key) and for
 * the shared CA (ca.crt, the same certificate: verify-ca checks the chain, not the name). Owned by postgres.
 */
export function selfSignedTls(dir: string): { cert: string; key: string; ca: string } {
  fs.mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  const ca = path.join(dir, 'ca.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dr-runtime-shared-ca',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  fs.copyFileSync(cert, ca);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  fs.chmodSync(key, 0o600);
  return { cert, key, ca };
}
