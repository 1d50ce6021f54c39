import { execFileSync } from 'child_process';
import { PodNetwork } from './harness/network';

/** Fails fast with the fix when the machine cannot run the tier; clears what a killed run left. */
export default function globalSetup(): void {
  if (process.getuid?.() !== 0) throw new Error('npm run test:runtime needs root (network namespaces, bind mounts): CI runs it as root');
  for (const tool of ['valkey-server', 'valkey-cli', '/usr/bin/aws', 'promtool', '/usr/lib/postgresql/15/bin/postgres', 'patroni', 'etcd', 'mariadbd', 'mariadb-install-db', 'mysql', 'mysqldump', 'mysqladmin', 'my_print_defaults', 'mysql_tzinfo_to_sql', 'ip', 'unshare', 'nsenter', 'setpriv', 'curl', 'bash', 'openssl']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is missing: run .ci/install-runtime-deps as root first`);
    }
  }
  PodNetwork.removeAllLeftovers();
}
