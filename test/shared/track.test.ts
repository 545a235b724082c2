import { eventDocId } from '../../shared/ids';
import type { EnterEvent, ShareEvent, ShareRecord, UserDoc } from '../../shared/model';
import type { TrackEventInput } from '../../shared/schemas';
import { cloudIDsOf, daysToRead, planBatch, readGroupData, shareIdsToRead, userWrite, type Batch, type Identity, type TrackLookups, type TrackPlan } from '../../shared/track';

const NOW = new Date('2024-05-01T16:30:00Z'); // 00:30 on 2024-05-02 in Beijing
const CLIENT_AT = Date.parse('2024-05-01T15:59:00Z');
const A = { openid: 'o-alice', appid: 'wxapp' };
const B = { openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob' };
/** Share prefixes as the store derives them; any 12 characters do for the plan. */
const PREFIX: Record<string, string> = { 'o-alice': 'AliceAliceAA', 'o-bob': 'BobBobBobBob', 'o-carol': 'CarolCarolCC' };
const MINUTE = 60_000;

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
const share = (id: string, shareId: string): TrackEventInput => ({ id, seq: seq++, at: CLIENT_AT, type: 'share', shareId, path: 'pages/item/item?x=1', to: 'chat' });
const lookups = (over: Partial<TrackLookups> = {}): TrackLookups => ({ storedIds: new Set(), shares: new Map(), groups: new Map(), knownGroups: new Map(), ...over });
const shareOf = (record: Partial<ShareRecord> & { shareId: string; sharer: string }): ShareRecord => ({ depth: 1, rootShareId: record.shareId, ...record });
/** The share records the plan's share events carry: what the batch adds to the share ledger. */
const recorded = (events: unknown[]): ShareRecord[] => (events as ShareEvent[]).flatMap((event) => (event.type === 'share' && event.share ? [event.share] : []));
/** A batch sent without `sentAt` by `who`, planned at NOW. */
const plan = (events: TrackEventInput[], who: Identity, found: TrackLookups = lookups(), batch: Partial<Batch> = {}): TrackPlan =>
  planBatch({ events, ...batch }, { identity: who, now: NOW, sharePrefix: PREFIX[who.openid] }, found);
const userOf = (openid: string, firstAt: Date, latestAt = firstAt, latest: Partial<UserDoc['latest']> = {}): UserDoc => {
  const touch = (at: Date): UserDoc['first'] => ({ day: new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10), at, scene: 1047, category: 'QR code', bucket: 'offline-qr' });
  return { _id: openid, appid: 'wxapp', firstDay: touch(firstAt).day, first: touch(firstAt), latest: { ...touch(latestAt), ...latest } };
};

