import { IPolicyRule } from '../rule';
import { defaultDeny } from './dok/default-deny';
import { SECURITY_RULES } from './security-rules';

/** The security baseline pack, in the order RULES.md lists it. */
export const SECURITY_BASELINE_RULES: IPolicyRule[] = [
  ...SECURITY_RULES,
  // Network isolation is part of a security baseline too (the same rule as in the Data on Kubernetes pack).
  defaultDeny,
];
