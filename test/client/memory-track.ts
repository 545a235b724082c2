/**
 * An in-memory `track` for the tracker's suites: it validates with the real contract
 * (`shared/schemas.ts`) and dedupes by id, so every event the tracker makes is checked against what
 * the server accepts, and it answers as the client gateway would, in one cloud environment.
 */
import { SHARE_PREFIX_LENGTH } from '../../shared/ids';
import { validateBatch } from '../../shared/schemas';
import { SimulatedPhone, type Backend } from './simulated-wx';

export interface MemoryTrack {
  backend: Backend;
  stored: Map<string, Record<string, unknown>>;
  /** Answer the next calls with this instead. */
  override?: () => { result?: unknown; errCode?: number; errMsg?: string };
}

/**
 * `track` deployed as `functionName` in the environment `env`: a call to another function, or to
 * another environment when `env` is given, fails as WeChat fails it (the function or the environment
 * is not found).
 */
export function memoryTrack({ functionName = 'track', env }: { functionName?: string; env?: string } = {}): MemoryTrack {
  const track: MemoryTrack = {
    stored: new Map(),
    backend: async (name, data, openid, callEnv) => {
      if (track.override) return track.override();
      if (env !== undefined && callEnv !== env) return { errCode: -501005, errMsg: `cloud.callFunction:fail -501005 invalid env: Environment not found: ${String(callEnv)}` };
      if (name !== functionName) return { errCode: -501000, errMsg: `FunctionName parameter could not be found: ${name}` };
      if (!openid) return { result: { error: { code: 'NO_IDENTITY', message: 'no OPENID' } } };
      const { events, rejected } = validateBatch(data);
      const accepted: string[] = [];
      const duplicates: string[] = [];
      for (const event of events) {
        if (track.stored.has(event.id)) duplicates.push(event.id);
        else {
          track.stored.set(event.id, event as unknown as Record<string, unknown>);
          accepted.push(event.id);
        }
      }
      return { result: { accepted, duplicates, rejected, sharePrefix: prefixOf(openid) } };
    },
  };
  return track;
}

/** The share prefix the in-memory track issues, like the real one (an HMAC there, plain here). */
export const prefixOf = (openid: string): string => `pfx${openid}`.padEnd(SHARE_PREFIX_LENGTH, '0');
export const PREFIX_KEY = 'rukou:prefix';

/** A phone that talked to track before: it has its share prefix in storage. */
export function phoneWithPrefix(openid: string, backend: Backend, options?: ConstructorParameters<typeof SimulatedPhone>[2]): SimulatedPhone {
  const phone = new SimulatedPhone(openid, backend, options);
  phone.storage.set(PREFIX_KEY, JSON.stringify(prefixOf(openid)));
  return phone;
}
