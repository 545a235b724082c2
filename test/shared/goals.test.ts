/**
 * Goals as `track` keeps them: who may verify one, one goal whoever reports it and in any order,
 * the credits of each model, the time buckets and their median, and a batch's plan of goal
 * documents and user-days (re-credited by entries that come after the goal).
 */
import fc from 'fast-check';
import { creditsOf, entryTouch, firstTouch, recredit, type EntryTouch } from '../../shared/attribution';
import { goalRows, sameGoals } from '../../shared/day-goals';
import { planGoals } from '../../shared/goal-plan';
import { addHistogram, medianSeconds, timeBucket } from '../../shared/goal-times';
import { goalDocId, goalOf, isFunctionCall, MAX_REPORTS } from '../../shared/goals';
import type { DayGoal, EnterEvent, GoalEvent, GoalReport, UserDayDoc } from '../../shared/model';
import type { TrackEventInput } from '../../shared/schemas';
import { planBatch, timedEvents, type TrackLookups } from '../../shared/track';

const T = Date.parse('2024-05-20T04:00:00Z'); // 12:00 in Beijing
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (offset: number): Date => new Date(T + offset);
const touch = (offset: number, category: string, keys: EntryTouch['keys'] = {}, id = `e${offset}`): EntryTouch => ({ at: at(offset), id, category, keys: { category, ...keys } });

describe('verified reports', () => {
  it('come from a cloud function only: SOURCE whose last link is scf', () => {
    for (const source of ['wx_client,scf', 'wx_devtools,scf', 'wx_paycallback,scf', 'wx_client,scf,scf', 'scf']) expect(isFunctionCall(source)).toBe(true);
    for (const source of ['wx_client', 'wx_devtools', 'wx_http', 'wx_trigger', 'wx_unknown', '', 'scf,wx_client', 'wx_client,scfx']) expect(isFunctionCall(source)).toBe(false);
  });
});

