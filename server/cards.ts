/**
 * Service cards (`callback` sends them, `admin` sets their rules): a customer-service `text` or
 * `user_enter_tempsession` push (Platform sources §D.4) is answered with the card the operator's
 * rules choose (shared/cards.ts), sent with `customerServiceMessage.send` as msgtype
 * `miniprogrampage` and a thumbnail from `customerServiceMessage.uploadTempMedia` (§D.5).
 *
 * Each card is a `cards` record written before WeChat is asked, under an id derived from the push
 * (`cardIdOf`), so a push WeChat delivers again sends no second card: at most once. The record is
 * written `failed` (what it stays if the call is cut short) and turns `sent` or `refused` when
 * WeChat answers. Rukou keeps its own count of each user's window (`chats`) and does not ask WeChat
 * when it knows the window is closed or used up: that card is recorded `refused` with the errcode
 * WeChat would answer. A refusal is never retried.
 */
import { createHash } from 'node:crypto';
import { cardFateOf, cardFor, cardPage, CS_WINDOW, HOME_CARD, NO_WINDOW, noteTurn, openWindows, readSetCardRules, windowRefusal, type Card, type CardFate, type CardRuleKind, type CardRules, type ChatTurn, type ChatWindow } from '../shared/cards';
import { cardIdOf } from '../shared/ids';
import { refuseUnknown } from '../shared/input';
import type { Push } from '../shared/push';
import { chinaDay } from '../shared/time';
import { getCloud } from './cloud';
import { addUnlessTaken, documentsOf, type Database } from './pipeline';

export interface CardsContext {
  db: Database;
  now: () => Date;
  /** Rukou's own cover (a PNG shipped with `callback`), for cards without a `thumb`. */
  shippedThumb: () => Buffer;
}

/** A card as `cards` keeps it (the card stats read this shape). */
export interface CardDoc {
  /** The card's id: `rk_card` in its pagepath. */
  _id: string;
  openid: string;
  rule: CardRuleKind;
  title: string;
  /** The page the card opens, without `rk_card`. */
  page: string;
  fate: CardFate;
  /** WeChat's errcode of a card not sent (45015 or 45047 when Rukou knew the window was used up and did not ask). */
  errcode?: number;
  createdAt: Date;
  sentAt?: Date;
  /** The China day the card was sent (a stats key). */
  day?: string;
}

/**
 * How long WeChat keeps a temporary medium: 3 days (its 临时素材, which §D.5's thumbnail is; the
 * simulated WeChat keeps them as long). A thumbnail is uploaded again an hour before, so no card
 * leaves with one about to lapse.
 */
export const MEDIA_TTL_MS = 3 * 24 * 3600_000;
const MEDIA_MARGIN_MS = 3600_000;
/**
 * How long the thumbnail and the send may take before the card is left `failed`: WeChat waits 5 s
 * for `success` (§D.4) and `callback` times out at 5 s, so the push is answered in time whatever
 * WeChat does.
 */
export const WECHAT_BUDGET_MS = 3000;
/** WeChat's errcode for a media_id it no longer knows: the thumbnail is uploaded again once. */
const MEDIA_UNKNOWN = 40007;

const RULES_ID = 'rules';

/** The operator's rules, or undefined before any are set. */
async function storedRules(db: Database): Promise<CardRules | undefined> {
  const found = documentsOf<CardRules & { _id: string; setAt: Date }>(await db.collection('card_rules').where({ _id: RULES_ID }).limit(1).get(), 'card_rules')[0];
  if (!found) return undefined;
  return { keywords: found.keywords, sessionFroms: found.sessionFroms, ...(found.default === undefined ? {} : { default: found.default }) };
}

type AdminAction = (event: Record<string, unknown>, ctx: { db: Database; now: () => Date }) => Promise<unknown>;