describe('events as stored', () => {
  it('keep the client id and time beside the server time; without sentAt the event time is the server time', () => {
    const planned = plan([{ id: 'event-0001', seq: 3, at: CLIENT_AT, type: 'hide', stayMs: 10, pause: 'previewImage' }], B);
    expect(planned.events).toEqual([
      { _id: eventDocId('o-bob', 'event-0001'), eventId: 'event-0001', type: 'hide', stayMs: 10, pause: 'previewImage', seq: 3, openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob', at: NOW, clientAt: new Date(CLIENT_AT), serverAt: NOW, day: '2024-05-02', firstDay: '2024-05-02' },
    ]);
    expect(planned.touches).toBeUndefined();
  });

  it('correct the phone clock by sentAt: a phone 3 hours fast, offline since yesterday morning', () => {
    const fast = 3 * 3600_000;
    const morning = Date.parse('2024-05-01T01:00:00Z'); // 09:00 Beijing on 2024-05-01, on the server's clock
    const planned = plan([enter('event-0001', {}, { at: morning + fast }), enter('event-0002', {}, { at: morning + 6 * 3600_000 + fast })], A, lookups(), { sentAt: NOW.getTime() + fast + 250 });
    expect(planned.events.map((e) => [e.at.toISOString(), e.day, e.firstDay])).toEqual([
      ['2024-05-01T00:59:59.750Z', '2024-05-01', '2024-05-01'],
      ['2024-05-01T06:59:59.750Z', '2024-05-01', '2024-05-01'],
    ]);
    expect(planned.events[0].clientAt).toEqual(new Date(morning + fast));
    expect(planned.touches?.first.day).toBe('2024-05-01');
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

describe('duplicates', () => {
  it('answers stored ids and ids repeated in the batch as duplicates, writing each event once', () => {
    const events = [enter('event-0001', {}), enter('event-0002', {}), enter('event-0002', {}), enter('event-0003', {})];
    const planned = plan(events, A, lookups({ storedIds: new Set([eventDocId('o-alice', 'event-0001')]) }));
    expect(planned.accepted).toEqual(['event-0002', 'event-0003']);
    expect(planned.duplicates).toEqual(['event-0001', 'event-0002']);
    expect(planned.events.map((e) => e.eventId)).toEqual(['event-0002', 'event-0003']);
  });

  it('another user\'s event with the same client id is no duplicate of yours: ids are per caller', () => {
    expect(eventDocId('o-alice', 'event-0001')).not.toBe(eventDocId('o-bob', 'event-0001'));
    const planned = plan([enter('event-0001', {})], B, lookups({ storedIds: new Set([eventDocId('o-alice', 'event-0001')]) }));
    expect(planned.accepted).toEqual(['event-0001']);
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
    const planned = planBatch({ events: [share('event-0001', bobShare)] }, { identity: B, now: NOW }, lookups());
    expect(recorded(planned.events)).toEqual([]);
    expect((planned.events[0] as ShareEvent).warnings?.[0]).toContain('RUKOU_SHARE_SECRET');
  });

  it('opening a card attributes the entry to the sharer, and sharing on builds the chain', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    const planned = plan([enter('event-0001', { rk_sh: aliceShare }), share('event-0002', bobShare)], B, lookups({ shares: new Map([[root.shareId, root]]) }));
    expect((planned.events[0] as EnterEvent).share).toEqual({ shareId: aliceShare, verified: true, sharer: 'o-alice', depth: 1, rootShareId: aliceShare, self: false, isReturn: true });
    expect(recorded(planned.events)).toEqual([{ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare }]);
  });

  it('a share made in a later batch builds on the arrival stored as latest touch', () => {
    const parent = shareOf({ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
    const user = userOf('o-carol', NOW, NOW, { shareId: bobShare });
    const carolShare = `${PREFIX['o-carol']}0001`;
    expect(shareIdsToRead([share('event-0001', carolShare)], user)).toEqual([carolShare, bobShare]);
    const planned = plan([share('event-0001', carolShare)], { openid: 'o-carol', appid: 'wxapp' }, lookups({ user, shares: new Map([[parent.shareId, parent]]) }));
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 3, rootShareId: aliceShare, parentShareId: bobShare });
  });

  it('an unrecorded share id is kept unverified and credits no one; the next share is a root', () => {
    const planned = plan([enter('event-0001', { rk_sh: 'share-FAKE' }), share('event-0002', bobShare)], B);
    expect((planned.events[0] as EnterEvent).share).toEqual({ shareId: 'share-FAKE', verified: false, self: false, isReturn: false });
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 1, rootShareId: bobShare });
    expect(planned.touches?.first).not.toHaveProperty('shareId');
  });

  it('opening your own card is not a return, and sharing again makes a sibling', () => {
    const own = shareOf({ shareId: bobShare, sharer: 'o-bob', depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
    const next = `${PREFIX['o-bob']}0002`;
    const planned = plan([enter('event-0001', { rk_sh: bobShare }), share('event-0002', next)], B, lookups({ shares: new Map([[own.shareId, own]]) }));
    expect((planned.events[0] as EnterEvent).share).toMatchObject({ verified: true, self: true, isReturn: false, depth: 2 });
    expect(recorded(planned.events)[0]).toMatchObject({ depth: 2, rootShareId: aliceShare, parentShareId: aliceShare });
  });

  it('favourites and Moments snapshots are never returns', () => {
    const root = shareOf({ shareId: aliceShare, sharer: 'o-alice' });
    const found = new Map([[root.shareId, root]]);
    for (const reopen of [enter('event-0001', { rk_sh: aliceShare }, { scene: 1010 }), enter('event-0002', { rk_sh: aliceShare }, { scene: 1007, apiCategory: 'browseOnly' })]) {
      const planned = plan([reopen], B, lookups({ shares: found }));
      expect(planned.events[0] as EnterEvent).toMatchObject({ reopen: true, share: { verified: true, isReturn: false } });
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
    const found = (user?: UserDoc): TrackLookups => lookups({ shares: new Map([[root.shareId, root]]), user });
    const returns = (events: unknown[]): [boolean, boolean | undefined][] => (events as EnterEvent[]).map((e) => [Boolean(e.share?.isReturn), e.share?.repeat]);

    it('the same card opened again within the session is an entry, not another return; after a 30-minute gap it returns again', () => {
      const sentAt = NOW.getTime();
      const at = (minutes: number): number => sentAt - 120 * MINUTE + minutes * MINUTE;
      const planned = plan([enter('e-1', { rk_sh: aliceShare }, { at: at(0) }), enter('e-2', { rk_sh: aliceShare }, { at: at(5) }), enter('e-3', { rk_sh: aliceShare }, { at: at(40) })], B, found(), { sentAt });
      expect(returns(planned.events)).toEqual([[true, undefined], [false, true], [true, undefined]]);
      expect(planned.touches?.latest.returns).toEqual([aliceShare]);
    });

    it('a card returned through earlier in the session, as stored on the user, is not returned through again', () => {
      const user = userOf('o-bob', new Date(NOW.getTime() - 10 * MINUTE), new Date(NOW.getTime() - 10 * MINUTE), { returns: [aliceShare] });
      expect(returns(plan([enter('e-1', { rk_sh: aliceShare })], B, found(user)).events)).toEqual([[false, true]]);
      const earlier = userOf('o-bob', new Date(NOW.getTime() - 50 * MINUTE), new Date(NOW.getTime() - 50 * MINUTE), { returns: [aliceShare] });
      expect(returns(plan([enter('e-2', { rk_sh: aliceShare })], B, found(earlier)).events)).toEqual([[true, undefined]]);
    });

    it('a session ends at midnight: the same card just after it is a return again', () => {
      // NOW is 00:30 in Beijing; the stored latest entry was at 23:50 the day before
      const user = userOf('o-bob', new Date(NOW.getTime() - 40 * MINUTE), new Date(NOW.getTime() - 40 * MINUTE), { returns: [aliceShare] });
      expect(returns(plan([enter('e-1', { rk_sh: aliceShare })], B, found(user)).events)).toEqual([[true, undefined]]);
    });

    it('an offline phone\'s older opens are placed in their session from the stored day: two opens of a card, one return', () => {
      const sentAt = NOW.getTime();
      const at = (hoursAgo: number): number => sentAt - hoursAgo * 3600_000;
      const user = userOf('o-bob', new Date(at(20)), new Date(at(1)));
      const batch: Batch = { sentAt, events: [enter('e-1', { rk_sh: aliceShare }, { at: at(6) }), enter('e-2', { rk_sh: aliceShare }, { at: at(6) + 10 * MINUTE })] };
      const days = daysToRead(batch, user, NOW);
      expect(days).toEqual(['2024-05-01']);
      const stored = new Map([[days[0], [{ at: at(1), cards: [] }]]]);
      const planned = planBatch(batch, { identity: B, now: NOW, sharePrefix: PREFIX['o-bob'] }, lookups({ shares: new Map([[root.shareId, root]]), user, dayEntries: stored }));
      expect(returns(planned.events)).toEqual([[true, undefined], [false, true]]);
      // and a stored return of that card in that session makes both repeats
      const returned = new Map([[days[0], [{ at: at(6) + 20 * MINUTE, cards: [aliceShare] }]]]);
      const again = planBatch(batch, { identity: B, now: NOW, sharePrefix: PREFIX['o-bob'] }, lookups({ shares: new Map([[root.shareId, root]]), user, dayEntries: returned }));
      expect(returns(again.events)).toEqual([[false, true], [false, true]]);
    });

    it('reads no stored day when every open comes after the user\'s latest entry', () => {
      const user = userOf('o-bob', new Date(NOW.getTime() - 3600_000));
      expect(daysToRead({ events: [enter('e-1', { rk_sh: aliceShare })] }, user, NOW)).toEqual([]);
      expect(daysToRead({ events: [enter('e-1', {}, { at: 0 })], sentAt: NOW.getTime() }, user, NOW)).toEqual([]);
    });
  });
});

describe('groups', () => {
  it('reads both decrypted shapes, and says why a cloudID did not resolve', () => {
    expect(readGroupData({ openGId: 'G1', watermark: { appid: 'wx', timestamp: 1 } })).toEqual({ openGId: 'G1' });
    expect(readGroupData({ opengid: 'G2', chat_type: 3, open_single_roomid: '', group_openid: '' })).toEqual({ openGId: 'G2', chatType: 3 });
    expect(readGroupData({ errMsg: 'cloudID expired' })).toEqual({ error: 'cloudID expired' });
    expect(readGroupData(undefined)).toHaveProperty('error');
  });

  it('records a group the first time it brings an entry: first seen, first opener, chat type, first share', () => {
    const root = shareOf({ shareId: 'AliceAliceAA0001', sharer: 'o-alice' });
    const events = [enter('event-0001', { rk_sh: root.shareId }, { scene: 1008, group: 'cid-1' }), enter('event-0002', {}, { scene: 1008, group: 'cid-2' })];
    expect(cloudIDsOf([...events, events[0]])).toEqual(['cid-1', 'cid-2']);
    const groups = new Map([
      ['cid-1', { openGId: 'G1' }],
      ['cid-2', { openGId: 'G1', chatType: 3 }],
    ]);
    const planned = plan(events, B, lookups({ shares: new Map([[root.shareId, root]]), groups }));
    expect(planned.events.map((e) => (e as EnterEvent).groupId)).toEqual(['G1', 'G1']);
    expect((planned.events[1] as EnterEvent).chatType).toBe(3);
    expect(planned.groups).toEqual([{ _id: 'G1', firstSeen: NOW, firstDay: '2024-05-02', firstOpener: 'o-bob', firstShareId: root.shareId }]);
  });

  it('writes nothing for a group already recorded: its opens are counted from the events', () => {
    const found = lookups({ groups: new Map([['cid-1', { openGId: 'G1', chatType: 3 }]]), knownGroups: new Map([['G1', NOW]]) });
    const planned = plan([enter('event-0001', {}, { group: 'cid-1' })], B, found);
    expect(planned.events[0]).toMatchObject({ groupId: 'G1', chatType: 3 });
    expect(planned.groups).toEqual([]);
  });

  it('a group recorded from a later entry gets the first fields of an earlier one that arrives after it', () => {
    const sentAt = NOW.getTime();
    const found = lookups({ groups: new Map([['cid-1', { openGId: 'G1', chatType: 3 }]]), knownGroups: new Map([['G1', NOW]]) });
    const planned = plan([enter('event-0001', {}, { group: 'cid-1', at: sentAt - 26 * 3600_000 })], B, found, { sentAt });
    expect(planned.groups).toEqual([]);
    expect(planned.earlierGroups).toEqual([{ _id: 'G1', firstSeen: new Date(sentAt - 26 * 3600_000), firstDay: '2024-04-30', firstOpener: 'o-bob', chatType: 3 }]);
    expect(plan([enter('event-0002', {}, { group: 'cid-1' })], B, found).earlierGroups).toEqual([]);
  });

  it('an expired cloudID is a warning on the entry, not a failure', () => {
    const planned = plan([enter('event-0001', {}, { group: 'cid-old' })], B, lookups({ groups: new Map([['cid-old', { error: 'cloudID expired' }]]) }));
    expect(planned.accepted).toEqual(['event-0001']);
    expect((planned.events[0] as EnterEvent).groupId).toBeUndefined();
    expect((planned.events[0] as EnterEvent).warnings?.[0]).toContain('cloudID expired');
    expect(planned.groups).toEqual([]);
  });
});

describe('users: the earliest entry is first, the latest is latest, whatever the arrival order', () => {
  const sentAt = NOW.getTime();
  const hoursAgo = (hours: number): number => sentAt - hours * 3600_000;

  it('a new user is created from the batch\'s earliest and latest entries by event time, not by seq', () => {
    const events = [enter('event-0002', { rk_ch: 'late' }, { at: hoursAgo(1) }), enter('event-0001', { rk_ch: 'early' }, { at: hoursAgo(30) })];
    const planned = plan(events, A, lookups(), { sentAt });
    expect(planned.touches?.first).toMatchObject({ channel: 'early', day: '2024-04-30' });
    expect(planned.touches?.latest).toMatchObject({ channel: 'late', day: '2024-05-01' });
    expect(planned.events.map((e) => e.firstDay)).toEqual(['2024-04-30', '2024-04-30']);
    expect(userWrite(undefined, planned, A)).toEqual({ kind: 'create', doc: { _id: 'o-alice', appid: 'wxapp', firstDay: '2024-04-30', first: planned.touches?.first, latest: planned.touches?.latest, v: 1 } });
  });

  it('stamps every event with the user\'s first day, so that a rollup needs no join', () => {
    const user = userOf('o-bob', new Date('2024-04-01T02:00:00Z'));
    const events = [enter('event-0001', {}), share('event-0002', `${PREFIX['o-bob']}0009`)];
    expect(plan(events, B, lookups({ user })).events.map((e) => e.firstDay)).toEqual(['2024-04-01', '2024-04-01']);
    expect(plan(events, B).events.map((e) => e.firstDay)).toEqual(['2024-05-02', '2024-05-02']);
  });

  it('a known user: a later entry moves latest only; an earlier one (an offline phone) moves first and its day; each write names the version it read', () => {
    const user = { ...userOf('o-bob', new Date(hoursAgo(0.25)), new Date(hoursAgo(0.1))), v: 7 };
    const later = plan([enter('event-0001', {}, { scene: 1089, at: hoursAgo(0.05) })], B, lookups({ user }), { sentAt });
    expect(userWrite(user, later, B)).toEqual({ kind: 'update', version: 7, fields: { appid: 'wxapp', unionid: 'u-bob', latest: expect.objectContaining({ scene: 1089, at: new Date(hoursAgo(0.05)) }) } });
    const earlier = plan([enter('event-0002', {}, { at: hoursAgo(20) })], B, lookups({ user }), { sentAt });
    expect(earlier.events[0].firstDay).toBe('2024-05-01');
    expect(userWrite(user, earlier, B)).toEqual({
      kind: 'update',
      version: 7,
      fields: { first: expect.objectContaining({ day: '2024-05-01', at: new Date(hoursAgo(20)) }), firstDay: '2024-05-01' },
      revision: { fromDay: '2024-05-02', toDay: '2024-05-01' },
    });
    const between = plan([enter('event-0003', {}, { at: hoursAgo(0.2) })], B, lookups({ user }), { sentAt });
    expect(userWrite(user, between, B)).toBeUndefined();
  });

  it('an older card open in the latest entry\'s session adds its card to what the latest entry remembers', () => {
    const root = shareOf({ shareId: `${PREFIX['o-alice']}0001`, sharer: 'o-alice' });
    const user = { ...userOf('o-bob', new Date(hoursAgo(3)), new Date(hoursAgo(0.1))), v: 2 };
    const older = plan([enter('event-0004', { rk_sh: root.shareId }, { at: hoursAgo(0.2) })], B, lookups({ user, shares: new Map([[root.shareId, root]]) }), { sentAt });
    expect((older.events[0] as EnterEvent).share?.isReturn).toBe(true);
    expect(userWrite(user, older, B)).toEqual({ kind: 'update', version: 2, fields: { latest: { ...user.latest, returns: [root.shareId] } } });
  });
});
