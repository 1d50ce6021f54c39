import { IConstruct } from 'constructs';
import { check } from './errors';

/**
 * Enum and flag props as JavaScript callers can pass them: any value at all. TypeScript narrows them, but a string
 * that is no member of the enum would reach the YAML (an unknown `podManagementPolicy`, refused by the API server)
 * or change behaviour silently (an unknown `qosClass` read as "not Guaranteed").
 */

/** Checks that `value` is unset or one of the members of `choices` (a TypeScript string enum). */
export function checkChoice(scope: IConstruct, prop: string, value: unknown, choices: Record<string, string>, enumName: string): void {
  const members = Object.values(choices);
  check(value === undefined || members.includes(value as string), scope,
    `\`${prop}\` (${JSON.stringify(value)}) is not one of ${enumName}: use ${Object.keys(choices).map((k) => `${enumName}.${k}`).join(', ')}.`);
}

/** Checks that `value` is unset or a boolean (not the string "false", which is truthy). */
export function checkFlag(scope: IConstruct, prop: string, value: unknown): void {
  check(value === undefined || typeof value === 'boolean', scope,
    `\`${prop}\` (${JSON.stringify(value)}) must be true or false.`);
}
