import { IPolicyRule } from '../rule';

export const DOK_BACKUP_RULES: IPolicyRule[] = [
];
