/** Options of an S3-compatible object store. */
export interface S3TargetOptions {
  /**
   * Endpoint URL: http(s), a host name or bracketed IPv6 address, an optional port and path, e.g.
   * `https://s3.eu-west-1.amazonaws.com` or `http://minio.storage:9000`.
   */
  readonly endpoint: string;
  /** Bucket name. */
  readonly bucket: string;
  /**
   * Key prefix, without leading or trailing '/'.
   * @default - the database name
   */
  readonly prefix?: string;
  /** Secret with keys `access-key-id` and `secret-access-key`. */
  readonly credentialsSecretName: string;
  /**
   * Region the requests are signed for: letters, digits, '-' and '_'.
   * @default - the region an AWS regional endpoint names (`s3.eu-west-1.amazonaws.com`: eu-west-1), else 'us-east-1'
   */
  readonly region?: string;
}

/** Options of a PersistentVolumeClaim target. */
export interface PvcTargetOptions {
  /** An existing claim (ReadWriteOnce is enough: one backup Job at a time). */
  readonly claimName: string;
}

/** Where logical dumps and archives go. */
export class BackupTarget {
  /** An S3-compatible object store (AWS S3, MinIO, Ceph RGW, GCS interoperability). */
  public static s3(options: S3TargetOptions): BackupTarget {
    return new BackupTarget(options, undefined);
  }

  /** A PersistentVolumeClaim. */
  public static pvc(options: PvcTargetOptions): BackupTarget {
    return new BackupTarget(undefined, options);
  }

  private constructor(
    /** @internal */ public readonly _s3: S3TargetOptions | undefined,
    /** @internal */ public readonly _pvc: PvcTargetOptions | undefined,
  ) {}
}
