/**
 * The operator's page: today so far, yesterday against the day before, and the last 7 days' top
 * entry points, channels and shares, from `admin`. It draws nothing until `admin` has answered:
 * anyone who is not an operator (`NOT_OPERATOR`) is sent back to the home page having seen none of
 * it. No link leads here (a link shown to everyone would have to ask `admin` for every user, and
 * log a refusal for each); operators open `pages/admin/admin` from DevTools or a code of it, and
 * `sitemap.json` keeps it out of WeChat's search. Its title is set only for an operator. A plain
 * `Page`, not a tracked one: an operator reading numbers is not traffic to count (a launch of the
 * app on this page is still an entry: the tracker wraps the App).
 */
interface Counts {
  entries: number;
  users: number;
  newUsers: number;
}
interface Change {
  value: number;
  previous: number;
  change: number | null;
}
interface Refusal {
  error: { code: string; message: string };
}

/** `admin` as this operator; a refusal rejects with its code. */
async function admin<T>(data: Record<string, unknown>): Promise<T> {
  const { result } = await wx.cloud.callFunction({ name: 'admin', data });
  const refusal = (result as Partial<Refusal> | undefined)?.error;
  if (refusal) throw refusal;
  return result as unknown as T;
}

/**
 * The calendar day `n` days after a China day "YYYY-MM-DD". Not shared/time.ts's `addDays`: only
 * `miniprogram/` is uploaded with the Mini Program, so nothing here imports from shared/; and the
 * day itself comes from `admin` (Beijing time), so this is calendar arithmetic only.
 */
function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * "HH:MM" of an instant in China time (UTC+8, which keeps no daylight saving), computed from the
 * instant itself: the phone's own zone (a traveller's, a test device's) must not move it.
 */
const chinaTime = (at: string): string => new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(11, 16);

const percent = (ratio: number | null): string => (ratio === null ? '—' : `${ratio > 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`);
const trendOf = (change: Change): string => (change.change === null || change.change === 0 ? 'flat' : change.change > 0 ? 'up' : 'down');

Page({
  data: {
    ready: false,
    failed: '',
    today: '',
    asOf: '',
    todayTotals: { entries: 0, users: 0, newUsers: 0 } as Counts,
    yesterday: '',
    /** Yesterday has no rollup yet (before the daily run at 00:17 China time, or a failed one): no numbers to compare. */
    yesterdayMissing: false,
    /** The day before has no rollup: yesterday's numbers stand alone. */
    beforeMissing: false,
    compared: [] as { label: string; value: number; previous: number; change: string; trend: string }[],
    week: '',
    scenes: [] as { key: string; name: string; entries: number }[],
    channels: [] as { key: string; name: string; entries: number; firstTouch: number }[],
    /** How many channels brought an entry in the week: more than the 5 shown is said under them. */
    channelsTotal: 0,
    shares: { intents: 0, returnOpens: 0, newUsers: 0, kFactor: '—' },
  },

  onLoad() {
    void this.load();
  },

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    try {
      const now = await admin<{ asOf: string; rollup: { _id: string; totals: Counts } }>({ action: 'today' });
      const today = now.rollup._id;
      const yesterday = addDays(today, -1);
      const week = { from: addDays(today, -7), to: yesterday };
      const [overview, top, channels, funnel] = await Promise.all([
        admin<{ totals: Record<'entries' | 'userDays' | 'newUsers', Change>; missingDays: string[]; previous: { missingDays: string[] } }>({ action: 'overview', from: yesterday, to: yesterday }),
        admin<{ top: { key: string; zh?: string; entries: number }[] }>({ action: 'topEntries', ...week, dimension: 'scene', limit: 5 }),
        admin<{ keys: number; channels: { key: string; entries: number; firstTouch: number; channel: { name: string } | null }[] }>({ action: 'channels', ...week, limit: 5, series: 1 }),
        admin<{ funnel: { intents: number; returnOpens: number; newUsers: number; kFactor: number | null } }>({ action: 'shareFunnel', ...week }),
      ]);
      const labels: [keyof typeof overview.totals, string][] = [
        ['entries', '进入次数'],
        ['userDays', '用户'],
        ['newUsers', '新用户'],
      ];
      // a day without a rollup counts zero in overview's totals: shown as a change, it would be a fall to nothing
      const beforeMissing = overview.previous.missingDays.length > 0;
      wx.setNavigationBarTitle({ title: '运营数据' });
      this.setData({
        ready: true,
        failed: '',
        today,
        asOf: chinaTime(now.asOf),
        todayTotals: now.rollup.totals,
        yesterday,
        yesterdayMissing: overview.missingDays.length > 0,
        beforeMissing,
        compared: labels.map(([key, label]) => ({
          label,
          value: overview.totals[key].value,
          previous: overview.totals[key].previous,
          change: beforeMissing ? '—' : percent(overview.totals[key].change),
          trend: beforeMissing ? 'flat' : trendOf(overview.totals[key]),
        })),
        week: `${week.from} ~ ${week.to}`,
        scenes: top.top.map((row) => ({ key: row.key, name: row.zh ?? row.key, entries: row.entries })),
        channels: channels.channels.map((row) => ({ key: row.key, name: row.channel?.name ?? row.key, entries: row.entries, firstTouch: row.firstTouch })),
        channelsTotal: channels.keys,
        shares: { intents: funnel.funnel.intents, returnOpens: funnel.funnel.returnOpens, newUsers: funnel.funnel.newUsers, kFactor: funnel.funnel.kFactor === null ? '—' : funnel.funnel.kFactor.toFixed(2) },
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_OPERATOR') {
        wx.reLaunch({ url: '/pages/index/index' });
        return;
      }
      // the call failed (the network, the function): anyone else was refused above
      this.setData({ failed: (error as { message?: string; errMsg?: string }).message ?? (error as { errMsg?: string }).errMsg ?? String(error) });
    }
  },
});
