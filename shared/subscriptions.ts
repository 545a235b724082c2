/**
 * The consent ledger of one user and one subscription template: how many one-time sends the user
 * has granted and not yet used. WeChat keeps this count but offers no API to read it ("record it
 * yourself"), so Rukou keeps its own from what it is told (Platform sources §D.1, §D.2, §D.4):
 * - each `accept` (or `acceptWithAudio`) in the pop-up grants one send (§D.2, one-time templates);
 *   `reject`, `ban` and `filter` grant nothing and take nothing: they are recorded with their time;
 * - a `subscribe_msg_change_event` reject (the user turned the template off in settings; WeChat
 *   pushes rejects only, §D.4) leaves no send;
 * - each send takes one before WeChat is asked, and gets it back if WeChat did not use it; a send
 *   WeChat refuses with 43101 (§D.1: refused, not subscribed, or cancelled) proves none was left.
 *
 * One pop-up is told twice: by the client (the `consent` action, reporting what
 * `wx.requestSubscribeMessage` resolved with) and by WeChat (`subscribe_msg_popup_event`). Either
 * may arrive first, or alone (a phone that lost its network; a push not routed to `callback`).
 * A report and a push that say the same (both grant, or both do not) within `PAIRING_WINDOW_MS`
 * of each other are one pop-up and grant one send together; a report or push without a partner
 * grants its own. Two reports (or two pushes) never pair: a user may answer two pop-ups in a
 * minute. A delivery seen before (the same `id` from the same side, e.g. a retried push's dedupe
 * key) changes nothing.
 *
 * Pairing is decided as records arrive, so it can go wrong when two pop-ups of one template fall
 * within about a minute and arrive crosswise; then the ledger counts one send too many, and the
 * first send beyond WeChat's count fails with 43101, which voids what was counted when it was
 * taken. An accept told before the latest 43101 or settings reject (`clearedAt`, to the second for a
 * push) grants nothing, since WeChat counted it before saying none was left.
 *
 * All functions are pure: they answer a new ledger and never change the one given.
 *
 * @example
 * let ledger = newLedger('o-ann', 'T1');
 * ledger = recordAnswer(ledger, { answer: 'accept', at: new Date(t), source: 'client' });               // quota 1
 * ledger = recordAnswer(ledger, { answer: 'accept', at: new Date(t + 2000), source: 'popup-push', id }); // quota 1: the same pop-up
 * if (hasQuota(ledger)) ledger = takeSend(ledger);                                                     // quota 0, then WeChat is asked
 */
import { ValidationError } from './errors';
import { isRecord, quoted, refuseUnknown } from './input';

/** What `wx.requestSubscribeMessage` answers for one template (§D.2). */
export const CONSENT_ANSWERS = ['accept', 'acceptWithAudio', 'reject', 'ban', 'filter'] as const;
export type ConsentAnswer = (typeof CONSENT_ANSWERS)[number];

/** Who told Rukou: the client's `consent` report, WeChat's pop-up push, or WeChat's settings-change push. */
export type AnswerSource = 'client' | 'popup-push' | 'change-push';

/** A client report and a pop-up push this close in time (either order) are one pop-up. */
export const PAIRING_WINDOW_MS = 60_000;
/** Answers kept in a ledger, the latest by time: enough to pair, bounded so a document cannot grow. */
export const ANSWERS_KEPT = 20;
/** Templates in one pop-up (§D.2: at most 5 per `wx.requestSubscribeMessage` call; older clients 3). */
export const MAX_TEMPLATES_PER_POPUP = 5;

export interface RecordedAnswer {
  answer: ConsentAnswer;
  /** When the answer was given, as the side that told it says (a push's `CreateTime`, the report's arrival). */
  at: Date;
  source: AnswerSource;
  /** What identifies this delivery on its side (a push's dedupe key), when known. */
  id?: string;
  /** A report and a push of the same pop-up: both are marked, and only the first to arrive granted. */
  paired: boolean;
}

export interface SubscriptionLedger {
  openid: string;
  templateId: string;
  /** One-time sends granted and not yet used; never negative. */
  quota: number;
  /** The latest pop-up's or settings change's answer, in the client's words when it reported it. */
  lastAnswer?: ConsentAnswer;
  lastAnswerAt?: Date;
  /** The latest moment WeChat said no send was left (a settings reject, a 43101): what was told before it is void (`toldAfter`). */
  clearedAt?: Date;
  /** The latest answers by time, at most `ANSWERS_KEPT`, oldest first. */
  answers: RecordedAnswer[];
}

/** One answer told by the client or by a pop-up push. */
export interface AnswerReport {
  answer: ConsentAnswer;
  at: Date;
  source: 'client' | 'popup-push';
  id?: string;
}

const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ANSWERS: ReadonlySet<string> = new Set(CONSENT_ANSWERS);

