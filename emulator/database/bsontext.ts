/**
 * Values as MongoDB prints them in its messages (BSONElement::toString, BSONObj::toString):
 * `{ a: 1, b: "x" }`, `[ 1, 2 ]`, `new Date(1710000000000)`. A refusal that quotes the document
 * it refused ("Cannot create field 'x' in element {v: 1}", "dup key: { email: null }") then
 * reads as the server's.
 */
import { isPlainObject } from './semantics';

/** A value as the server prints it: objects and arrays with a space inside their brackets, empty ones without. */
export function bsonText(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : '-inf';
  if (typeof value !== 'object') return String(value);
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof RegExp) return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.map((item) => bsonText(item ?? null)).join(', ')} ]`;
  if (!isPlainObject(value)) return String(value);
  const fields = Object.keys(value).filter((name) => value[name] !== undefined);
  return fields.length === 0 ? '{}' : `{ ${fields.map((name) => elementText(name, value[name])).join(', ')} }`;
}

/** A named element, `name: value`: what the server puts between braces in "in element {v: 1}" and "{_id: 1}". */
export const elementText = (name: string, value: unknown): string => `${name}: ${bsonText(value)}`;
