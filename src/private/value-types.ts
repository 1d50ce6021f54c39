import { IConstruct } from 'constructs';
import { check } from './errors';

/**
 * Type checks for values TypeScript never saw: JavaScript callers, casts, and jsii languages' loosely typed values.
 * Without them a string where a cdk8s `Size` is typed fails deep inside ("size.toKibibytes is not a function"), a
 * look-alike object renders a `secretKeyRef` without a key, and a string given for a map becomes one entry per
 * character. Each check names the prop, what was given and what to give.
 */

/** Any class, private constructors included: its name and prototype are what `isInstanceOf` compares. */
interface AnyClass {
  readonly name: string;
  readonly prototype: object;
}

/** The names of an object's own methods (getters are not called). */
function methodNames(o: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(o))
    .filter(([name, d]) => name !== 'constructor' && typeof d.value === 'function').map(([name]) => name);
}

/**
 * Whether `value` is an instance of `type`, or of a class with the same name, methods and static factories from
 * another copy of its package: cdk8s-plus-33's `Cpu` where cdk8s-plus-28's is typed, a second copy of cdk8s.
 */
export function isInstanceOf(value: unknown, type: AnyClass): boolean {
  if (value instanceof (type as unknown as abstract new () => unknown)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const other = value.constructor as AnyClass | undefined;
  if (other?.name !== type.name || !other.prototype) return false;
  const has = (o: object, names: string[]) => names.every((n) => typeof (o as Record<string, unknown>)[n] === 'function');
  return has(value, methodNames(type.prototype)) && has(other, methodNames(type));
}

/** What a wrong value is, for the message: `a string ("50Gi")`, `a plain object ({...})`, `the Secret construct "c/s"`. */
export function describeValue(value: unknown): string {
  const shown = (text: string) => (text.length > 40 ? `${text.slice(0, 37)}...` : text);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `a string (${shown(JSON.stringify(value))})`;
  if (typeof value === 'function') {
    return /^class\b/.test(Function.prototype.toString.call(value))
      ? `the class ${value.name} (call one of its factories)` : `the function ${value.name || '(anonymous)'} (call it)`;
  }
  if (typeof value !== 'object') return `a ${typeof value} (${String(value)})`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  const path = (value as Partial<IConstruct>).node?.path;
  const className: string = value.constructor?.name ?? 'Object';
  if (typeof path === 'string') return `the ${className} construct "${path}"`;
  if (className !== 'Object') return `${article(className)} ${className}`;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    json = '{...}';
  }
  return `a plain object (${shown(json)})`;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/**
 * Checks that `value` is an instance of `type` (see `isInstanceOf`). `typeName` says where it comes from, e.g.
 * "cdk8s `Size`"; `example` is a call that makes one.
 */
export function checkInstance(scope: IConstruct, prop: string, value: unknown, type: AnyClass, typeName: string, example: string): void {
  check(isInstanceOf(value, type), scope,
    `\`${prop}\` must be ${article(typeName.replace(/^`/, ''))} ${typeName} (e.g. ${example}), not ${describeValue(value)}.`);
}

/** Whether `value` is an object a struct prop can be read from (not a list, string or class instance). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks that a struct prop is a plain object, e.g. `{ labelKey: 'pool', labelValue: 'db' }`. */
export function checkStruct(scope: IConstruct, prop: string, value: unknown, example: string): void {
  check(isPlainObject(value), scope, `\`${prop}\` must be an object such as \`${example}\`, not ${describeValue(value)}.`);
}

/** Checks that a prop is a list whose entries are plain objects, e.g. `[{ key: 'dedicated' }]`. */
export function checkStructList(scope: IConstruct, prop: string, value: unknown, example: string): void {
  check(Array.isArray(value), scope, `\`${prop}\` must be a list such as \`${example}\`, not ${describeValue(value)}.`);
  for (const [index, entry] of value.entries()) {
    check(isPlainObject(entry), scope, `\`${prop}[${index}]\` must be an object such as \`${example.replace(/^\[|\]$/g, '')}\`, not ${describeValue(entry)}.`);
  }
}

/** Checks that a prop is a map of strings, e.g. `{ team: 'orders' }`: numbers and booleans are written as text. */
export function checkStringMap(scope: IConstruct, prop: string, value: unknown, example: string): void {
  check(isPlainObject(value), scope, `\`${prop}\` must be an object of strings such as \`${example}\`, not ${describeValue(value)}.`);
  for (const [key, entry] of Object.entries(value)) {
    check(typeof entry === 'string', scope,
      `\`${prop}\` "${key}" must be a string, not ${describeValue(entry)}: Kubernetes keeps text only (write numbers and booleans in quotes).`);
  }
}

/** Checks that a prop is a list of strings, e.g. `['regcred']`. */
export function checkStringList(scope: IConstruct, prop: string, value: unknown, example: string): void {
  check(Array.isArray(value) && value.every((v) => typeof v === 'string'), scope,
    `\`${prop}\` must be a list of strings such as \`${example}\`, not ${describeValue(value)}.`);
}

/** Checks a construct's props argument itself: JavaScript callers can leave it out or pass something else. */
export function checkProps(scope: IConstruct, props: unknown, example: string): void {
  check(isPlainObject(props), scope, `the props (third argument) must be an object such as \`${example}\`, not ${describeValue(props)}.`);
}