export const isConsentAnswer = (value: unknown): value is ConsentAnswer => typeof value === 'string' && ANSWERS.has(value);

/** Whether an answer grants a send. */
export const grants = (answer: ConsentAnswer): boolean => answer === 'accept' || answer === 'acceptWithAudio';

/** The ledger of a user and template nobody has told Rukou anything about. */
export function newLedger(openid: string, templateId: string): SubscriptionLedger {
  return { openid, templateId, quota: 0, answers: [] };
}

/**
 * The answers of a `consent` action: the object `wx.requestSubscribeMessage` resolved with
 * (`{ errMsg: 'requestSubscribeMessage:ok', <templateId>: 'accept' | … }`, §D.2), `errMsg` ignored,
 * as `[templateId, answer]` pairs in the order given.
 *
 * Throws ValidationError: field `answers` when it is not an object, names no template or more than
 * `MAX_TEMPLATES_PER_POPUP`, or has a key that is no template id; `answers.<templateId>` when an
 * answer is not one of `CONSENT_ANSWERS`.
 */
/** `consent`'s input: `{ action, answers }` and nothing else (`readConsentAnswers`). Throws ValidationError naming the field. */
export function readConsentRequest(event: Record<string, unknown>): [string, ConsentAnswer][] {
  refuseUnknown(event, ['action', 'answers']);
  return readConsentAnswers(event.answers);
}

export function readConsentAnswers(input: unknown): [string, ConsentAnswer][] {
  if (!isRecord(input)) throw new ValidationError('answers must be the object wx.requestSubscribeMessage resolved with: { "<templateId>": "accept" | "reject" | … }.', 'answers');
  const entries = Object.entries(input).filter(([key]) => key !== 'errMsg');
  if (entries.length === 0) throw new ValidationError('answers names no template: send what wx.requestSubscribeMessage resolved with.', 'answers');
  if (entries.length > MAX_TEMPLATES_PER_POPUP) throw new ValidationError(`answers names ${entries.length} templates; one pop-up asks at most ${MAX_TEMPLATES_PER_POPUP}.`, 'answers');
  return entries.map(([templateId, answer]): [string, ConsentAnswer] => {
    if (!TEMPLATE_ID.test(templateId)) throw new ValidationError(`answers has the key ${quoted(templateId)}, which is no template id (1 to 64 of A–Z, a–z, 0–9, _ and -).`, 'answers');
    if (!isConsentAnswer(answer)) throw new ValidationError(`answers.${templateId} must be one of ${CONSENT_ANSWERS.join(', ')}.`, `answers.${templateId}`);
    return [templateId, answer];
  });
}

const seen = (ledger: SubscriptionLedger, source: AnswerSource, id: string | undefined): boolean =>
  id !== undefined && ledger.answers.some((record) => record.source === source && record.id === id);

/** The answers with `record` in time order, the oldest dropped beyond `ANSWERS_KEPT`. */
function keep(answers: RecordedAnswer[], record: RecordedAnswer): RecordedAnswer[] {
  const all = [...answers, record].sort((a, b) => a.at.getTime() - b.at.getTime());
  return all.slice(Math.max(0, all.length - ANSWERS_KEPT));
}

const later = (a: Date | undefined, b: Date): Date => (a === undefined || b > a ? b : a);

type Told = Pick<RecordedAnswer, 'source' | 'at'>;
/**
 * Whether an answer was told after `clearedAt`, when WeChat said no send was left. A client's report
 * has its time to the millisecond; a push's `CreateTime` has seconds only, so a push of the second
 * that holds `clearedAt` may be later than it and counts as later: a count one too high costs one
 * more 43101, one too low a message the user asked for.
 */
function toldAfter(told: Told, clearedAt: Date | undefined): boolean {
  if (clearedAt === undefined) return true;
  const second = told.source === 'client' ? 0 : 1000;
  return told.at.getTime() + second > clearedAt.getTime();
}

/**
 * Records one pop-up answer for this ledger's template, told by the client (`consent`) or by
 * WeChat (`subscribe_msg_popup_event`, its `CreateTime` × 1000 as `at`). It grants one send unless
 * it pairs with the other side's report of the same pop-up (within `PAIRING_WINDOW_MS`, the closest
 * unpaired one on the same side of `clearedAt`), it was already recorded (same source and `id`), it
 * does not grant, or it is not later than `clearedAt`.
 */
