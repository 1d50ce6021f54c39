/** Access mode of the data volume. */
export enum StorageAccessMode {
  /** Mounted read-write by one node. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Mounted read-write by one pod only (Kubernetes 1.27+ with CSI): no second writer, ever. */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
}

/** Whether the volume is a filesystem or a raw block device. */
export enum VolumeMode {
  FILESYSTEM = 'Filesystem',
  BLOCK = 'Block',
}

/** What happens to the claims of a StatefulSet when it is deleted or scaled down. */
export enum PvcRetention {
  /** Keep the claim and its data (the safe default). */
  RETAIN = 'Retain',
  /** Delete the claim; with a Delete reclaim policy the data is gone. */
  DELETE = 'Delete',
}
