import { IPolicyRule } from '../rule';
import { backupScheduled } from './dok/backup-scheduled';
import { restoreVerified } from './dok/restore-verified';
import { rpoTarget } from './dok/rpo-target';

/** Backups and restores: a database is backed up, its restores are tested, its backups meet their RPO. */
export const DOK_BACKUP_RULES: IPolicyRule[] = [
  backupScheduled,
  restoreVerified,
  rpoTarget,
];
