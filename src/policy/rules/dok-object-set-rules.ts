import { IPolicyRule } from '../rule';

export const DOK_OBJECT_SET_RULES: IPolicyRule[] = [
];
