import { isRukouError, ValidationError, type Refusal } from '../shared/errors';
import { isRecord, quoted } from '../shared/input';
import { httpResponse, isHttpAccess, type HttpAccessAnswer } from './http-access';

/** What every Rukou function answers: its result, or a refusal with a stable code. */
export type Answer<T> = T | { error: Refusal };

/**
 * Wraps a cloud function's main. Whatever the event, the function answers: an event that is not a
 * JSON object (null, an array, a string…) is refused with INVALID_INPUT before `fn` runs, and
 * `fn` gets the object without the `userInfo` ({appId, openId}) that the platform adds to every
 * call from a Mini Program: that is not payload, and identity comes only from
 * `cloud.getWXContext()`, never from the event. A RukouError (bad input, no identity, not an
 * operator…) becomes the documented `{ error: { code, message, field? } }` answer, while anything
 * unexpected still throws and surfaces as a function failure in the cloud console. An HTTP access
 * event, whichever function it reaches, is answered as HTTP access (`httpResponse`): the answer
 * with 200, a refusal with its 4xx.
 *
 * @example
 * export const main = handler(async (event) => track(event));
 */
export function handler<T>(fn: (event: Record<string, unknown>) => Promise<T>): (event: unknown) => Promise<Answer<T> | HttpAccessAnswer> {
  return async (event) => {
    if (isRecord(event) && isHttpAccess(event)) return httpResponse(() => fn(event));
    try {
      if (!isRecord(event)) throw new ValidationError(`The event must be a JSON object; this one is ${kindOf(event)}.`);
      return await fn(withoutUserInfo(event));
    } catch (error) {
      if (isRukouError(error)) return { error: error.toJSON() };
      throw error;
    }
  };
}

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`);

function withoutUserInfo(event: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(event, 'userInfo')) return event;
  const payload = { ...event };
  delete payload.userInfo;
  return payload;
}

/**
 * Routes `{ action, ... }` events to a table of actions, so a function that serves several
 * operations reads as a list of them instead of an if-chain. An action that is missing, not a
 * string or not in the table (`constructor` and other inherited names included) is refused with a
 * ValidationError on field "action" that lists the known ones.
 */
export function route<C>(
  actions: Record<string, (event: Record<string, unknown>, context: C) => Promise<unknown>>,
): (event: Record<string, unknown>, context: C) => Promise<unknown> {
  return async (event, context) => {
    const action = event.action;
    const run = typeof action === 'string' && Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!run) {
      const named = typeof action === 'string' ? `Unknown action ${quoted(action)}` : action === undefined ? 'No action' : `The action must be a string, not ${kindOf(action)}`;
      throw new ValidationError(`${named}. Known actions: ${Object.keys(actions).join(', ')}.`, 'action');
    }
    return run(event, context);
  };
}
