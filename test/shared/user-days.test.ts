import fc from 'fast-check';
import { unescapeKey } from '../../shared/keys';
import type { EnterEvent, ShareEvent, Touch, UserDayDoc } from '../../shared/model';
import { countEvent, emptyCount, nextUserDay, sessionEntriesOf, userDayId, type DayCount } from '../../shared/user-days';

const DAY = '2024-05-02';
const T = Date.parse('2024-05-02T02:00:00Z');
const AT = new Date(T);
let n = 0;

const entry = (extra: Partial<EnterEvent> = {}): EnterEvent => ({
  _id: `doc-${++n}`,
  eventId: `e-${n}`,
  openid: 'o-amy',
  appid: 'wx',
  seq: n,
  at: AT,
  clientAt: AT,
  serverAt: AT,
  day: DAY,
  type: 'enter',
  cold: false,
  scene: 1007,
  category: 'Share',
  bucket: 'in-wechat',
  path: 'pages/index/index',
  query: {},
  reopen: false,
  ...extra,
});
const shareEvent = (): ShareEvent => ({ _id: `doc-${++n}`, eventId: `e-${n}`, openid: 'o-amy', appid: 'wx', seq: n, at: AT, clientAt: AT, serverAt: AT, day: DAY, type: 'share', shareId: 'S', path: 'p', to: 'chat' });
const touchOf = (event: EnterEvent): Touch => ({ day: event.day, at: event.at, scene: event.scene, category: event.category, bucket: event.bucket });
const counted = (events: (EnterEvent | ShareEvent)[]): DayCount => {
  const count = emptyCount(DAY);
  for (const event of events) countEvent(count, event, event.type === 'enter' ? touchOf(event) : undefined);
  return count;
};

describe('counting a day', () => {
  it('counts entries by every dimension, share returns by depth with their cards, shares, and the latest entry', () => {
    const card = { shareId: 'S1', verified: true, sharer: 'o-bob', depth: 2, rootShareId: 'S0', self: false, isReturn: true };
    const events = [
      entry({ cold: true, channel: 'poster', scene: 1047, category: 'QR code', bucket: 'offline-qr' }),
      entry({ at: new Date(T + 60_000), share: card, groupId: 'G1' }),
      entry({ at: new Date(T - 60_000), share: { ...card, depth: undefined }, path: 'pages/item/item' }),
      entry({ share: { ...card, isReturn: false, repeat: true } }),
      shareEvent(),
    ];
    const count = counted(events);
    expect(count).toMatchObject({
      entries: 4,
      cold: 1,
      shareIntents: 1,
      returns: 2,
      cards: [
        { at: new Date(T + 60_000), shareId: 'S1' },
        { at: new Date(T - 60_000), shareId: 'S1' },
      ],
      counted: events.map((event) => event.eventId),
      latest: { at: new Date(T + 60_000) },
    });
    expect(count.maps).toEqual({
      byBucket: { 'offline-qr': 1, 'in-wechat': 3 },
      byCategory: { 'QR code': 1, Share: 3 },
      byScene: { '1047': 1, '1007': 3 },
      byChannel: { poster: 1 },
      byPage: { 'pages/index/index': 3, 'pages/item/item': 1 },
      returnDepths: { '2': 1, unknown: 1 },
      groupOpens: { G1: 1 },
    });
  });

  it('escapes every key, and a key named like what objects inherit is a count like any other', () => {
    const keys = ['constructor', '__proto__', 'toString', '', 'a.b', '$x', 'hasOwnProperty'];
    const count = counted(keys.map((channel) => entry({ channel })));
    expect(Object.keys(count.maps.byChannel).map(unescapeKey).sort()).toEqual([...keys].sort());
    expect(Object.values(count.maps.byChannel)).toEqual(keys.map(() => 1));
    expect(Object.getPrototypeOf(count.maps.byChannel)).toBe(Object.prototype);
  });
});

describe('the user-day after a batch', () => {
  it('a new one holds the count, the first-day copies and version 1', () => {
    const doc = nextUserDay(undefined, counted([entry()]), { firstDay: '2024-04-01', firstAt: new Date('2024-04-01T00:00:00Z') }, 'o-amy', AT);
    expect(doc).toMatchObject({ _id: userDayId('o-amy', DAY), openid: 'o-amy', day: DAY, firstDay: '2024-04-01', entries: 1, v: 1, at: AT });
  });

  it('adds counts, keeps times in order, the earlier first-day copies and the later latest entry; shares alone keep the version', () => {
    const first = nextUserDay(undefined, counted([entry({ at: new Date(T + 60_000) })]), { firstDay: DAY, firstAt: new Date(T + 60_000) }, 'o-amy', AT);
    const second = nextUserDay(first, counted([entry({ at: new Date(T - 60_000) })]), { firstDay: '2024-05-01', firstAt: new Date(T - 86_400_000) }, 'o-amy', AT);
    expect(second).toMatchObject({ entries: 2, firstDay: '2024-05-01', firstAt: new Date(T - 86_400_000), v: 2, times: [new Date(T - 60_000), new Date(T + 60_000)], latest: { at: new Date(T + 60_000) } });
    const third = nextUserDay(second, counted([shareEvent()]), { firstDay: second.firstDay }, 'o-amy', AT);
    expect(third).toMatchObject({ shareIntents: 1, v: 2 });
  });

  it('counted in any number of batches, in any order, a day is the same as counted at once', () => {
    const events = fc.array(
      fc.record({ minute: fc.integer({ min: 0, max: 600 }), channel: fc.constantFrom(undefined, 'a', 'b.c', 'constructor'), share: fc.boolean(), batch: fc.integer({ min: 0, max: 3 }) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(events, (specs) => {
        const made = specs.map((spec) => ({ spec, event: spec.share ? shareEvent() : entry({ at: new Date(T + spec.minute * 60_000), ...(spec.channel ? { channel: spec.channel } : {}) }) }));
        const once = nextUserDay(undefined, counted(made.map((m) => m.event)), { firstDay: DAY }, 'o-amy', AT);
        let doc: UserDayDoc | undefined;
        for (let batch = 0; batch <= 3; batch++) {
          const ofBatch = made.filter((m) => m.spec.batch === batch).map((m) => m.event);
          if (ofBatch.length > 0) doc = nextUserDay(doc, counted(ofBatch), { firstDay: DAY }, 'o-amy', AT);
        }
        if (!doc) return;
        // the version counts writes, not what was counted
        const content = ({ v: _version, counted: ids, cards, ...rest }: UserDayDoc) => ({ ...rest, ids: [...ids].sort(), cards: cards.length });
        expect({ ...content(doc), latest: doc.latest?.at }).toEqual({ ...content(once), latest: once.latest?.at });
      }),
    );
  });
});

describe('entries as sessions need them', () => {
  it('each entry time with the card it returned through', () => {
    const doc = nextUserDay(undefined, counted([entry(), entry({ at: new Date(T + 60_000), share: { shareId: 'S1', verified: true, self: false, isReturn: true } })]), { firstDay: DAY }, 'o-amy', AT);
    expect(sessionEntriesOf(doc)).toEqual([{ at: T }, { at: T + 60_000, card: 'S1' }]);
    expect(sessionEntriesOf(doc, [{ at: new Date(T + 60_000), card: 'S1' }])).toEqual([{ at: T }]);
    expect(sessionEntriesOf(undefined)).toEqual([]);
  });
});
