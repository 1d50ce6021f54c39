import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * One etcd per site of a DR pair on one pod network (startEtcd in patroni-member.ts takes the network's :2379 and
 * one peer port per network id, so it runs once per network). Client and peer URLs are both on the network's host
 * address, which belongs to this run's network only: `clientPort` and `clientPort + 1`. Log `<dir>/etcd.log`, data
 * `<dir>/etcd`.
 */
export function startSiteEtcd(dir: string, host: string, clientPort: number): { proc: ChildProcess; endpoint: string } {
  fs.mkdirSync(dir, { recursive: true });
  const log = fs.openSync(path.join(dir, 'etcd.log'), 'w');
  const peer = `http://${host}:${clientPort + 1}`;
  const endpoint = `${host}:${clientPort}`;
  const proc = spawn('etcd', ['--name', 'e', '--data-dir', path.join(dir, 'etcd'),
    '--listen-client-urls', `http://${endpoint}`, '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `e=${peer}`],
  { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return { proc, endpoint };
}
