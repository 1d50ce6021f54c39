import { IPolicyRule } from '../rule';

export const SECURITY_RULES: IPolicyRule[] = [
];
