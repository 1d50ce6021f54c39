import { IPolicyRule } from '../rule';

export const DOK_DISRUPTION_RULES: IPolicyRule[] = [
];
