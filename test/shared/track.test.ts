import { eventDocId } from '../../shared/ids';
import type { EnterEvent, ShareEvent, ShareRecord, Touch, UserDayDoc, UserDoc } from '../../shared/model';
import type { TrackEventInput } from '../../shared/schemas';
import type { SentRecord } from '../../shared/sends';
import {
  cloudIDsOf,
  countedDays,
  followUps,
  planBatch,
  priorDaysBefore,
  readGroupData,
  sendIdsToRead,
  shareIdsToRead,
  timedEvents,
  type Batch,
  type Identity,
  type TrackLookups,
  type TrackPlan,
} from '../../shared/track';
import { userDayId } from '../../shared/user-days';

const NOW = new Date('2024-05-01T16:30:00Z'); // 00:30 on 2024-05-02 in Beijing
const CLIENT_AT = Date.parse('2024-05-01T15:59:00Z');
const A = { openid: 'o-alice', appid: 'wxapp' };
const B = { openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob' };
/** Share prefixes as the store derives them; any 12 characters do for the plan. */
const PREFIX: Record<string, string> = { 'o-alice': 'AliceAliceAA', 'o-bob': 'BobBobBobBob', 'o-carol': 'CarolCarolCC' };
const MINUTE = 60_000;
const chinaDay = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

let seq = 0;
const enter = (id: string, query: Record<string, string>, extra: Partial<{ scene: number; group: string; apiCategory: string; at: number }> = {}): TrackEventInput => ({
  id,
  seq: seq++,
  at: extra.at ?? CLIENT_AT,
  type: 'enter',
  cold: true,
  options: { scene: extra.scene ?? 1007, path: 'pages/index/index', query, ...(extra.apiCategory ? { apiCategory: extra.apiCategory } : {}) },
  ...(extra.group ? { group: extra.group } : {}),
});
const share = (id: string, shareId: string, at = CLIENT_AT): TrackEventInput => ({ id, seq: seq++, at, type: 'share', shareId, path: 'pages/item/item?x=1', to: 'chat' });
const page = (id: string, at = CLIENT_AT): TrackEventInput => ({ id, seq: seq++, at, type: 'page', path: 'pages/item/item' });
/** What a new user's batch finds: nothing stored, `users` read and empty. */
const lookups = (over: Partial<TrackLookups> = {}): TrackLookups => ({ userDays: new Map(), userRead: true, shares: new Map(), groups: new Map(), groupFirsts: new Map(), ...over });
const shareOf = (record: Partial<ShareRecord> & { shareId: string; sharer: string }): ShareRecord => ({ depth: 1, rootShareId: record.shareId, ...record });
/** The share records the plan's share events carry: what the batch adds to the share ledger. */
const recorded = (events: unknown[]): ShareRecord[] => (events as ShareEvent[]).flatMap((event) => (event.type === 'share' && event.share ? [event.share] : []));
/** A batch sent by `who`, planned at NOW. */
const plan = (events: TrackEventInput[], who: Identity, found: TrackLookups = lookups(), batch: Partial<Batch> = {}): TrackPlan =>
  planBatch(timedEvents({ events, ...batch }, NOW), { identity: who, now: NOW, sharePrefix: PREFIX[who.openid] }, found);
const touchAt = (at: Date, extra: Partial<Touch> = {}): Touch => ({ day: chinaDay(at.getTime()), at, scene: 1047, category: 'QR code', bucket: 'offline-qr', ...extra });
const userOf = (openid: string, firstAt: Date, v = 1): UserDoc => ({ _id: openid, appid: 'wxapp', firstDay: chinaDay(firstAt.getTime()), first: touchAt(firstAt), v });
/** The user-days a plan writes, by day: what the next batch reads. */
const written = (planned: TrackPlan): Map<string, UserDayDoc> => new Map(planned.userDays.map((write) => [write.doc.day, write.doc]));
/** What a known user's next batch finds: the user-days an earlier plan wrote, and `users` not read. */
const after = (planned: TrackPlan, over: Partial<TrackLookups> = {}): TrackLookups => lookups({ userDays: written(planned), userRead: false, ...over });

describe('events as stored', () => {
  it('keep the client id and time beside the server time; without sentAt the event time is the server time', () => {
    const planned = plan([{ id: 'event-0001', seq: 3, at: CLIENT_AT, type: 'hide', stayMs: 10, pause: 'previewImage' }], B);
    expect(planned.events).toEqual([
      { _id: eventDocId('o-bob', 'event-0001'), eventId: 'event-0001', type: 'hide', stayMs: 10, pause: 'previewImage', seq: 3, openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob', at: NOW, clientAt: new Date(CLIENT_AT), serverAt: NOW, day: '2024-05-02' },
    ]);
    expect(planned.user).toBeUndefined();
    expect(planned.userDays).toEqual([]);
  });

  it('correct the phone clock by sentAt: a phone 3 hours fast, offline since yesterday morning', () => {
    const fast = 3 * 3600_000;
    const morning = Date.parse('2024-05-01T01:00:00Z'); // 09:00 Beijing on 2024-05-01, on the server's clock
    const planned = plan([enter('event-0001', {}, { at: morning + fast }), enter('event-0002', {}, { at: morning + 6 * 3600_000 + fast })], A, lookups(), { sentAt: NOW.getTime() + fast + 250 });
    expect(planned.events.map((e) => [e.at.toISOString(), e.day])).toEqual([
      ['2024-05-01T00:59:59.750Z', '2024-05-01'],
      ['2024-05-01T06:59:59.750Z', '2024-05-01'],
    ]);
    expect(planned.events[0].clientAt).toEqual(new Date(morning + fast));
    expect(planned.user).toMatchObject({ kind: 'create', doc: { firstDay: '2024-05-01' } });
  });

  it('clamp event times to the last 7 days: nothing in the future, nothing older', () => {
    const sentAt = NOW.getTime();
    const planned = plan([enter('event-0001', {}, { at: sentAt + 3600_000 }), enter('event-0002', {}, { at: sentAt - 30 * 86_400_000 })], A, lookups(), { sentAt });
    expect(planned.events.map((e) => e.at)).toEqual([NOW, new Date(NOW.getTime() - 7 * 86_400_000)]);
  });

  it('an enter carries its classification, channel and ids', () => {
    const planned = plan([enter('event-0001', { scene: 'rk_ch%3Dposter7', rk_msg: 'msg-1' }, { scene: 1047 })], A);
    expect(planned.events[0]).toMatchObject({ type: 'enter', scene: 1047, category: 'QR code', bucket: 'offline-qr', channel: 'poster7', messageId: 'msg-1', reopen: false });
  });
});

describe('what the store reads', () => {
  it('the user-days of the days the batch\'s entries and shares fall on; page views and hides need none', () => {
    const sentAt = NOW.getTime();
    const timed = timedEvents({ sentAt, events: [enter('e-1', {}, { at: sentAt - 26 * 3600_000 }), share('e-2', 'x'), page('e-3', sentAt - 72 * 3600_000)] }, NOW);
    expect(countedDays(timed)).toEqual(['2024-04-30', '2024-05-01']);
    expect(countedDays(timedEvents({ events: [page('e-4'), { id: 'e-5', seq: 9, at: CLIENT_AT, type: 'hide', stayMs: 1 }] }, NOW))).toEqual([]);
  });

  it('`users` only for a day without its user-day yet, or an entry that may be earlier than the user\'s first', () => {
    const first = plan([enter('e-1', {})], B);
    const stored = written(first);
    const timed = (events: TrackEventInput[]) => timedEvents({ events, sentAt: NOW.getTime() }, NOW);
    expect(followUps(timed([enter('e-1', {})]), new Map())).toEqual({ user: true, storedIds: false });
    expect(followUps(timed([enter('e-2', {}, { at: NOW.getTime() + MINUTE }), page('e-3')]), stored)).toEqual({ user: false, storedIds: false });
    // earlier than the first entry the user-day copied: perhaps the user's first
    expect(followUps(timed([enter('e-4', {}, { at: NOW.getTime() - MINUTE })]), stored).user).toBe(true);
  });

  it('the batch\'s ids in `events` only when a user-day counted some of them (a batch sent again)', () => {
    const first = plan([enter('e-1', {})], B);
    const timed = timedEvents({ events: [enter('e-1', {}), page('e-2')] }, NOW);
    expect(followUps(timed, written(first))).toEqual({ user: false, storedIds: true });
  });

  it('the user\'s latest entry of an earlier day only for a share with nothing before it on its own day', () => {
    const entered = enter('e-0', {});
    const events = [share('e-1', 'AliceAliceAA0001')];
    expect(followUps(timedEvents({ events }, NOW), new Map()).latestBefore).toBe('2024-05-02');
    expect(followUps(timedEvents({ events: [...events, entered] }, NOW), new Map()).latestBefore).toBeUndefined();
    const today = written(plan([enter('e-2', {})], A));
    expect(followUps(timedEvents({ events }, NOW), today).latestBefore).toBeUndefined();
  });

  it('every share id the batch names, and every distinct cloudID', () => {
    const events = [enter('e-1', { rk_sh: 'S1' }, { group: 'cid-1' }), share('e-2', 'S2'), enter('e-3', {}, { group: 'cid-1' }), enter('e-4', {}, { group: 'cid-2' })];
    expect(shareIdsToRead(events)).toEqual(['S1', 'S2']);
    expect(cloudIDsOf(events)).toEqual(['cid-1', 'cid-2']);
  });
});

describe('duplicates', () => {
  it('answers stored ids and ids repeated in the batch as duplicates, writing each event once', () => {
    const first = plan([enter('event-0001', {})], A);
    const events = [enter('event-0001', {}), enter('event-0002', {}), enter('event-0002', {}), enter('event-0003', {})];
    const planned = plan(events, A, after(first, { storedIds: new Set(['event-0001']) }));
    expect(planned.accepted).toEqual(['event-0002', 'event-0003']);
    expect(planned.duplicates).toEqual(['event-0001', 'event-0002']);
    expect(planned.events.map((e) => e.eventId)).toEqual(['event-0002', 'event-0003']);
    expect(planned.userDays[0].doc).toMatchObject({ entries: 3, counted: ['event-0001', 'event-0002', 'event-0003'] });
  });

  it('an event a user-day counted but `events` lacks (a crash between the writes) is stored again, not counted again', () => {
    const first = plan([enter('event-0001', {}), page('event-0002')], A);
    const retry = plan([enter('event-0001', {}), page('event-0002')], A, after(first, { storedIds: new Set() }));
    expect(retry.accepted).toEqual(['event-0001', 'event-0002']);
    expect(retry.events.map((e) => e.eventId)).toEqual(['event-0001', 'event-0002']);
    expect(retry.userDays).toEqual([]);
  });

  it('another user\'s event with the same client id is no duplicate of yours: ids are per caller', () => {
    expect(eventDocId('o-alice', 'event-0001')).not.toBe(eventDocId('o-bob', 'event-0001'));
    expect(userDayId('o-alice', '2024-05-02')).not.toBe(userDayId('o-bob', '2024-05-02'));
  });
});

describe('user-days', () => {
  it('a new day is added whole, with the user\'s first day and first entry time copied from `users`', () => {
    const user = { ...userOf('o-bob', new Date('2024-04-01T02:00:00Z'), 4), unionid: 'u-bob' };
    const events = [enter('e-1', { rk_ch: 'poster' }, { scene: 1047 }), enter('e-2', {}, { scene: 1089 }), share('e-3', `${PREFIX['o-bob']}0001`), page('e-4')];
    const planned = plan(events, B, lookups({ user }));
    expect(planned.user).toBeUndefined();
    expect(planned.userDays).toHaveLength(1);
    const [write] = planned.userDays;
    expect(write.kind).toBe('create');
    expect(write.doc).toEqual({
      _id: userDayId('o-bob', '2024-05-02'),
      openid: 'o-bob',
      day: '2024-05-02',
      firstDay: '2024-04-01',
      firstAt: new Date('2024-04-01T02:00:00Z'),
      firstKeys: { bucket: 'offline-qr', category: 'QR code', scene: '1047' },
      dayFirst: { at: NOW, bucket: 'offline-qr', category: 'QR code', scene: '1047', channel: 'poster', page: 'pages/index/index' },
      // no days before were read (`priorDays`): none is known
      prevDay: '',
      entries: 2,
      cold: 2,
      times: [NOW, NOW],
      byBucket: { 'offline-qr': 1, 'in-wechat': 1 },
      byCategory: { 'QR code': 1, 'Quick entry': 1 },
      byScene: { '1047': 1, '1089': 1 },
      byChannel: { poster: 1 },
      byPage: { 'pages/index/index': 2 },
      shareIntents: 1,
      returns: 0,
      returnDepths: {},
      cards: [],
      groupOpens: {},
      latest: expect.objectContaining({ at: NOW }),
      counted: ['e-1', 'e-2', 'e-3'],
      v: 1,
      at: NOW,
    });
  });

  it('a known day is written over the version read, with the batch added to it', () => {
    const first = plan([enter('e-1', { rk_ch: 'a.b' })], B);
    const planned = plan([enter('e-2', { rk_ch: 'a.b' }, { at: CLIENT_AT + MINUTE })], B, after(first));
    expect(planned.userDays).toEqual([
      { kind: 'update', version: 1, count: expect.objectContaining({ entries: 1, counted: ['e-2'] }), doc: expect.objectContaining({ entries: 2, byChannel: { 'a%2Eb': 2 }, counted: ['e-1', 'e-2'], v: 2 }) },
    ]);
  });

  it('a batch of shares only adds its count, whatever the version: a user\'s shares never wait for each other', () => {
    const first = plan([enter('e-1', {})], B);
    const [write] = plan([share('e-2', `${PREFIX['o-bob']}0001`)], B, after(first)).userDays;
    expect(write).toEqual({ kind: 'update', count: expect.objectContaining({ shareIntents: 1, counted: ['e-2'] }), doc: expect.objectContaining({ shareIntents: 1, v: 1 }) });
  });

  it('one user-day per day the batch falls on (an offline phone)', () => {
    const sentAt = NOW.getTime();
    const planned = plan([enter('e-1', {}, { at: sentAt - 50 * 3600_000 }), enter('e-2', {}, { at: sentAt - 26 * 3600_000 }), enter('e-3', {})], A, lookups(), { sentAt });
    expect(planned.userDays.map((write) => [write.doc.day, write.doc.firstDay, write.doc.entries])).toEqual([
      ['2024-04-29', '2024-04-29', 1],
      ['2024-04-30', '2024-04-29', 1],
      ['2024-05-01', '2024-04-29', 1],
    ]);
  });

  it('entry times stay in ascending order whatever the arrival order, for sessions', () => {
    const first = plan([enter('e-1', {}, { at: CLIENT_AT })], A);
    const planned = plan([enter('e-2', {}, { at: CLIENT_AT - 10 * MINUTE })], A, after(first, { userRead: true, user: userOf('o-alice', NOW) }), { sentAt: CLIENT_AT });
    expect(planned.userDays[0].doc.times).toEqual([new Date(NOW.getTime() - 10 * MINUTE), NOW]);
  });
});

describe('shares', () => {
  const aliceShare = `${PREFIX['o-alice']}0001`;
  const bobShare = `${PREFIX['o-bob']}0001`;

  it('a share with no share arrival is a root at depth 1, owned by the verified caller', () => {
    const planned = plan([enter('event-0001', {}, { scene: 1089 }), share('event-0002', aliceShare)], A);
    expect(planned.events[1]).toMatchObject({ type: 'share', shareId: aliceShare, path: 'pages/item/item?x=1', to: 'chat', serverAt: NOW, day: '2024-05-02' });
    expect(recorded(planned.events)).toEqual([{ shareId: aliceShare, sharer: 'o-alice', depth: 1, rootShareId: aliceShare }]);
  });

  it('a share id that does not carry the caller\'s prefix is an intent, recorded for no one', () => {
    for (const stolen of [aliceShare, 'share-A001', PREFIX['o-bob']]) {
      const planned = plan([share('event-0001', stolen)], B);
      expect(planned.accepted).toEqual(['event-0001']);
      expect(recorded(planned.events)).toEqual([]);
      expect((planned.events[0] as ShareEvent).warnings?.[0]).toContain('not issued to this user');
    }
  });

  it('without a share secret, no share id is recorded, and the event says why', () => {
    const planned = planBatch(timedEvents({ events: [share('event-0001', bobShare)] }, NOW), { identity: B, now: NOW }, lookups());
    expect(recorded(planned.events)).toEqual([]);
    expect((planned.events[0] as ShareEvent).warnings?.[0]).toContain('RUKOU_SHARE_SECRET');
  });

  it('opening a card attributes the entry to the sharer, and sharing on builds the chain', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    const planned = plan([enter('event-0001', { rk_sh: aliceShare }), share('event-0002', bobShare)], B, lookups({ shares: new Map([[root.shareId, root]]) }));
    expect((planned.events[0] as EnterEvent).share).toEqual({ shareId: aliceShare, verified: true, sharer: 'o-alice', depth: 1, rootShareId: aliceShare, self: false, isReturn: true });
    expect(recorded(planned.events)).toEqual([{ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare }]);
    expect(planned.userDays[0].doc).toMatchObject({ returns: 1, returnDepths: { '1': 1 }, cards: [{ at: NOW, shareId: aliceShare }], latest: { card: root } });
  });

  it('a share made in a later batch builds on the card of the day\'s latest entry', () => {
    const parent = shareOf({ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
    const carol = { openid: 'o-carol', appid: 'wxapp' };
    const first = plan([enter('event-0001', { rk_sh: bobShare })], carol, lookups({ shares: new Map([[parent.shareId, parent]]) }));
    const carolShare = `${PREFIX['o-carol']}0001`;
    const planned = plan([share('event-0002', carolShare)], carol, after(first));
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 3, rootShareId: aliceShare, parentShareId: bobShare });
  });

  it('a share with no entry before it on its day builds on the user\'s latest entry of an earlier day', () => {
    const parent = shareOf({ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
    const carolShare = `${PREFIX['o-carol']}0002`;
    const earlierLatest = touchAt(new Date(NOW.getTime() - 40 * MINUTE), { card: parent });
    const planned = plan([share('event-0003', carolShare)], { openid: 'o-carol', appid: 'wxapp' }, lookups({ earlierLatest }));
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 3, parentShareId: bobShare });
  });

  it('an unrecorded share id is kept unverified and credits no one; the next share is a root', () => {
    const planned = plan([enter('event-0001', { rk_sh: 'share-FAKE' }), share('event-0002', bobShare)], B);
    expect((planned.events[0] as EnterEvent).share).toEqual({ shareId: 'share-FAKE', verified: false, self: false, isReturn: false });
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 1, rootShareId: bobShare });
    expect(planned.userDays[0].doc.latest).not.toHaveProperty('card');
  });

  it('opening your own card is not a return, and sharing again makes a sibling', () => {
    const own = shareOf({ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
    const next = `${PREFIX['o-bob']}0002`;
    const planned = plan([enter('event-0001', { rk_sh: bobShare }), share('event-0002', next)], B, lookups({ shares: new Map([[own.shareId, own]]) }));
    expect((planned.events[0] as EnterEvent).share).toMatchObject({ verified: true, self: true, isReturn: false, depth: 2 });
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
  });

  it('a share after a re-open of someone else\'s card (favourites, the floating window, the pull-down bar) builds on that card', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    for (const scene of [1010, 1131, 1089]) {
      const planned = plan([enter('event-0001', { rk_sh: aliceShare }, { scene }), share('event-0002', bobShare)], B, lookups({ shares: new Map([[root.shareId, root]]) }));
      expect(planned.events[0] as EnterEvent).toMatchObject({ reopen: true, share: { verified: true, isReturn: false } });
      expect(recorded(planned.events)).toEqual([{ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare }]);
      // no return: the re-open is no share touch for retention or goals
      expect(planned.userDays[0].doc).toMatchObject({ returns: 0, latest: { reopened: root } });
      expect(planned.userDays[0].doc.latest).not.toHaveProperty('card');
    }
  });

  it('favourites and Moments snapshots are never returns', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    const found = new Map([[root.shareId, root]]);
    for (const reopen of [enter('event-0001', { rk_sh: aliceShare }, { scene: 1010 }), enter('event-0002', { rk_sh: aliceShare }, { scene: 1007, apiCategory: 'browseOnly' })]) {
      const planned = plan([reopen], B, lookups({ shares: found }));
      expect(planned.events[0] as EnterEvent).toMatchObject({ reopen: true, share: { verified: true, isReturn: false } });
      expect(planned.userDays[0].doc.returns).toBe(0);
    }
  });

  it('a share id of your own already recorded keeps its record', () => {
    const root = shareOf({ shareId: bobShare, sharer: 'o-bob' });
    const planned = plan([share('event-0001', bobShare)], B, lookups({ shares: new Map([[root.shareId, root]]) }));
    expect(planned.accepted).toEqual(['event-0001']);
    expect(planned.events[0]).not.toHaveProperty('share');
    expect(planned.events[0]).not.toHaveProperty('warnings');
  });

  describe('a card counts once per session', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    const shares = new Map([[root.shareId, root]]);
    const returns = (events: unknown[]): [boolean, boolean | undefined][] => (events as EnterEvent[]).map((e) => [Boolean(e.share?.isReturn), e.share?.repeat]);
    const sentAt = NOW.getTime();

    it('the same card opened again within the session is an entry, not another return; after a 30-minute gap it returns again', () => {
      const at = (minutes: number): number => sentAt - 120 * MINUTE + minutes * MINUTE;
      const planned = plan([enter('e-1', { rk_sh: aliceShare }, { at: at(0) }), enter('e-2', { rk_sh: aliceShare }, { at: at(5) }), enter('e-3', { rk_sh: aliceShare }, { at: at(40) })], B, lookups({ shares }), { sentAt });
      expect(returns(planned.events)).toEqual([[true, undefined], [false, true], [true, undefined]]);
      expect(planned.userDays[0].doc.returns).toBe(2);
    });

    it('a card returned through earlier in the session, as the user-day keeps it, is not returned through again', () => {
      const first = plan([enter('e-1', { rk_sh: aliceShare }, { at: sentAt - 10 * MINUTE })], B, lookups({ shares }), { sentAt });
      expect(returns(plan([enter('e-2', { rk_sh: aliceShare }, { at: sentAt })], B, after(first, { shares }), { sentAt }).events)).toEqual([[false, true]]);
      const longAgo = plan([enter('e-3', { rk_sh: aliceShare }, { at: sentAt - 100 * MINUTE })], B, lookups({ shares }), { sentAt });
      expect(returns(plan([enter('e-4', { rk_sh: aliceShare }, { at: sentAt - 60 * MINUTE })], B, after(longAgo, { shares }), { sentAt }).events)).toEqual([[true, undefined]]);
    });

    it('a session ends at midnight: the same card just after it is a return again', () => {
      // NOW is 00:30 in Beijing: the first open was at 23:50 the day before, on another user-day
      const first = plan([enter('e-1', { rk_sh: aliceShare }, { at: sentAt - 40 * MINUTE })], B, lookups({ shares }), { sentAt });
      expect(first.userDays[0].doc.day).toBe('2024-05-01');
      const user = userOf('o-bob', new Date(sentAt - 40 * MINUTE));
      expect(returns(plan([enter('e-2', { rk_sh: aliceShare }, { at: sentAt })], B, lookups({ shares, user }), { sentAt }).events)).toEqual([[true, undefined]]);
    });

    it('an offline phone\'s older opens are placed in their session from the stored day: two opens of a card, one return', () => {
      const at = (hoursAgo: number): number => sentAt - hoursAgo * 3600_000;
      const day = plan([enter('e-0', {}, { at: at(1) })], B, lookups({ shares }), { sentAt });
      const offline = [enter('e-1', { rk_sh: aliceShare }, { at: at(6) }), enter('e-2', { rk_sh: aliceShare }, { at: at(6) + 10 * MINUTE })];
      expect(returns(plan(offline, B, after(day, { shares }), { sentAt }).events)).toEqual([[true, undefined], [false, true]]);
      // and a stored return of that card in that session makes both repeats
      const returned = plan([enter('e-3', { rk_sh: aliceShare }, { at: at(6) + 20 * MINUTE })], B, lookups({ shares }), { sentAt });
      expect(returns(plan(offline, B, after(returned, { shares }), { sentAt }).events)).toEqual([[false, true], [false, true]]);
    });

    it('an entry stored again after a crash does not meet itself: it stays the return it was counted as', () => {
      const first = plan([enter('e-1', { rk_sh: aliceShare })], B, lookups({ shares }));
      const retry = plan([enter('e-1', { rk_sh: aliceShare })], B, after(first, { shares, storedIds: new Set() }));
      expect(returns(retry.events)).toEqual([[true, undefined]]);
    });
  });
});

