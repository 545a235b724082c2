/**
 * Service cards: the Mini Program cards `callback` answers a customer-service chat with
 * (`customerServiceMessage.send`, msgtype `miniprogrampage`, Platform sources §D.5), chosen by the
 * operator's rules, within WeChat's window, each carrying its id as `rk_card` so that the entry it
 * brings (scene 1073) is credited to it.
 *
 * - **Rules** (`readCardRules`): keyword → card (the first rule, in the operator's order, whose
 *   keyword the user's message contains, letters compared without case and full-width forms read as
 *   their ASCII), session-from → card (the button's `session-from` exactly, §D.4's `SessionFrom`), and
 *   a default card for what no rule matches. Until rules are set, and when they name no default,
 *   the default is `HOME_CARD`.
 * - **The window** (§D.5): after a message from the user, 5 replies within 48 hours; after the user
 *   entered the chat, 2 within a minute. Rukou counts its own replies (`ChatWindow`) so as not to ask
 *   WeChat when it knows the answer is 45015 (no window open) or 45047 (its replies used up).
 *
 * @example
 * const rules = readCardRules({ keywords: [{ keyword: '优惠', card: { title: '本周优惠', page: 'pages/deals/deals' } }] });
 * cardFor(rules, { kind: 'text', content: '有优惠吗？' })   // { rule: 'keyword:优惠', card: { title: '本周优惠', page: 'pages/deals/deals' } }
 * cardFor(undefined, { kind: 'enter-session' })             // { rule: 'default', card: HOME_CARD }
 * cardPage('pages/deals/deals?id=7', 'Xy…')                 // 'pages/deals/deals?id=7&rk_card=Xy…'
 */
import { readOpenedPage, URL_KEYS, withQueryParam } from './entry';
import { ValidationError } from './errors';
import { isRecord, readText, refuseUnknown } from './input';

/** What a card shows and opens: `thumb` is a cloud file ID (`cloud://…`, PNG or JPEG) of its cover; without one, Rukou's own. */
export interface Card {
  title: string;
  /** A page of the Mini Program with its query, without a leading "/" and without `rk_card`. */
  page: string;
  thumb?: string;
}

export interface KeywordRule {
  keyword: string;
  card: Card;
}

export interface SessionFromRule {
  sessionFrom: string;
  card: Card;
}

/** The operator's rules, as `setCardRules` takes them and `cardRules` answers them. */
export interface CardRules {
  keywords: KeywordRule[];
  sessionFroms: SessionFromRule[];
  /** The card for what no rule matches: absent means `HOME_CARD`, `false` means no card. */
  default?: Card | false;
}

/**
 * Which rule chose a card, as each `cards` record keeps it and the stats count cards by it:
 * `keyword:<keyword>`, `sessionFrom:<session-from>` or `default`.
 */
export type CardRuleKind = `keyword:${string}` | `sessionFrom:${string}` | 'default';

/**
 * The card for the Mini Program's home page, sent until the operator sets rules. A cloud function
 * cannot read the project's `miniprogram/app.json`, so its first page (`pages/index/index`) is
 * written here; an operator whose home page is another sets a `default` card.
 */
export const HOME_CARD: Card = { title: '回到小程序首页', page: 'pages/index/index' };

/** Bounds of the rules: Rukou's own (WeChat documents none for a card's title or a session-from). */
export const CARD_LIMITS = { rules: 50, keywordLength: 30, sessionFromLength: 1000, titleLength: 64, pageLength: 512, thumbLength: 1024 } as const;