describe('one goal, whoever reports it', () => {
  const report = (eventId: string, verified: boolean, offset: number, value?: number): GoalReport => ({ eventId, verified, at: at(offset), ...(value === undefined ? {} : { value }) });

  it('takes its earliest report\'s time and the verified report\'s value', () => {
    expect(goalOf([report('c1', false, 0, 1000), report('s1', true, 2000, 990)])).toEqual({ at: at(0), verified: true, value: 990 });
    expect(goalOf([report('c1', false, 0, 1000), report('c2', false, 5000, 900)])).toEqual({ at: at(0), verified: false, value: 1000 });
    // a verified report without a value leaves the phone's
    expect(goalOf([report('s1', true, 0), report('c1', false, 3000, 500)])).toEqual({ at: at(0), verified: true, value: 500 });
    expect(goalOf([report('c1', false, 0)])).toEqual({ at: at(0), verified: false });
  });

  it('is the same whatever order its reports came in', () => {
    const reports = fc.array(fc.record({ eventId: fc.stringMatching(/^[a-z0-9]{4,8}$/), verified: fc.boolean(), at: fc.integer({ min: 0, max: 10_000 }).map(at), value: fc.option(fc.nat(100_000), { nil: undefined }) }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(reports, fc.infiniteStream(fc.nat()), (list, seeds) => {
        const unique = list.filter((one, i) => list.findIndex((other) => other.eventId === one.eventId) === i).map(({ value, ...rest }) => (value === undefined ? rest : { ...rest, value }));
        const shuffled = [...unique].sort(() => (seeds.next().value % 3) - 1);
        expect(goalOf(shuffled)).toEqual(goalOf(unique));
      }),
    );
  });

  it('is one user\'s: the same name and goalId of two users are two documents', () => {
    expect(goalDocId('o-a', 'order_paid', 'A-1')).toBe(goalDocId('o-a', 'order_paid', 'A-1'));
    expect(new Set([goalDocId('o-a', 'order_paid', 'A-1'), goalDocId('o-b', 'order_paid', 'A-1'), goalDocId('o-a', 'signup', 'A-1'), goalDocId('o-a', 'order_paid', 'A-2')]).size).toBe(4);
  });
});

describe('credits', () => {
  const entries = [
    touch(-3 * DAY, 'QR code', { channel: 'poster' }),
    touch(-2 * DAY, 'Share', { share: 'o-sharer' }),
    touch(-10 * MINUTE, 'Quick entry', { scene: '1089' }),
    touch(5 * MINUTE, 'Search'),
  ];

  it('first, last and last non-direct: keys, seconds and their bucket', () => {
    const credit = creditsOf(at(0), entries[0], entries);
    expect(credit.first).toEqual({ at: at(-3 * DAY), s: 3 * 86_400, b: timeBucket(3 * 86_400), keys: { category: 'QR code', channel: 'poster' } });
    expect(credit.last).toMatchObject({ at: at(-10 * MINUTE), s: 600, keys: { scene: '1089' } });
    expect(credit.lastNonDirect).toMatchObject({ at: at(-2 * DAY), keys: { share: 'o-sharer' } });
  });

  it('a last touch is of the goal\'s day, or the day before for a session that began before midnight; none from older days', () => {
    const midnight = Date.parse('2024-05-20T16:00:00Z') - T; // 00:00 on 05-21 in Beijing
    const before = touch(midnight - 30_000, 'QR code');
    expect(creditsOf(at(midnight + 10_000), undefined, [before]).last?.at).toEqual(before.at);
    expect(creditsOf(at(midnight + DAY + 10_000), undefined, [before]).last).toBeUndefined();
  });

  it('a last non-direct touch is less than 30 days old and never a Quick entry; a first touch after the goal credits nothing', () => {
    expect(creditsOf(at(0), undefined, [touch(-30 * DAY, 'QR code')]).lastNonDirect).toBeUndefined();
    expect(creditsOf(at(0), undefined, [touch(-30 * DAY + 1, 'QR code')]).lastNonDirect).toBeDefined();
    expect(creditsOf(at(0), undefined, [touch(-MINUTE, 'Quick entry')]).lastNonDirect).toBeUndefined();
    expect(creditsOf(at(0), touch(MINUTE, 'QR code'), []).first).toBeUndefined();
  });

  it('again: a later entry at or before the goal takes the last touches, an older one leaves them; a moved first touch is taken', () => {
    const goal: DayGoal = { id: 'g', name: 'order_paid', at: at(0), value: 100, verified: false, credit: creditsOf(at(0), entries[0], entries.slice(0, 2)) };
    expect(recredit(goal, [touch(-5 * DAY, 'Share')])).toBe(goal);
    expect(recredit(goal, [touch(MINUTE, 'QR code')])).toBe(goal);
    const later = recredit(goal, [touch(-20_000, 'QR code', { channel: 'desk' })]);
    expect(later.credit.last).toMatchObject({ s: 20, keys: { channel: 'desk' } });
    expect(later.credit.lastNonDirect).toMatchObject({ keys: { channel: 'desk' } });
    expect(recredit(goal, [], touch(-4 * DAY, 'Search')).credit.first).toMatchObject({ at: at(-4 * DAY) });
  });

  it('an entry\'s share is its sharer\'s when it came through someone else\'s verified card, not a re-open; keys are escaped', () => {
    const entry = (share: EnterEvent['share'], reopen = false): EntryTouch =>
      entryTouch({ eventId: 'e', at: at(0), bucket: 'in-wechat', category: 'Share', scene: 1007, path: 'pages/a.b/c', reopen, ...(share ? { share } : {}) });
    const card = { shareId: 'S', verified: true, sharer: 'o-s', depth: 1, rootShareId: 'S', self: false, isReturn: true };
    expect(entry(card).keys).toEqual({ bucket: 'in-wechat', category: 'Share', scene: '1007', page: 'pages/a%2Eb/c', share: 'o-s' });
    expect(entry({ ...card, isReturn: false, repeat: true }).keys.share).toBe('o-s');
    expect(entry({ ...card, self: true, isReturn: false }).keys.share).toBeUndefined();
    expect(entry(card, true).keys.share).toBeUndefined();
    expect(entry({ shareId: 'X', verified: false, self: false, isReturn: false }).keys.share).toBeUndefined();
    const first = firstTouch({ day: '2024-05-20', at: at(0), scene: 1007, category: 'Share', bucket: 'in-wechat', card: { shareId: 'S', sharer: 'o-s', depth: 1, rootShareId: 'S' }, messageOpen: 'T1' }, 'o-me');
    expect(first.keys).toEqual({ bucket: 'in-wechat', category: 'Share', scene: '1007', share: 'o-s', message: 'T1' });
  });
});

describe('time from entry to goal', () => {
  it('buckets are seconds below 16, then eight per doubling, each time in its own', () => {
    expect([0, 1, 15, 16, 17, 18].map(timeBucket)).toEqual([0, 1, 15, 16, 16, 17]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400_000_000 }), fc.integer({ min: 0, max: 400_000_000 }), (a, b) => {
        if (a <= b) expect(timeBucket(a)).toBeLessThanOrEqual(timeBucket(b));
        // the median of one time is within 4.4 % of it, and the half second it is rounded by
        expect(Math.abs((medianSeconds({ [timeBucket(a)]: 1 }) as number) - a)).toBeLessThanOrEqual(a * 0.0444 + 0.5);
      }),
    );
  });

  it('the median is the middle time\'s bucket, of an even count the mean of the two middle ones\'; none of an empty histogram', () => {
    expect(medianSeconds({ '3': 1, '5': 1, '9': 1 })).toBe(5);
    expect(medianSeconds({ '4': 2, '10': 2 })).toBe(7);
    expect(medianSeconds({ '2': 0 })).toBeNull();
    expect(addHistogram({ '1': 1, constructor: 1 }, { '1': 2, toString: 1 })).toEqual({ '1': 3, constructor: 1, toString: 1 });
  });
});

