/**
 * The keys retention counts an entry under (`EntryKeys`): bucket, category, scene, channel, page,
 * share (the depth of the card it returned through), group (it came from a group chat), message (the
 * template of the subscription message it opened) and card (the rule of the service card it
 * opened). `track` computes them from an entry's touch when it writes a user-day: the user's first
 * touch's keys, copied onto every user-day like the first day, and the day's earliest entry's.
 *
 * A message or card counts only for a real open (as `shared/sends.ts` defines one, `openOf`: the
 * record was sent, to this user, less than 7 days before the entry): `track` reads the records its
 * entries name and stores the open on the entry (`messageOpen`, `cardOpen`), which its touch carries.
 *
 * @example
 * entryKeys({ day, at, scene: 1008, category: 'Share', bucket: 'in-wechat', path: 'pages/item/item', card: { depth: 2, sharer: 'o-ann', … }, groupId: 'G1' }, 'o-bob')
 * // { bucket: 'in-wechat', category: 'Share', scene: '1008', page: 'pages/item/item', share: '2', group: true }
 */
import type { EntryKeys, Touch } from './model';

/** The retention keys of an entry's touch, for the user `openid` (a card of their own is no share). */
export function entryKeys(touch: Touch, openid: string): EntryKeys {
  const keys: EntryKeys = { bucket: touch.bucket, category: touch.category, scene: String(touch.scene) };
  if (touch.channel !== undefined) keys.channel = touch.channel;
  if (touch.path !== undefined) keys.page = touch.path;
  if (touch.card && touch.card.sharer !== openid) keys.share = String(touch.card.depth);
  if (touch.groupId !== undefined) keys.group = true;
  if (touch.messageOpen !== undefined) keys.message = touch.messageOpen;
  if (touch.cardOpen !== undefined) keys.card = touch.cardOpen;
  return keys;
}