export function recordAnswer(ledger: SubscriptionLedger, report: AnswerReport): SubscriptionLedger {
  if (seen(ledger, report.source, report.id)) return ledger;
  const other: AnswerSource = report.source === 'client' ? 'popup-push' : 'client';
  const distance = (record: RecordedAnswer): number => Math.abs(record.at.getTime() - report.at.getTime());
  // WeChat held nothing at `clearedAt`: a pop-up told after it is not one told before it
  const after = (told: Told): boolean => toldAfter(told, ledger.clearedAt);
  const partner = ledger.answers
    .filter((record) => record.source === other && !record.paired && grants(record.answer) === grants(report.answer) && distance(record) <= PAIRING_WINDOW_MS && after(record) === after(report))
    .sort((a, b) => distance(a) - distance(b) || a.at.getTime() - b.at.getTime())[0];
  const record: RecordedAnswer = { answer: report.answer, at: report.at, source: report.source, ...(report.id === undefined ? {} : { id: report.id }), paired: partner !== undefined };
  const answers = keep(
    ledger.answers.map((existing) => (existing === partner ? { ...existing, paired: true } : existing)),
    record,
  );
  const granted = partner === undefined && grants(report.answer) && after(report);

  // the pop-up's answer in the client's words and at its first-told time; it is the latest answer
  // if no later one is known, or if the latest known one was this pop-up's other half
  const client = report.source === 'client' ? report : partner ?? report;
  const popupAt = partner !== undefined && partner.at < report.at ? partner.at : report.at;
  const last = ledger.lastAnswerAt;
  const isLatest = last === undefined || popupAt >= last || (partner !== undefined && partner.at.getTime() === last.getTime());
  return {
    ...ledger,
    quota: ledger.quota + (granted ? 1 : 0),
    ...(isLatest ? { lastAnswer: client.answer, lastAnswerAt: popupAt } : {}),
    answers,
  };
}

/**
 * Records a `subscribe_msg_change_event` reject (§D.4: the user turned the template off in
 * settings) at `at` (the push's `CreateTime` × 1000): no send is left. A push already recorded
 * (same `id`) changes nothing.
 */
export function recordSettingsReject(ledger: SubscriptionLedger, at: Date, id?: string): SubscriptionLedger {
  if (seen(ledger, 'change-push', id)) return ledger;
  const record: RecordedAnswer = { answer: 'reject', at, source: 'change-push', ...(id === undefined ? {} : { id }), paired: false };
  const isLatest = ledger.lastAnswerAt === undefined || at >= ledger.lastAnswerAt;
  return {
    ...ledger,
    quota: 0,
    clearedAt: later(ledger.clearedAt, at),
    ...(isLatest ? { lastAnswer: 'reject' as const, lastAnswerAt: at } : {}),
    answers: keep(ledger.answers, record),
  };
}

/** Whether Rukou believes a send to this user with this template would be accepted. */
export const hasQuota = (ledger: SubscriptionLedger): boolean => ledger.quota > 0;

/**
 * The ledger with one send taken, before WeChat is asked: two sends to one user at once may not
 * both spend the one send the ledger holds. Throws RangeError when no send is left: the caller must
 * check `hasQuota` first and answer the recipient `no-quota`.
 */
export function takeSend(ledger: SubscriptionLedger): SubscriptionLedger {
  if (!hasQuota(ledger)) throw new RangeError(`${ledger.openid} has granted no send of template ${ledger.templateId}: check hasQuota before sending.`);
  return { ...ledger, quota: ledger.quota - 1 };
}

/**
 * The ledger with a send taken at `takenAt` given back: WeChat did not use it (an invalid request,
 * a failure, a retry to come). Unless WeChat said since that none is left (a 43101 or a settings
 * reject after `takenAt`): then there is nothing to give back.
 */
export function returnSend(ledger: SubscriptionLedger, takenAt: Date): SubscriptionLedger {
  return ledger.clearedAt !== undefined && ledger.clearedAt >= takenAt ? ledger : { ...ledger, quota: ledger.quota + 1 };
}

/**
 * The ledger after WeChat refused with 43101 (§D.1) a send asked at `at`, taken when it left `left`
 * sends: WeChat held none then, whatever Rukou counted, so those are void. What changed since the
 * send was taken stays: a pop-up accepted while the send was out is WeChat's new send, less the
 * sends taken meanwhile, and one whose push was taken for the other half of a report from before
 * (WeChat held nothing then: the report was void) grants its own. What is told before `at` is void
 * from then on, but a push of `at`'s own second (`toldAfter`).
 */
export function recordRefusal(ledger: SubscriptionLedger, at: Date, left: number): SubscriptionLedger {
  const clearedAt = later(ledger.clearedAt, at);
  // a push after the refusal paired with a report before it: the report was void (WeChat held
  // nothing), so the push's pop-up grants its own send
  const pairedAfter = (source: AnswerSource): RecordedAnswer[] => ledger.answers.filter((record) => record.source === source && record.paired && grants(record.answer) && toldAfter(record, clearedAt));
  const pushes = pairedAfter('popup-push');
  const freed = new Set(pushes.slice(0, Math.max(0, pushes.length - pairedAfter('client').length)));
  const answers = ledger.answers.map((record) => (freed.has(record) ? { ...record, paired: false } : record));
  return { ...ledger, quota: Math.max(0, ledger.quota - left) + freed.size, clearedAt, answers };
}