describe('a day\'s goals', () => {
  const goal = (id: string, name: string, value: number, credit: DayGoal['credit']): DayGoal => ({ id, name, at: at(0), value, verified: id.startsWith('v'), credit });
  const credit = (keys: EntryTouch['keys']) => ({ at: at(-MINUTE), s: 60, b: timeBucket(60), keys });

  it('add up to one row per goal name and per (name, model, dimension, key)', () => {
    const goals = [goal('v1', 'paid', 100, { last: credit({ scene: '1089', channel: 'p' }) }), goal('c2', 'paid', 50, { last: credit({ scene: '1089' }), first: credit({ scene: '1047' }) }), goal('c3', 'signup', 0, {})];
    const { goalKeys, goalNames } = goalRows(goals);
    expect(goalNames).toEqual([
      { n: 'paid', goals: 2, value: 150, verified: 1 },
      { n: 'signup', goals: 1, value: 0, verified: 0 },
    ]);
    expect(goalKeys).toEqual(
      expect.arrayContaining([
        { n: 'paid', m: 'last', d: 'scene', k: '1089', goals: 2, value: 150 },
        { n: 'paid', m: 'last', d: 'channel', k: 'p', goals: 1, value: 100 },
        { n: 'paid', m: 'first', d: 'scene', k: '1047', goals: 1, value: 50 },
      ]),
    );
    expect(goalKeys).toHaveLength(3);
  });

  it('compare the same whatever order their fields were written in', () => {
    const one = goal('g', 'paid', 1, { last: credit({ scene: '1' }), first: credit({ scene: '2' }) });
    const other = { ...one, credit: { first: one.credit.first, last: one.credit.last } } as DayGoal;
    expect(sameGoals([one], [other])).toBe(true);
    expect(sameGoals([one], [{ ...one, value: 2 }])).toBe(false);
  });
});

