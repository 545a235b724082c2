/**
 * A little history for the stats fuzzers to read: three days of entries sent through `track` (a
 * channel, a share and its return, a group card), rolled up by a backfill, so that valid `admin`
 * and `rollup` inputs have real rollups, a share tree and a group to answer from.
 */
import { invokeAs, issueGroupCloudId, type RunningEmulator } from '../helpers/emulator';
import { chinaDayOf } from './days';

const DAY_MS = 86_400_000;

export interface History {
  /** The days that have events, oldest first. */
  days: string[];
  /** Share ids recorded as roots of a share tree. */
  roots: string[];
  /** openGIds of groups that have entries. */
  groups: string[];
}

export async function seedHistory(emulator: RunningEmulator, now: number, operator: string): Promise<History> {
  const track = async (openid: string, events: Record<string, unknown>[]): Promise<{ sharePrefix: string }> => {
    const answer = await invokeAs(emulator.url, 'track', { v: 1, sentAt: now, events }, { openid, appid: 'wx-fuzz' });
    const result = answer.result as { accepted: string[]; sharePrefix: string };
    if (result.accepted?.length !== events.length) throw new Error(`the history was not stored: ${JSON.stringify(answer)}`);
    return result;
  };
  const base = { seq: 1, type: 'enter', cold: true };
  const { sharePrefix } = await track('o-hist-ann', [{ id: 'hist-first-page', seq: 0, at: now - 4 * DAY_MS, type: 'page', path: 'pages/a/a' }]);
  const history: History = { days: [], roots: [], groups: [] };
  for (const back of [3, 2, 1]) {
    const at = now - back * DAY_MS;
    const root = `${sharePrefix}hist${back}`;
    await track('o-hist-ann', [
      { ...base, id: `hist-ann-enter-${back}`, at, options: { scene: 1089, path: 'pages/index/index', query: { rk_ch: `poster-${back}` } } },
      { id: `hist-ann-share-${back}`, seq: 2, at: at + 60_000, type: 'share', shareId: root, path: `pages/item/item?rk_sh=${root}`, to: 'chat' },
    ]);
    await track(`o-hist-bob-${back}`, [{ ...base, id: `hist-bob-enter-${back}`, at: at + 120_000, options: { scene: 1007, path: 'pages/item/item', query: { rk_sh: root } } }]);
    const { cloudID } = await issueGroupCloudId(emulator.url, { openid: 'o-hist-cai', appid: 'wx-fuzz', kind: 'groupEnterInfo', groupId: `G-hist-${back}` });
    await track('o-hist-cai', [{ ...base, id: `hist-cai-enter-${back}`, at: at + 180_000, options: { scene: 1008, path: 'pages/index/index', query: {} }, group: cloudID }]);
    history.days.push(chinaDayOf(at));
    history.roots.push(root);
  }
  const backfill = await invokeAs(emulator.url, 'admin', { action: 'backfill', from: history.days[0], to: history.days[2] }, { openid: operator });
  if (!(backfill.result as { rolledUp?: string[] }).rolledUp) throw new Error(`the history was not rolled up: ${JSON.stringify(backfill)}`);
  const groups = await invokeAs(emulator.url, 'admin', { action: 'topGroups', from: history.days[0], to: history.days[2] }, { openid: operator });
  history.groups = (groups.result as { groups: { groupId: string }[] }).groups.map((group) => group.groupId);
  if (history.groups.length !== 3) throw new Error(`the history's groups were not recorded: ${JSON.stringify(groups)}`);
  return history;
}