/** The operators' actions on card rules: `admin` routes `{action, …}` here beside its stats. */
export const CARD_ACTIONS: Record<string, AdminAction> = {
  /** The stored rules (`null` before any are set: every chat then gets `homeCard`). */
  async cardRules(event, ctx) {
    // not stats-input's actionOnly: its validators would ride in callback's bundle, which serves the cards
    refuseUnknown(event, ['action']);
    return { rules: (await storedRules(ctx.db)) ?? null, homeCard: HOME_CARD };
  },

  /** Replaces the rules with `rules` (shared/cards.ts `readSetCardRules`); answers them as stored. */
  async setCardRules(event, ctx) {
    const rules = readSetCardRules(event);
    await ctx.db.collection('card_rules').doc(RULES_ID).set({ data: { ...rules, setAt: ctx.now() } });
    return { rules };
  },
};

const windowOf = (stored: ChatWindow & { _id?: string; openid?: string }): ChatWindow => {
  const window: ChatWindow & { _id?: string; openid?: string } = { ...stored };
  delete window._id;
  delete window.openid;
  return window;
};

/** Notes the user's message or entry in their window (`chats`); answers the window as it now is. */
async function noteChat(db: Database, push: Push, turn: 'message' | 'enter'): Promise<ChatWindow> {
  const stored = documentsOf<ChatWindow & { _id: string }>(await db.collection('chats').where({ _id: push.openid }).limit(1).get(), 'chats')[0];
  const before = stored ? windowOf(stored) : NO_WINDOW;
  const after = noteTurn(before, turn, push.createTime * 1000, push.dedupeKey);
  if (after !== before) await db.collection('chats').doc(push.openid).set({ data: { openid: push.openid, ...after } });
  return after;
}

/** Counts a reply sent at `now` in each window it used (WeChat counts it in every open one), or marks both used up after WeChat refused. */
async function countReply(db: Database, openid: string, window: ChatWindow, now: number, fate: CardFate): Promise<void> {
  const _ = db.command;
  if (fate === 'refused') {
    await db.collection('chats').doc(openid).update({ data: { sentSinceMessage: CS_WINDOW.afterMessage.replies, sentSinceEnter: CS_WINDOW.afterEnter.replies } });
    return;
  }
  const { byMessage, byEnter } = openWindows(window, now);
  const data = { ...(byMessage ? { sentSinceMessage: _.inc(1) } : {}), ...(byEnter ? { sentSinceEnter: _.inc(1) } : {}) };
  if (Object.keys(data).length > 0) await db.collection('chats').doc(openid).update({ data });
}

const errcodeOf = (error: unknown): number => {
  const code = (error as { errCode?: unknown } | undefined)?.errCode;
  return typeof code === 'number' ? code : -1;
};

/** The cover's bytes: the operator's cloud file, else Rukou's own (also when the file cannot be read). */
async function coverOf(ctx: CardsContext, thumb: string | undefined): Promise<{ bytes: Buffer; contentType: string }> {
  if (thumb !== undefined) {
    try {
      const { fileContent } = (await getCloud().downloadFile({ fileID: thumb })) as { fileContent: Buffer };
      return { bytes: fileContent, contentType: /\.png$/i.test(thumb) ? 'image/png' : 'image/jpeg' };
    } catch (error) {
      console.warn(JSON.stringify({ card: 'thumb unreadable, Rukou\'s cover used', thumb, errCode: errcodeOf(error) }));
    }
  }
  return { bytes: ctx.shippedThumb(), contentType: 'image/png' };
}

/**
 * The media_id of a card's thumbnail: uploaded once (`uploadTempMedia`) and kept in `media` with its
 * expiry, reused until an hour before it. `fresh` uploads again (WeChat no longer knew the one kept).
 */
