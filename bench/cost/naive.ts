/**
 * The naive baseline, measured: the same day's events, each sent on its own, as its user, to the
 * `naive` function of `bench/fixtures/naive` (one dedupe read and one write per event), through
 * the emulator's client gateway like the phones' calls.
 */
import path from 'node:path';
import { invokeAs, REPO_ROOT } from '../../test/helpers/emulator';
import type { PlayedPhone } from './play';

export const NAIVE_PROJECT = path.join(REPO_ROOT, 'bench', 'fixtures', 'naive');
/** As many calls at once as the emulator runs workers for one function: the baseline's cost does not depend on it, its time does. */
const CALLERS = 8;

export interface UserEvent {
  openid: string;
  event: Record<string, unknown>;
}

/** Every event the phones sent, once each (as last sent: an entry may have got its group cloudID meanwhile), in the order first sent. */
export function eventsOf(phones: PlayedPhone[]): UserEvent[] {
  return phones.flatMap(({ openid, phone }) => {
    const byId = new Map(phone.sentEvents().map((event) => [String(event.id), event]));
    return [...byId.values()].map((event) => ({ openid, event }));
  });
}

/** Sends each event in its own invocation; a call that is not answered as accepted fails the bench. */
export async function sendOneByOne(url: string, events: UserEvent[], appid: string): Promise<void> {
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < events.length) {
      const { openid, event } = events[next++];
      const answer = await invokeAs(url, 'naive', { event }, { openid, appid });
      const accepted = (answer.result as { accepted?: unknown[] } | undefined)?.accepted;
      if (!accepted?.includes(event.id)) throw new Error(`the naive function did not accept ${String(event.id)}: ${JSON.stringify(answer)}`);
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
}