describe('groups', () => {
  it('reads both decrypted shapes, and says why a cloudID did not resolve', () => {
    expect(readGroupData({ cloudID: 'c1', data: { openGId: 'G1', watermark: { appid: 'wx', timestamp: 1 } } })).toEqual({ openGId: 'G1' });
    expect(readGroupData({ cloudID: 'c2', data: { opengid: 'G2', chat_type: 3, open_single_roomid: '', group_openid: '' } })).toEqual({ openGId: 'G2', chatType: 3 });
    expect(readGroupData({ cloudID: 'c3', data: { errMsg: 'cloudID expired' } })).toEqual({ error: 'cloudID expired' });
    // WeChat's code says which failure it was: a forged cloudID, an expired one, another user's
    expect(readGroupData({ cloudID: 'c4', errCode: -601006, errMsg: 'cloudID expired' })).toEqual({ error: 'cloudID expired (errCode -601006)' });
    expect(readGroupData({ cloudID: 'c5', errCode: -601007, errMsg: 'cloudID and calling user does not match' })).toEqual({ error: 'cloudID and calling user does not match (errCode -601007)' });
    expect(readGroupData(undefined)).toHaveProperty('error');
  });

  it('marks a group\'s first entry: the earliest of the batch, when no entry of the group is stored', () => {
    const events = [enter('event-0001', {}, { scene: 1008, group: 'cid-1', at: CLIENT_AT + MINUTE }), enter('event-0002', {}, { scene: 1008, group: 'cid-2' })];
    const groups = new Map([
      ['cid-1', { openGId: 'G1' }],
      ['cid-2', { openGId: 'G1', chatType: 3 }],
    ]);
    const planned = plan(events, B, lookups({ groups }), { sentAt: CLIENT_AT + MINUTE });
    expect(planned.events.map((e) => [(e as EnterEvent).groupId, (e as EnterEvent).groupFirst])).toEqual([
      ['G1', undefined],
      ['G1', true],
    ]);
    expect((planned.events[1] as EnterEvent).chatType).toBe(3);
    expect(planned.userDays[0].doc.groupOpens).toEqual({ G1: 2 });
  });

  it('marks nothing for a group whose stored first entry is earlier: its opens are counted from the events', () => {
    const found = lookups({ groups: new Map([['cid-1', { openGId: 'G1', chatType: 3 }]]), groupFirsts: new Map([['G1', new Date(NOW.getTime() - MINUTE)]]) });
    const planned = plan([enter('event-0001', {}, { group: 'cid-1' })], B, found);
    expect(planned.events[0]).toMatchObject({ groupId: 'G1', chatType: 3 });
    expect(planned.events[0]).not.toHaveProperty('groupFirst');
  });

  it('marks an entry earlier than the group\'s stored first one (an offline phone): the group\'s record is its earliest', () => {
    const sentAt = NOW.getTime();
    const found = lookups({ groups: new Map([['cid-1', { openGId: 'G1', chatType: 3 }]]), groupFirsts: new Map([['G1', NOW]]) });
    const planned = plan([enter('event-0001', {}, { group: 'cid-1', at: sentAt - 26 * 3600_000 })], B, found, { sentAt });
    expect(planned.events[0]).toMatchObject({ groupId: 'G1', groupFirst: true, day: '2024-04-30' });
  });

  it('an expired cloudID is a warning on the entry, not a failure', () => {
    const planned = plan([enter('event-0001', {}, { group: 'cid-old' })], B, lookups({ groups: new Map([['cid-old', { error: 'cloudID expired' }]]) }));
    expect(planned.accepted).toEqual(['event-0001']);
    expect((planned.events[0] as EnterEvent).groupId).toBeUndefined();
    expect((planned.events[0] as EnterEvent).warnings?.[0]).toContain('cloudID expired');
  });
});