async function thumbMediaId(ctx: CardsContext, thumb: string | undefined, fresh = false): Promise<string> {
  const _id = thumb === undefined ? 'card-thumb' : `thumb-${createHash('sha256').update(thumb).digest('base64url').slice(0, 24)}`;
  const now = ctx.now().getTime();
  const kept = documentsOf<{ mediaId: string; expiresAt: Date }>(await ctx.db.collection('media').where({ _id }).limit(1).get(), 'media')[0];
  if (!fresh && kept && new Date(kept.expiresAt).getTime() - MEDIA_MARGIN_MS > now) return kept.mediaId;
  const cover = await coverOf(ctx, thumb);
  const answer = (await getCloud().openapi.customerServiceMessage.uploadTempMedia({ type: 'image', media: { contentType: cover.contentType, value: cover.bytes } })) as { mediaId?: unknown; createdAt?: unknown };
  if (typeof answer.mediaId !== 'string') throw Object.assign(new Error('uploadTempMedia answered no media_id'), { errCode: -1 });
  const uploadedAt = typeof answer.createdAt === 'number' ? answer.createdAt * 1000 : now;
  await ctx.db.collection('media').doc(_id).set({ data: { source: thumb ?? 'rukou', mediaId: answer.mediaId, uploadedAt: new Date(uploadedAt), expiresAt: new Date(uploadedAt + MEDIA_TTL_MS) } });
  return answer.mediaId;
}

/** Asks WeChat to send the card; answers its errcode (0 sent). A thumbnail WeChat no longer knows is uploaded again, once. */
async function sendCard(ctx: CardsContext, openid: string, card: Card, cardId: string): Promise<number> {
  const send = async (fresh: boolean): Promise<number> => {
    try {
      const thumbMediaIdOf = await thumbMediaId(ctx, card.thumb, fresh);
      await getCloud().openapi.customerServiceMessage.send({ touser: openid, msgtype: 'miniprogrampage', miniprogrampage: { title: card.title, pagepath: cardPage(card.page, cardId), thumbMediaId: thumbMediaIdOf } });
      return 0;
    } catch (error) {
      return errcodeOf(error);
    }
  };
  const errcode = await send(false);
  return errcode === MEDIA_UNKNOWN ? send(true) : errcode;
}

/** `errcode` within WECHAT_BUDGET_MS, or undefined when WeChat took longer (the card is left `failed`). */
async function withinBudget(work: Promise<number>): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), WECHAT_BUDGET_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A push from the user in the customer-service chat: notes it in their window and, for a text or an
 * entry, answers with the card the rules choose (none when they choose none). At most one card per
 * push, however often WeChat delivers it.
 */
export async function answerChat(ctx: CardsContext, push: Push): Promise<void> {
  if (push.kind !== 'text' && push.kind !== 'image' && push.kind !== 'miniprogrampage' && push.kind !== 'enter-session') return;
  const window = await noteChat(ctx.db, push, push.kind === 'enter-session' ? 'enter' : 'message');
  const turn: ChatTurn | undefined =
    push.kind === 'text' ? { kind: 'text', content: push.content } : push.kind === 'enter-session' ? { kind: 'enter-session', ...(push.sessionFrom === undefined ? {} : { sessionFrom: push.sessionFrom }) } : undefined;
  if (!turn) return;
  const chosen = cardFor(await storedRules(ctx.db), turn);
  if (!chosen) return;

  const now = ctx.now();
  const known = windowRefusal(window, now.getTime());
  const record: CardDoc = {
    _id: cardIdOf(push.openid, push.dedupeKey),
    openid: push.openid,
    rule: chosen.rule,
    title: chosen.card.title,
    page: chosen.card.page,
    fate: known === undefined ? 'failed' : 'refused',
    ...(known === undefined ? {} : { errcode: known }),
    createdAt: now,
  };
  // the record first: a delivery again finds it and sends nothing
  if ((await addUnlessTaken(ctx.db, 'cards', [record])) === 'duplicate' || known !== undefined) return;

  const errcode = await withinBudget(sendCard(ctx, push.openid, chosen.card, record._id));
  if (errcode === undefined) {
    console.warn(JSON.stringify({ card: record._id, fate: 'failed', reason: `WeChat did not answer within ${WECHAT_BUDGET_MS} ms` }));
    return;
  }
  const fate = cardFateOf(errcode);
  const at = ctx.now();
  await ctx.db
    .collection('cards')
    .doc(record._id)
    .update({ data: fate === 'sent' ? { fate, sentAt: at, day: chinaDay(at) } : { fate, errcode } });
  if (fate !== 'failed') await countReply(ctx.db, push.openid, window, at.getTime(), fate);
}
