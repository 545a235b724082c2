import { isRukouError, RukouError, ValidationError } from '../shared/errors';

/** What every Rukou function answers: its result, or a refusal with a stable code. */
export type Answer<T> = T | { error: ReturnType<RukouError['toJSON']> };

/**
 * Wraps a cloud function's main so that a RukouError (bad input, no identity, not an operator…)
 * becomes the documented `{ error: { code, message } }` answer, while anything unexpected still
 * throws and surfaces as a function failure in the cloud console.
 *
 * @example
 * export const main = handler(async (event) => track(event));
 */
export function handler<E, T>(fn: (event: E) => Promise<T>): (event: E) => Promise<Answer<T>> {
  return async (event) => {
    try {
      return await fn(event);
    } catch (error) {
      if (isRukouError(error)) return { error: error.toJSON() };
      throw error;
    }
  };
}

/**
 * Routes `{ action, ... }` events to a table of actions, so a function that serves several
 * operations reads as a list of them instead of an if-chain.
 */
export function route<C>(
  actions: Record<string, (event: Record<string, unknown>, context: C) => Promise<unknown>>,
): (event: Record<string, unknown>, context: C) => Promise<unknown> {
  return async (event, context) => {
    const action = typeof event.action === 'string' ? event.action : '';
    const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!run) throw new ValidationError(`Unknown action "${action}". Known actions: ${Object.keys(actions).join(', ')}.`);
    return run(event, context);
  };
}
