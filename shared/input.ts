/**
 * What every function checks about what a caller sends before any domain rule sees it: that a
 * value is a JSON object, and what ajv found wrong, said as a message and the dotted path of the
 * field at fault (a refusal carries `{code, message, field?}`, never ajv's own error objects: see
 * shared/errors.ts).
 *
 * @example
 * describeErrors(validate.errors) // → { message: 'field "from" must match pattern …', field: 'from' }
 */
import type { ErrorObject } from 'ajv';

/** A JSON object: not null, not an array. */
export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The dotted path of the field an ajv error is about ('' for the input itself). */
export function fieldOf(error: ErrorObject): string {
  const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return path.join('.');
}

/** Whether `error` is one of the reasons for `parent` (the failure of one of its anyOf branches). */
const isBranchOf = (error: ErrorObject, parent: ErrorObject): boolean => parent.keyword === 'anyOf' && error.schemaPath.startsWith(`${parent.schemaPath}/`);

function phrase(error: ErrorObject, all: ErrorObject[]): string {
  const field = fieldOf(error);
  if (error.keyword === 'additionalProperties') return `unknown field "${field}"`;
  if (error.keyword === 'required') return `missing field "${field}"`;
  // anyOf only says that no branch matched: say what each branch wanted instead
  const wanted = error.keyword === 'anyOf' ? all.filter((branch) => isBranchOf(branch, error)).map((branch) => branch.message).join(' or ') : error.message;
  return `field "${field || '(input)'}" ${wanted || 'is invalid'}`;
}

/**
 * ajv's errors as one message (each problem once, in order) and, when every problem is about the
 * same field, that field.
 */
export function describeErrors(errors: ErrorObject[] | null | undefined): { message: string; field?: string } {
  const all = errors ?? [];
  const reported = all.filter((error) => !all.some((parent) => isBranchOf(error, parent)));
  if (reported.length === 0) return { message: 'the input is invalid' };
  const fields = new Set(reported.map(fieldOf));
  const [field] = fields;
  return { message: [...new Set(reported.map((error) => phrase(error, all)))].join('; '), ...(fields.size === 1 && field !== '' ? { field } : {}) };
}
