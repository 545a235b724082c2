import type { EnterEvent, ShareEvent, ShareRecord, UserDoc } from '../../shared/model';
import type { TrackEventInput } from '../../shared/schemas';
import { cloudIDsOf, planBatch, readGroupData, shareIdsToRead, type TrackLookups } from '../../shared/track';

const NOW = new Date('2024-05-01T16:30:00Z'); // 00:30 on 2024-05-02 in Beijing
const CLIENT_AT = Date.parse('2024-05-01T15:59:00Z');
const A = { openid: 'o-alice', appid: 'wxapp' };
const B = { openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob' };

let seq = 0;
const enter = (id: string, query: Record<string, string>, extra: Partial<{ scene: number; group: string; apiCategory: string }> = {}): TrackEventInput => ({
  id,
  seq: seq++,
  at: CLIENT_AT,
  type: 'enter',
  cold: true,
  options: { scene: extra.scene ?? 1007, path: 'pages/index/index', query, ...(extra.apiCategory ? { apiCategory: extra.apiCategory } : {}) },
  ...(extra.group ? { group: extra.group } : {}),
});
const share = (id: string, shareId: string): TrackEventInput => ({ id, seq: seq++, at: CLIENT_AT, type: 'share', shareId, path: 'pages/item/item?x=1', to: 'chat' });
const lookups = (over: Partial<TrackLookups> = {}): TrackLookups => ({ storedIds: new Set(), shares: new Map(), groups: new Map(), knownGroups: new Set(), ...over });
const shareOf = (record: Partial<ShareRecord> & { shareId: string; sharer: string }): ShareRecord => ({ depth: 1, rootShareId: record.shareId, ...record });
/** The share records the plan's share events carry: what the batch adds to the share ledger. */
const recorded = (events: unknown[]): ShareRecord[] => (events as ShareEvent[]).flatMap((event) => (event.type === 'share' && event.share ? [event.share] : []));

describe('events as stored', () => {
  it('keep the client time beside the server time, with the China day of the server time', () => {
    const plan = planBatch([{ id: 'event-0001', seq: 3, at: CLIENT_AT, type: 'hide', stayMs: 10 }], B, NOW, lookups());
    expect(plan.events).toEqual([{ _id: 'event-0001', type: 'hide', stayMs: 10, seq: 3, openid: 'o-bob', appid: 'wxapp', unionid: 'u-bob', clientAt: new Date(CLIENT_AT), serverAt: NOW, day: '2024-05-02', firstDay: '2024-05-02' }]);
    expect(plan.user).toBeUndefined();
  });

  it('an enter carries its classification, channel and ids', () => {
    const plan = planBatch([enter('event-0001', { scene: 'rk_ch%3Dposter7', rk_msg: 'msg-1' }, { scene: 1047 })], A, NOW, lookups());
    expect(plan.events[0]).toMatchObject({ type: 'enter', scene: 1047, category: 'QR code', bucket: 'offline-qr', channel: 'poster7', messageId: 'msg-1', reopen: false });
  });
});

describe('duplicates', () => {
  it('answers stored ids and ids repeated in the batch as duplicates, writing each event once', () => {
    const events = [enter('event-0001', {}), enter('event-0002', {}), enter('event-0002', {}), enter('event-0003', {})];
    const plan = planBatch(events, A, NOW, lookups({ storedIds: new Set(['event-0001']) }));
    expect(plan.accepted).toEqual(['event-0002', 'event-0003']);
    expect(plan.duplicates).toEqual(['event-0001', 'event-0002']);
    expect(plan.events.map((e) => e._id)).toEqual(['event-0002', 'event-0003']);
  });
});

describe('shares', () => {
  it('a share with no share arrival is a root at depth 1, owned by the verified caller', () => {
    const plan = planBatch([enter('event-0001', {}, { scene: 1089 }), share('event-0002', 'share-A001')], A, NOW, lookups());
    expect(plan.events[1]).toMatchObject({ type: 'share', shareId: 'share-A001', path: 'pages/item/item?x=1', to: 'chat', serverAt: NOW, day: '2024-05-02' });
    expect(recorded(plan.events)).toEqual([{ shareId: 'share-A001', sharer: 'o-alice', depth: 1, rootShareId: 'share-A001' }]);
  });

  it('opening a card attributes the entry to the sharer, and sharing on builds the chain', () => {
    const root = shareOf({ shareId: 'share-A001', sharer: 'o-alice' });
    const plan = planBatch([enter('event-0001', { rk_sh: 'share-A001' }), share('event-0002', 'share-B001')], B, NOW, lookups({ shares: new Map([[root.shareId, root]]) }));
    expect((plan.events[0] as EnterEvent).share).toEqual({ shareId: 'share-A001', verified: true, sharer: 'o-alice', depth: 1, rootShareId: 'share-A001', self: false, isReturn: true });
    expect(recorded(plan.events)).toEqual([{ shareId: 'share-B001', sharer: 'o-bob', depth: 2, rootShareId: 'share-A001', parentShareId: 'share-A001' }]);
  });

  it('a share made in a later batch builds on the arrival stored as latest touch', () => {
    const parent = shareOf({ shareId: 'share-B001', sharer: 'o-bob', depth: 2, rootShareId: 'share-A001', parentShareId: 'share-A001' });
    const user: UserDoc = {
      _id: 'o-carol',
      appid: 'wxapp',
      firstDay: '2024-05-01',
      first: { day: '2024-05-01', at: NOW, scene: 1007, category: 'Share', bucket: 'in-wechat', shareId: 'share-B001' },
      latest: { day: '2024-05-01', at: NOW, scene: 1007, category: 'Share', bucket: 'in-wechat', shareId: 'share-B001' },
    };
    expect(shareIdsToRead([share('event-0001', 'share-C001')], user)).toEqual(['share-C001', 'share-B001']);
    const plan = planBatch([share('event-0001', 'share-C001')], { openid: 'o-carol', appid: 'wxapp' }, NOW, lookups({ user, shares: new Map([[parent.shareId, parent]]) }));
    expect(recorded(plan.events)[0]).toMatchObject({ depth: 3, rootShareId: 'share-A001', parentShareId: 'share-B001' });
  });

  it('an unrecorded share id is kept unverified and credits no one; the next share is a root', () => {
    const plan = planBatch([enter('event-0001', { rk_sh: 'share-FAKE' }), share('event-0002', 'share-B002')], B, NOW, lookups());
    expect((plan.events[0] as EnterEvent).share).toEqual({ shareId: 'share-FAKE', verified: false, self: false, isReturn: false });
    expect(recorded(plan.events)[0]).toMatchObject({ depth: 1, rootShareId: 'share-B002' });
    expect(plan.user && 'create' in plan.user ? plan.user.create.first : {}).not.toHaveProperty('shareId');
  });

  it('opening your own card is not a return, and sharing again makes a sibling', () => {
    const own = shareOf({ shareId: 'share-B001', sharer: 'o-bob', depth: 2, rootShareId: 'share-A001', parentShareId: 'share-A001' });
    const plan = planBatch([enter('event-0001', { rk_sh: 'share-B001' }), share('event-0002', 'share-B002')], B, NOW, lookups({ shares: new Map([[own.shareId, own]]) }));
    expect((plan.events[0] as EnterEvent).share).toMatchObject({ verified: true, self: true, isReturn: false, depth: 2 });
    expect(recorded(plan.events)[0]).toMatchObject({ depth: 2, rootShareId: 'share-A001', parentShareId: 'share-A001' });
  });

  it('favourites and Moments snapshots are never returns', () => {
    const root = shareOf({ shareId: 'share-A001', sharer: 'o-alice' });
    const found = new Map([[root.shareId, root]]);
    for (const reopen of [enter('event-0001', { rk_sh: 'share-A001' }, { scene: 1010 }), enter('event-0002', { rk_sh: 'share-A001' }, { scene: 1007, apiCategory: 'browseOnly' })]) {
      const plan = planBatch([reopen], B, NOW, lookups({ shares: found }));
      expect((plan.events[0] as EnterEvent)).toMatchObject({ reopen: true, share: { verified: true, isReturn: false } });
    }
  });

  it('a share id recorded by someone else is not taken over', () => {
    const root = shareOf({ shareId: 'share-A001', sharer: 'o-alice' });
    const plan = planBatch([share('event-0001', 'share-A001')], B, NOW, lookups({ shares: new Map([[root.shareId, root]]) }));
    expect(plan.accepted).toEqual(['event-0001']);
    expect(plan.events[0]).not.toHaveProperty('share');
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
    const root = shareOf({ shareId: 'share-A001', sharer: 'o-alice' });
    const events = [enter('event-0001', { rk_sh: 'share-A001' }, { scene: 1008, group: 'cid-1' }), enter('event-0002', {}, { scene: 1008, group: 'cid-2' })];
    expect(cloudIDsOf([...events, events[0]])).toEqual(['cid-1', 'cid-2']);
    const groups = new Map([
      ['cid-1', { openGId: 'G1' }],
      ['cid-2', { openGId: 'G1', chatType: 3 }],
    ]);
    const plan = planBatch(events, B, NOW, lookups({ shares: new Map([[root.shareId, root]]), groups }));
    expect(plan.events.map((e) => (e as EnterEvent).groupId)).toEqual(['G1', 'G1']);
    expect((plan.events[1] as EnterEvent).chatType).toBe(3);
    expect(plan.groups).toEqual([{ _id: 'G1', firstSeen: NOW, firstDay: '2024-05-02', firstOpener: 'o-bob', firstShareId: 'share-A001' }]);
  });

  it('writes nothing for a group already recorded: its opens are counted from the events', () => {
    const found = lookups({ groups: new Map([['cid-1', { openGId: 'G1', chatType: 3 }]]), knownGroups: new Set(['G1']) });
    const plan = planBatch([enter('event-0001', {}, { group: 'cid-1' })], B, NOW, found);
    expect(plan.events[0]).toMatchObject({ groupId: 'G1', chatType: 3 });
    expect(plan.groups).toEqual([]);
  });

  it('an expired cloudID is a warning on the entry, not a failure', () => {
    const plan = planBatch([enter('event-0001', {}, { group: 'cid-old' })], B, NOW, lookups({ groups: new Map([['cid-old', { error: 'cloudID expired' }]]) }));
    expect(plan.accepted).toEqual(['event-0001']);
    expect((plan.events[0] as EnterEvent).groupId).toBeUndefined();
    expect((plan.events[0] as EnterEvent).warnings?.[0]).toContain('cloudID expired');
    expect(plan.groups).toEqual([]);
  });
});

describe('users: first touch once, latest touch every entry', () => {
  it('creates the user on the China day of the first entry', () => {
    const plan = planBatch([enter('event-0002', { rk_ch: 'late' }), enter('event-0001', { rk_ch: 'early' })].map((e, i) => ({ ...e, seq: 10 - i })), A, NOW, lookups());
    expect(plan.user).toEqual({
      create: {
        _id: 'o-alice',
        appid: 'wxapp',
        firstDay: '2024-05-02',
        first: { day: '2024-05-02', at: NOW, scene: 1007, category: 'Share', bucket: 'in-wechat', channel: 'early' },
        latest: { day: '2024-05-02', at: NOW, scene: 1007, category: 'Share', bucket: 'in-wechat', channel: 'late' },
      },
    });
  });

  it('stamps every event with the user\'s first day, so that a rollup needs no join', () => {
    const user: UserDoc = { _id: 'o-bob', appid: 'wxapp', firstDay: '2024-04-01', first: { day: '2024-04-01', at: NOW, scene: 1047, category: 'QR code', bucket: 'offline-qr' }, latest: { day: '2024-04-01', at: NOW, scene: 1047, category: 'QR code', bucket: 'offline-qr' } };
    const events = [enter('event-0001', {}), share('event-0002', 'share-B009')];
    expect(planBatch(events, B, NOW, lookups({ user })).events.map((e) => e.firstDay)).toEqual(['2024-04-01', '2024-04-01']);
    expect(planBatch(events, B, NOW, lookups()).events.map((e) => e.firstDay)).toEqual(['2024-05-02', '2024-05-02']);
  });

  it('only moves the latest touch of a known user', () => {
    const user: UserDoc = { _id: 'o-bob', appid: 'wxapp', firstDay: '2024-04-01', first: { day: '2024-04-01', at: NOW, scene: 1047, category: 'QR code', bucket: 'offline-qr' }, latest: { day: '2024-04-01', at: NOW, scene: 1047, category: 'QR code', bucket: 'offline-qr' } };
    const plan = planBatch([enter('event-0001', {}, { scene: 1089 })], B, NOW, lookups({ user }));
    expect(plan.user).toEqual({ update: { appid: 'wxapp', unionid: 'u-bob', latest: { day: '2024-05-02', at: NOW, scene: 1089, category: 'Quick entry', bucket: 'in-wechat' } } });
  });
});
