import { IPolicyRule } from '../rule';
import { SECURITY_RULES } from './security-rules';

/** The security baseline pack, in the order RULES.md lists it. */
export const SECURITY_BASELINE_RULES: IPolicyRule[] = [
  ...SECURITY_RULES,
];