describe('users: the earliest entry is first, whatever the arrival order', () => {
  const sentAt = NOW.getTime();
  const hoursAgo = (hours: number): number => sentAt - hours * 3600_000;

  it('a new user is created from the batch\'s earliest entry by event time, not by seq', () => {
    const events = [enter('event-0002', { rk_ch: 'late' }, { at: hoursAgo(1) }), enter('event-0001', { rk_ch: 'early' }, { at: hoursAgo(30) })];
    const planned = plan(events, A, lookups(), { sentAt });
    expect(planned.user).toEqual({ kind: 'create', doc: { _id: 'o-alice', appid: 'wxapp', firstDay: '2024-04-30', first: expect.objectContaining({ channel: 'early', day: '2024-04-30' }), v: 1 } });
    expect(planned.userDays.map((write) => [write.doc.day, write.doc.firstDay, write.doc.firstAt])).toEqual([
      ['2024-04-30', '2024-04-30', new Date(hoursAgo(30))],
      ['2024-05-01', '2024-04-30', new Date(hoursAgo(30))],
    ]);
    expect(planned.userDays[1].doc.latest).toMatchObject({ channel: 'late' });
  });

  it('a user with shares but no entry yet has no `users` document, and no first day', () => {
    const planned = plan([share('e-1', `${PREFIX['o-alice']}0003`)], A);
    expect(planned.user).toBeUndefined();
    expect(planned.userDays[0].doc).toMatchObject({ firstDay: '2024-05-02', entries: 0, shareIntents: 1 });
    expect(planned.userDays[0].doc).not.toHaveProperty('firstAt');
  });

  it('a known user: an earlier entry (an offline phone) moves first and its day, with the version read and a revision; a later one writes nothing to `users`', () => {
    const user = userOf('o-bob', new Date(hoursAgo(0.25)), 7);
    const earlier = plan([enter('event-0002', {}, { at: hoursAgo(20) })], B, lookups({ user }), { sentAt });
    expect(earlier.user).toEqual({
      kind: 'update',
      version: 7,
      fields: { appid: 'wxapp', unionid: 'u-bob', first: expect.objectContaining({ day: '2024-05-01', at: new Date(hoursAgo(20)) }), firstDay: '2024-05-01' },
      revision: { fromDay: '2024-05-02', toDay: '2024-05-01' },
    });
    expect(earlier.userDays[0].doc).toMatchObject({ day: '2024-05-01', firstDay: '2024-05-01' });
    const withUnionid = { ...user, unionid: 'u-bob' };
    expect(plan([enter('event-0003', {}, { at: hoursAgo(0.1) })], B, lookups({ user: withUnionid }), { sentAt }).user).toBeUndefined();
  });
});

