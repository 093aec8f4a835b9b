/**
 * Small helpers for parsed JSON objects, shared by the hot-path functions of this library. They avoid
 * `Object.keys`/spread allocations and the two traps of untrusted JSON: inherited keys (`toString`)
 * and an own `__proto__` key, which a plain assignment would turn into a prototype change.
 */

export type PlainObject = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const hasOwn: (o: object, key: PropertyKey) => boolean = Object.hasOwn;

/** The value of an own key, undefined otherwise (never an inherited `toString` or the like). */
export function ownValue(o: PlainObject, key: string): unknown {
  return hasOwn(o, key) ? o[key] : undefined;
}

/** `o[key] = value`, except that `__proto__` becomes a data property as JSON.parse makes it. */
export function setKey(o: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}