describe('a batch\'s goals', () => {
  const owner = { openid: 'o-ann', appid: 'wxapp' };
  const event = (eventId: string, offset: number, verified: boolean, value?: number): GoalEvent => ({
    _id: eventId,
    eventId,
    openid: 'o-ann',
    appid: 'wxapp',
    seq: 0,
    at: at(offset),
    clientAt: at(offset),
    serverAt: at(offset),
    day: '2024-05-20',
    type: 'goal',
    name: 'order_paid',
    goalId: 'A-1',
    verified,
    ...(value === undefined ? {} : { value }),
  });
  const none = { goals: new Map(), entries: [] };

  it('a new goal is added; reported again by the server, its document is written over the version read', () => {
    const first = planGoals([event('c1', 0, false, 1000)], owner, none, at(1000));
    expect(first.writes).toEqual([{ kind: 'create', doc: expect.objectContaining({ _id: goalDocId('o-ann', 'order_paid', 'A-1'), value: 1000, verified: false, v: 1, day: '2024-05-20' }) }]);
    const stored = new Map([[first.writes[0].doc._id, first.writes[0].doc]]);
    const second = planGoals([event('s1', 3000, true, 990)], owner, { goals: stored, entries: [] }, at(4000));
    expect(second.writes).toEqual([{ kind: 'update', version: 1, doc: expect.objectContaining({ value: 990, verified: true, at: at(0), v: 2 }) }]);
    expect(second.placed).toEqual([{ day: '2024-05-20', goal: expect.objectContaining({ value: 990, verified: true }) }]);
    // the same report again writes no document, but places the goal for its user-day to catch up
    const again = planGoals([event('s1', 3000, true, 990)], owner, { goals: new Map([[second.writes[0].doc._id, second.writes[0].doc]]), entries: [] }, at(5000));
    expect(again.writes).toEqual([]);
    expect(again.placed).toHaveLength(1);
  });

  it('an earlier report moves the goal to its day, leaving the other', () => {
    const late = planGoals([event('s1', DAY, true, 100)], owner, none, at(DAY));
    const stored = new Map([[late.writes[0].doc._id, late.writes[0].doc]]);
    expect(planGoals([event('c1', 0, false, 100)], owner, { goals: stored, entries: [] }, at(DAY)).placed).toEqual([{ day: '2024-05-20', leaves: '2024-05-21', goal: expect.objectContaining({ at: at(0) }) }]);
  });

  it('past the reports kept, a report that changes nothing is not written; one that decides the goal still is (a client cannot lock a goal)', () => {
    const spam = Array.from({ length: MAX_REPORTS }, (_, i) => event(`c${i}`, DAY, false, 1));
    const [created] = planGoals(spam, owner, none, at(DAY)).writes;
    expect(created.doc).toMatchObject({ verified: false, value: 1 });
    expect(created.doc.reports).toHaveLength(MAX_REPORTS);
    const full = new Map([[created.doc._id, created.doc]]);
    // one more of the same: nothing to write
    expect(planGoals([event('c-more', DAY, false, 1)], owner, { goals: full, entries: [] }, at(DAY)).writes).toEqual([]);
    // the operator's verified report takes the goal's value; an earlier one moves its time
    const [verified] = planGoals([event('s1', DAY, true, 5000)], owner, { goals: full, entries: [] }, at(DAY)).writes;
    expect(verified.doc).toMatchObject({ verified: true, value: 5000 });
    expect(verified.doc.reports).toHaveLength(MAX_REPORTS);
    const [earlier] = planGoals([event('c-early', 0, false)], owner, { goals: new Map([[verified.doc._id, verified.doc]]), entries: [] }, at(DAY)).writes;
    expect(earlier.doc).toMatchObject({ at: at(0), verified: true, value: 5000 });
    expect(earlier.doc.reports).toHaveLength(MAX_REPORTS);
  });

  it('in a whole batch: a goal without an entry that day makes a user-day of goals only; the visit\'s entry sent after credits it', () => {
    const identity = { openid: 'o-ann', appid: 'wxapp' };
    const found = (over: Partial<TrackLookups>): TrackLookups => ({ userDays: new Map(), userRead: true, shares: new Map(), groups: new Map(), groupFirsts: new Map(), goals: new Map(), entries: [], ...over });
    const goalInput: TrackEventInput = { id: 'srv-0001', seq: 0, at: T, type: 'goal', name: 'order_paid', goalId: 'A-1', value: 100 };
    const reported = planBatch(timedEvents({ events: [goalInput], sentAt: T }, at(0)), { identity, now: at(0), byFunction: true }, found({}));
    expect(reported.goals).toEqual([{ kind: 'create', doc: expect.objectContaining({ verified: true }) }]);
    expect(reported.userDays).toEqual([{ kind: 'create', doc: expect.objectContaining({ entries: 0, goalCount: 1, goals: [expect.objectContaining({ credit: {} })] }) }]);
    const day = reported.userDays[0].doc as UserDayDoc;
    const entry: TrackEventInput = { id: 'ent-0001', seq: 1, at: T - 20_000, type: 'enter', cold: true, options: { scene: 1047, path: 'pages/index/index', query: { rk_ch: 'desk' } } };
    const sent = planBatch(timedEvents({ events: [entry], sentAt: T + 30_000 }, at(30_000)), { identity, now: at(30_000) }, found({ userDays: new Map([[day.day, day]]) }));
    const [write] = sent.userDays;
    expect(write).toMatchObject({ kind: 'update', version: day.v, goals: { goalCount: 1 } });
    expect(write.doc.goals?.[0].credit).toMatchObject({ first: { keys: { channel: 'desk' } }, last: { s: 20, keys: { channel: 'desk' } }, lastNonDirect: { keys: { channel: 'desk' } } });
    expect(sent.goals).toEqual([]);
  });

  it('reported again once its entries are deleted (raw events past retention), a goal keeps the touches its user-day held', () => {
    const identity = { openid: 'o-ann', appid: 'wxapp' };
    const found = (over: Partial<TrackLookups>): TrackLookups => ({ userDays: new Map(), userRead: true, shares: new Map(), groups: new Map(), groupFirsts: new Map(), goals: new Map(), entries: [], ...over });
    const entry: TrackEventInput = { id: 'ent-0001', seq: 0, at: T - 20_000, type: 'enter', cold: true, options: { scene: 1047, path: 'pages/index/index', query: { rk_ch: 'desk' } } };
    const goalInput: TrackEventInput = { id: 'cli-0001', seq: 1, at: T, type: 'goal', name: 'signup', goalId: 'signup' };
    const first = planBatch(timedEvents({ events: [entry, goalInput], sentAt: T }, at(0)), { identity, now: at(0) }, found({}));
    const day = first.userDays[0].doc as UserDayDoc;
    expect(day.goals?.[0].credit).toMatchObject({ last: { keys: { channel: 'desk' } }, lastNonDirect: { keys: { channel: 'desk' } } });
    const goal = first.goals[0].doc;
    // 100 days later the operator's function reports it again: the entry is gone, the user-day is kept
    const report: TrackEventInput = { id: 'srv-0001', seq: 0, at: T + 100 * DAY, type: 'goal', name: 'signup', goalId: 'signup', value: 500 };
    const again = planBatch(timedEvents({ events: [report], sentAt: T + 100 * DAY }, at(100 * DAY)), { identity, now: at(100 * DAY), byFunction: true }, found({ userDays: new Map([[day.day, day]]), goals: new Map([[goal._id, goal]]) }));
    const held = again.userDays[0].doc.goals?.[0];
    expect(held).toMatchObject({ verified: true, value: 500, at: at(0) });
    expect(held?.credit).toMatchObject({ last: { keys: { channel: 'desk' } }, lastNonDirect: { keys: { channel: 'desk' } } });
  });
});
