import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { BackupTarget } from './target';
import { check } from '../private/errors';
import { checkSubdomainName } from '../private/names';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;
/** An http(s) URL: a host name or bracketed IPv6 address, an optional port and path; nothing a shell or YAML reads. */
const ENDPOINT = /^https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(\/[A-Za-z0-9._~%\/-]*)?$/;
/** A region name as AWS, MinIO and Ceph RGW spell them (`eu-west-1`, `us-east-1`, `default`). */
const REGION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** AWS regional endpoints name their region: s3.<region>.amazonaws.com, s3-<region>..., s3.dualstack.<region>... */
const AWS_REGIONAL = /^https?:\/\/(?:[^/]*\.)?s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?(?:[/:]|$)/;

/**
 * The region requests are signed for: the one given, else the one an AWS regional endpoint names, else
 * us-east-1 (what S3-compatible stores such as MinIO and Ceph RGW expect by default).
 */
export function s3Region(target: BackupTarget): string {
  const s3 = target._s3!;
  return s3.region ?? AWS_REGIONAL.exec(s3.endpoint)?.[1] ?? 'us-east-1';
}

/** Checks a target: S3 endpoint, bucket (S3 naming rules), prefix, Secret name; or the claim name. */
export function validateTarget(scope: Construct, prop: string, target: BackupTarget): void {
  const s3 = target._s3;
  if (s3) {
    check(ENDPOINT.test(s3.endpoint), scope,
      `\`${prop}\` target endpoint "${s3.endpoint}" must be an http(s) URL, e.g. "https://s3.eu-west-1.amazonaws.com". `
        + 'Give a host name or bracketed IPv6 address, an optional port, and a path of letters, digits and \'._~%/-\' only.');
    check(BUCKET.test(s3.bucket) && !s3.bucket.includes('..'), scope,
      `\`${prop}\` target bucket "${s3.bucket}" is not a valid bucket name: 3 to 63 lower-case letters, digits, '.' and '-'.`);
    check(s3.prefix === undefined || PREFIX.test(s3.prefix), scope,
      `\`${prop}\` target prefix "${s3.prefix}" must be key segments separated by '/', without leading or trailing '/'.`);
    checkSubdomainName(scope, `${prop} target credentialsSecretName`, s3.credentialsSecretName);
    check(s3.region === undefined || REGION.test(s3.region), scope,
      `\`${prop}\` target region "${s3.region}" must be a region name: letters, digits, '-' and '_', e.g. "eu-west-1".`);
    const named = AWS_REGIONAL.exec(s3.endpoint)?.[1];
    check(s3.region === undefined || named === undefined || s3.region === named, scope,
      `\`${prop}\` target region "${s3.region}" differs from the region of the endpoint "${s3.endpoint}" (${named}): requests would be signed for the wrong region. Remove \`region\` or make them agree.`);
  } else {
    checkSubdomainName(scope, `${prop} target claimName`, target._pvc!.claimName);
  }
}

/** Env of the AWS CLI: endpoint, bucket, prefix, region and the keys from the target's Secret. */
export function s3Env(target: BackupTarget, defaultPrefix: string): k8s.EnvVar[] {
  const s3 = target._s3!;
  return [
    { name: 'S3_ENDPOINT', value: s3.endpoint },
    { name: 'S3_BUCKET', value: s3.bucket },
    { name: 'S3_PREFIX', value: s3.prefix ?? defaultPrefix },
    { name: 'AWS_DEFAULT_REGION', value: s3Region(target) },
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: s3.credentialsSecretName, key: 'access-key-id' } } },
    { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: s3.credentialsSecretName, key: 'secret-access-key' } } },
  ];
}

/** The volume mounted at /backup: a scratch emptyDir before an upload, or the target claim. */
export function targetVolume(target: BackupTarget): k8s.Volume {
  return target._s3
    ? { name: 'backup', emptyDir: {} }
    : { name: 'backup', persistentVolumeClaim: { claimName: target._pvc!.claimName } };
}