describe('what retention reads from the user-days', () => {
  const sentAt = NOW.getTime();
  const daysAgo = (days: number, hours = 0): number => sentAt - days * 86_400_000 - hours * 3600_000;
  const timed = (events: TrackEventInput[]) => timedEvents({ events, sentAt }, NOW);
  const message = (id: string, extra: Partial<SentRecord> = {}): SentRecord => ({ _id: id, openid: 'o-bob', fate: 'sent', sentAt: new Date(daysAgo(1)), key: 'T-weekly', ...extra });

  it('every user-day with an entry copies the first touch\'s keys and keeps its earliest entry\'s', () => {
    const user = { ...userOf('o-bob', new Date(daysAgo(40)), 2), first: touchAt(new Date(daysAgo(40)), { channel: 'poster', path: 'pages/index/index' }) };
    const planned = plan([enter('e-2', {}, { scene: 1089, at: daysAgo(0, 0.2) }), enter('e-1', { rk_ch: 'door' }, { scene: 1047, at: daysAgo(0, 0.3) })], B, lookups({ user, priorDays: ['2024-03-20'] }), { sentAt });
    expect(planned.userDays[0].doc).toMatchObject({
      firstKeys: { bucket: 'offline-qr', category: 'QR code', scene: '1047', channel: 'poster', page: 'pages/index/index' },
      dayFirst: { at: new Date(daysAgo(0, 0.3)), scene: '1047', channel: 'door' },
      prevDay: '2024-03-20',
    });
    // a later entry of the day leaves the day's earliest and its previous day as they are
    const later = plan([enter('e-3', {}, { scene: 1001, at: daysAgo(0, 0.1) })], B, after(planned), { sentAt });
    expect(later.userDays[0].doc).toMatchObject({ dayFirst: { scene: '1047', channel: 'door' }, prevDay: '2024-03-20', firstKeys: { channel: 'poster' } });
    expect(later.laterDays).toEqual([]);
  });

  it('a share return, a group and a message opened are keys of the entry; a card of your own, a message sent to someone else or too long ago are not', () => {
    const card = shareOf({ shareId: 'AliceAliceAA0001', sharer: 'o-alice', depth: 2 });
    const own = shareOf({ shareId: 'BobBobBobBob0001', sharer: 'o-bob' });
    const byId = (records: SentRecord[]) => new Map(records.map((record) => [record._id, record]));
    const records = { messages: byId([message('m-1'), message('m-2', { openid: 'o-carol' }), message('m-3', { sentAt: new Date(daysAgo(8)) })]), cards: byId([{ ...message('c-1'), key: 'keyword:优惠' }]) };
    const keysOf = (events: TrackEventInput[]) => plan(events, B, lookups({ shares: new Map([card, own].map((share) => [share.shareId, share])), groups: new Map([['cid-1', { openGId: 'G1' }]]), records }), { sentAt }).userDays[0].doc.dayFirst;
    expect(keysOf([enter('e-1', { rk_sh: card.shareId }, { scene: 1008, group: 'cid-1' })])).toMatchObject({ share: '2', group: true });
    expect(keysOf([enter('e-2', { rk_sh: own.shareId })])).not.toHaveProperty('share');
    expect(keysOf([enter('e-3', { rk_msg: 'm-1' }, { scene: 1107 })])).toMatchObject({ message: 'T-weekly' });
    expect(keysOf([enter('e-4', { rk_card: 'c-1' }, { scene: 1073 })])).toMatchObject({ card: 'keyword:优惠' });
    for (const id of ['m-2', 'm-3', 'm-unknown']) expect(keysOf([enter('e-5', { rk_msg: id }, { scene: 1107 })])).not.toHaveProperty('message');
  });

  it('message and card records are read for every entry that names them (goals credit each open), in the first read: followUps asks for nothing more', () => {
    const first = written(plan([enter('e-1', {}, { at: daysAgo(0, 0.3) })], B, lookups(), { sentAt }));
    const later = timed([enter('e-2', { rk_msg: 'm-1' }, { at: daysAgo(0, 0.1) })]);
    expect(sendIdsToRead(later.map((event) => event.input))).toEqual({ messages: ['m-1'], cards: [] });
    expect(followUps(later, first)).not.toHaveProperty('sends');
    expect(sendIdsToRead(timed([enter('e-3', { rk_msg: 'm-1', rk_card: 'c-1' }, { at: daysAgo(0, 0.4) })]).map((event) => event.input))).toEqual({ messages: ['m-1'], cards: ['c-1'] });
    expect(sendIdsToRead(timed([enter('e-4', { rk_card: 'c-2' }, { at: daysAgo(2) })]).map((event) => event.input))).toEqual({ messages: [], cards: ['c-2'] });
  });

  it('the days with an entry before the days a batch opens are read for a known user only', () => {
    const events = timed([enter('e-1', {}, { at: daysAgo(2) }), enter('e-2', {}, { at: sentAt })]);
    expect(priorDaysBefore(events, new Map(), '2024-04-01')).toBe('2024-05-02');
    expect(priorDaysBefore(events, new Map(), undefined)).toBeUndefined();
    // the batch moves the first day: nothing came before it
    expect(priorDaysBefore(events, new Map(), '2024-05-02')).toBeUndefined();
    const today = written(plan([enter('e-0', {}, { at: sentAt })], B, lookups(), { sentAt }));
    expect(priorDaysBefore(timed([enter('e-3', {}, { at: sentAt })]), today, '2024-04-01')).toBeUndefined();
  });

  it('an offline phone\'s days each take the latest day with an entry before them; a day that had its entries takes one of them that comes between', () => {
    const user = userOf('o-bob', new Date(daysAgo(20)));
    const today = written(plan([enter('e-0', {}, { at: sentAt })], B, lookups({ user, priorDays: ['2024-04-12'] }), { sentAt }));
    expect(today.get('2024-05-02')?.prevDay).toBe('2024-04-12');
    const offline = plan([enter('e-1', {}, { at: daysAgo(3) }), enter('e-2', {}, { at: daysAgo(1) }), enter('e-3', {}, { at: sentAt })], B, lookups({ user, userDays: today, priorDays: ['2024-04-27', '2024-04-12'] }), { sentAt });
    expect(offline.userDays.map((write) => [write.doc.day, write.doc.prevDay])).toEqual([
      ['2024-04-29', '2024-04-27'],
      ['2024-05-01', '2024-04-29'],
      ['2024-05-02', '2024-05-01'],
    ]);
    // days after those it opens may have their entries already: their previous day is fixed after
    expect(offline.laterDays).toEqual([
      { kind: 'prevDay', after: '2024-04-29', except: offline.userDays.map((write) => write.doc._id) },
      { kind: 'prevDay', after: '2024-05-01', except: offline.userDays.map((write) => write.doc._id) },
    ]);
  });

  it('an earlier first entry moves the first touch\'s keys on the user\'s other user-days', () => {
    const user = userOf('o-bob', new Date(daysAgo(0, 0.25)), 7);
    const earlier = plan([enter('e-1', { rk_ch: 'offline' }, { at: daysAgo(2) })], B, lookups({ user }), { sentAt });
    const [write] = earlier.userDays;
    expect(write.doc).toMatchObject({ day: '2024-04-30', firstDay: '2024-04-30', firstKeys: { channel: 'offline' }, prevDay: '' });
    expect(earlier.laterDays).toEqual([
      { kind: 'first', firsts: { firstAt: new Date(daysAgo(2)), firstKeys: expect.objectContaining({ channel: 'offline', scene: '1007' }) }, except: [write.doc._id] },
      { kind: 'prevDay', after: '2024-04-30', except: [write.doc._id] },
    ]);
  });
});