const THUMB = /^cloud:\/\/[^\s?#]+\.(png|jpe?g)$/i;

/** Text as a keyword is compared: NFKC (full-width letters and digits as ASCII), lower case, trimmed. */
export const foldText = (text: string): string => text.normalize('NFKC').toLowerCase().trim();

/** Reads one card; `field` is its path (`keywords.0.card`). */
export function readCard(value: unknown, field: string): Card {
  if (!isRecord(value)) throw new ValidationError(`${field} must be a card: { "title", "page", "thumb"? }.`, field);
  refuseUnknown(value, ['title', 'page', 'thumb'], field);
  const title = readText(value.title, `${field}.title`, CARD_LIMITS.titleLength, 'the title the card shows');
  const card: Card = { title, page: readOpenedPage(value.page, `${field}.page`, CARD_LIMITS.pageLength) };
  if (value.thumb !== undefined && value.thumb !== null) {
    if (typeof value.thumb !== 'string' || value.thumb.length > CARD_LIMITS.thumbLength || !THUMB.test(value.thumb)) {
      throw new ValidationError(`${field}.thumb must be the cloud file ID of a PNG or JPEG image ("cloud://….png"), or absent for Rukou's own cover.`, `${field}.thumb`);
    }
    card.thumb = value.thumb;
  }
  return card;
}

/** A list of rules, each an object of exactly the `fields` `read` reads; none when left out or null. */
function readList<T>(value: unknown, field: string, fields: readonly string[], read: (item: Record<string, unknown>, path: string) => T, keyOf: (rule: T) => string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > CARD_LIMITS.rules) throw new ValidationError(`${field} must be a list of at most ${CARD_LIMITS.rules} rules.`, field);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    if (!isRecord(item)) throw new ValidationError(`${field}.${i} must be a rule object.`, `${field}.${i}`);
    refuseUnknown(item, fields, `${field}.${i}`);
    const rule = read(item, `${field}.${i}`);
    const key = keyOf(rule);
    if (seen.has(key)) throw new ValidationError(`${field}.${i} repeats an earlier rule's ${JSON.stringify(key)}: each may appear once.`, `${field}.${i}`);
    seen.add(key);
    return rule;
  });
}

/** `setCardRules`' input: `{ action, rules }` and nothing else (`readCardRules`). */
export function readSetCardRules(event: Record<string, unknown>): CardRules {
  refuseUnknown(event, ['action', 'rules']);
  return readCardRules(event.rules);
}

/**
 * Reads the rules `setCardRules` replaces the stored ones with. Throws ValidationError naming the
 * field (`rules.keywords.0.card.page`): a field it does not take, at any depth; a rule repeated, a
 * text empty or too long, a page that is not a path (or carries `rk_card`), a thumb that is not a
 * cloud file ID of a PNG or JPEG. A list left out or sent as null is empty (so `{}` is no rule at
 * all); a `default` left out or null is absent (the home card).
 */
export function readCardRules(value: unknown, field = 'rules'): CardRules {
  if (!isRecord(value)) throw new ValidationError(`${field} must be an object: { "keywords": [{ "keyword", "card" }], "sessionFroms": [{ "sessionFrom", "card" }], "default"? }.`, field);
  refuseUnknown(value, ['keywords', 'sessionFroms', 'default'], field);
  const keywords = readList(
    value.keywords,
    `${field}.keywords`,
    ['keyword', 'card'],
    (item, path) => ({ keyword: readText(item.keyword, `${path}.keyword`, CARD_LIMITS.keywordLength, 'a keyword'), card: readCard(item.card, `${path}.card`) }),
    (rule) => foldText(rule.keyword),
  );
  const sessionFroms = readList(
    value.sessionFroms,
    `${field}.sessionFroms`,
    ['sessionFrom', 'card'],
    (item, path) => ({ sessionFrom: readText(item.sessionFrom, `${path}.sessionFrom`, CARD_LIMITS.sessionFromLength, 'a button\'s session-from'), card: readCard(item.card, `${path}.card`) }),
    (rule) => rule.sessionFrom,
  );
  const rules: CardRules = { keywords, sessionFroms };
  if (value.default === false) rules.default = false;
  else if (value.default !== undefined && value.default !== null) rules.default = readCard(value.default, `${field}.default`);
  return rules;
}

/** What the user did in the chat that a card may answer: typed a text, or entered (from a button's session-from, when it has one). */
export type ChatTurn = { kind: 'text'; content: string } | { kind: 'enter-session'; sessionFrom?: string };

/**
 * The card that answers a turn of the chat, and the rule that chose it; undefined when
 * nothing matches and the rules' default is `false`. Rules not set (`undefined`): the home card.
 */
