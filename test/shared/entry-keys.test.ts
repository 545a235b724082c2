import { entryKeys } from '../../shared/entry-keys';
import type { Touch } from '../../shared/model';
import { openOf, type SentRecord } from '../../shared/sends';

const AT = new Date('2024-05-02T02:00:00Z');
const touch = (extra: Partial<Touch> = {}): Touch => ({ day: '2024-05-02', at: AT, scene: 1008, category: 'Share', bucket: 'in-wechat', ...extra });
const record = (extra: Partial<SentRecord> = {}): SentRecord => ({ _id: 'm-1', openid: 'o-amy', fate: 'sent', sentAt: new Date(AT.getTime() - 3600_000), key: 'T1', ...extra });

describe('the keys retention counts an entry under', () => {
  it('name every dimension the touch has, the scene as a string', () => {
    const card = { shareId: 'S1', sharer: 'o-bob', depth: 3, rootShareId: 'S0' };
    expect(entryKeys(touch({ channel: 'a.b', path: 'pages/item/item', card, groupId: 'G1', messageOpen: 'T1', cardOpen: 'default' }), 'o-amy')).toEqual({
      bucket: 'in-wechat',
      category: 'Share',
      scene: '1008',
      channel: 'a.b',
      page: 'pages/item/item',
      share: '3',
      group: true,
      message: 'T1',
      card: 'default',
    });
    expect(entryKeys(touch(), 'o-amy')).toEqual({ bucket: 'in-wechat', category: 'Share', scene: '1008' });
  });

  it('a card of one\'s own is no share', () => {
    expect(entryKeys(touch({ card: { shareId: 'S1', sharer: 'o-amy', depth: 1, rootShareId: 'S1' } }), 'o-amy')).not.toHaveProperty('share');
  });
});

// the definition retention and goals share (`openOf`): the open an entry's event carries
describe('a message or card opened', () => {
  it('is a record sent to the user less than 7 days before the entry, a little before its send included', () => {
    expect(openOf(record(), 'o-amy', AT)).toBe('T1');
    expect(openOf(record({ sentAt: new Date(AT.getTime() + 5_000) }), 'o-amy', AT)).toBe('T1');
    expect(openOf(record({ sentAt: new Date(AT.getTime() - 7 * 86_400_000) }), 'o-amy', AT)).toBeUndefined();
  });

  it('is nothing for a record not sent, sent to someone else, or unknown', () => {
    expect(openOf(record({ fate: 'refused' }), 'o-amy', AT)).toBeUndefined();
    expect(openOf(record({ sentAt: undefined }), 'o-amy', AT)).toBeUndefined();
    expect(openOf(record(), 'o-bob', AT)).toBeUndefined();
    expect(openOf(undefined, 'o-amy', AT)).toBeUndefined();
  });
});