export function cardFor(rules: CardRules | undefined, turn: ChatTurn): { card: Card; rule: CardRuleKind } | undefined {
  if (turn.kind === 'text' && rules) {
    const said = foldText(turn.content);
    const matched = rules.keywords.find((rule) => said.includes(foldText(rule.keyword)));
    if (matched) return { card: matched.card, rule: `keyword:${matched.keyword}` };
  }
  if (turn.kind === 'enter-session' && rules && turn.sessionFrom !== undefined) {
    const matched = rules.sessionFroms.find((rule) => rule.sessionFrom === turn.sessionFrom);
    if (matched) return { card: matched.card, rule: `sessionFrom:${matched.sessionFrom}` };
  }
  const fallback = rules?.default;
  if (fallback === false) return undefined;
  return { card: fallback ?? HOME_CARD, rule: 'default' };
}

/** The pagepath a card is sent with: its page with the card's id as `rk_card`, which credits the entry it brings. */
export const cardPage = (page: string, cardId: string): string => withQueryParam(page, URL_KEYS.card, cardId);

/** WeChat's customer-service window (§D.5): replies after the user's message, and after the user entered the chat. */
export const CS_WINDOW = { afterMessage: { ms: 48 * 3600_000, replies: 5 }, afterEnter: { ms: 60_000, replies: 2 } } as const;

/**
 * What Rukou knows of one user's window: when the user last wrote and entered (ms, from the
 * pushes' CreateTime, so at most a second early: the window is never thought longer than it is),
 * which push each was (a push delivered again opens nothing new), and the replies counted since.
 */
export interface ChatWindow {
  lastMessageAt?: number;
  messageKey?: string;
  sentSinceMessage: number;
  enteredAt?: number;
  enterKey?: string;
  sentSinceEnter: number;
}

export const NO_WINDOW: ChatWindow = { sentSinceMessage: 0, sentSinceEnter: 0 };

/**
 * The window after a push from the user: a message (text, image, card) starts the 48-hour window
 * again, an entry the one-minute window. A push already noted (its dedupe key), or older than the
 * one noted, changes nothing.
 */
export function noteTurn(window: ChatWindow, turn: 'message' | 'enter', at: number, key: string): ChatWindow {
  if (turn === 'message') {
    if (window.messageKey === key || (window.lastMessageAt !== undefined && at < window.lastMessageAt)) return window;
    return { ...window, lastMessageAt: at, messageKey: key, sentSinceMessage: 0 };
  }
  if (window.enterKey === key || (window.enteredAt !== undefined && at < window.enteredAt)) return window;
  return { ...window, enteredAt: at, enterKey: key, sentSinceEnter: 0 };
}

/** Which windows are open at `now`. */
export function openWindows(window: ChatWindow, now: number): { byMessage: boolean; byEnter: boolean } {
  return {
    byMessage: window.lastMessageAt !== undefined && now - window.lastMessageAt <= CS_WINDOW.afterMessage.ms,
    byEnter: window.enteredAt !== undefined && now - window.enteredAt <= CS_WINDOW.afterEnter.ms,
  };
}

/**
 * Whether a reply may be sent at `now`: undefined when it may, otherwise the errcode WeChat would
 * answer (§D.5 window; codes as customerServiceMessage.send answers them): 45015 no window open,
 * 45047 the open windows' replies used up.
 */
export function windowRefusal(window: ChatWindow, now: number): 45015 | 45047 | undefined {
  const { byMessage, byEnter } = openWindows(window, now);
  if (!byMessage && !byEnter) return 45015;
  const room = (byMessage && window.sentSinceMessage < CS_WINDOW.afterMessage.replies) || (byEnter && window.sentSinceEnter < CS_WINDOW.afterEnter.replies);
  return room ? undefined : 45047;
}

/** What became of a card: sent; refused (45015, 45047: the window, never retried); failed (anything else, or no answer in time). */
export type CardFate = 'sent' | 'refused' | 'failed';

export const cardFateOf = (errcode: number): CardFate => (errcode === 0 ? 'sent' : errcode === 45015 || errcode === 45047 ? 'refused' : 'failed');
