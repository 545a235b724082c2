/**
 * The `messages` function's work: the consent ledger (`consent`, any user), the templates and sends
 * (`templates`, `send`, operators), and the timer's retries. Each message is a `messages` record
 * written before WeChat is asked, so a send called again with its idempotency key, or after a
 * crash, never sends twice.
 */
import { messageIdOf } from '../shared/ids';
import { checkTemplateData, type TemplateData } from '../shared/keywords';
import { ValidationError } from '../shared/errors';
import { escapeKey } from '../shared/keys';
import { fateOf, messagePage, nextAttemptAt, readSendRequest, readTemplatesRequest, type Fate, type Segment } from '../shared/messages';
import { hasQuota, readConsentRequest, recordAnswer, recordRefusal, returnSend, takeSend } from '../shared/subscriptions';
import { chinaDay } from '../shared/time';
import { getCloud, type Caller } from './cloud';
import { changeLedger, ledgersOf } from './ledgers';
import { addUnlessTaken, documentsOf, RequestCounter, runPipeline, type Database } from './pipeline';
import { templateList, templateNamed, templatesWith, type Template } from './templates';

export interface MessagesContext {
  db: Database;
  now: () => Date;
  /** A send or a timer run starts no new recipient after this many milliseconds. */
  budgetMs: number;
}

/** A message as `messages` keeps it. */
export interface MessageDoc {
  _id: string;
  openid: string;
  templateId: string;
  idempotencyKey: string;
  page?: string;
  data: TemplateData;
  fate: Fate;
  attempts: number;
  createdAt: Date;
  /** The China day the message went out (a stats key), with WeChat's `msgid`. */
  day?: string;
  sentAt?: Date;
  msgid?: string;
  nextAttemptAt?: Date;
  /** WeChat's errcode and errmsg of the last attempt that failed. */
  errcode?: number;
  reason?: string;
}

export interface RecipientFate {
  openid: string;
  fate: Fate;
  messageId?: string;
  reason?: string;
}

/** Due retries read at a time. */
const RETRY_PAGE = 100;
/** Recipients read and written together: one read of records and ledgers for each. */
const CHUNK = 50;

/**
 * `consent`: what `wx.requestSubscribeMessage` answered the caller, for each template of the
 * Mini Program it names; answers `{ quota: { <templateId>: sends left } }`.
 */
export async function consent(event: Record<string, unknown>, ctx: MessagesContext, who: Caller): Promise<{ quota: Record<string, number> }> {
  const answers = readConsentRequest(event);
  const templates = await templatesWith(ctx.db, ctx.now(), answers.map(([templateId]) => templateId));
  for (const [templateId] of answers) templateNamed(templates, templateId, `answers.${templateId}`);
  const quota: Record<string, number> = {};
  for (const [templateId, answer] of answers) {
    const ledger = await changeLedger(ctx.db, who.openid, templateId, (stored) => recordAnswer(stored, { answer, at: ctx.now(), source: 'client' }));
    quota[templateId] = ledger.quota;
  }
  return { quota };
}

/** `templates`: the Mini Program's templates, each keyword with its rule and label. */
export async function templates(event: Record<string, unknown>, ctx: MessagesContext): Promise<{ templates: Template[] }> {
  return { templates: await templateList(ctx.db, ctx.now(), readTemplatesRequest(event).refresh) };
}

/**
 * Takes one send of the message's ledger (`takeSend`), before WeChat is asked: answers how many it
 * left, or undefined when there was none to take (nothing is written then).
 */
async function takeSendOf(ctx: MessagesContext, message: MessageDoc): Promise<number | undefined> {
  let left: number | undefined;
  await changeLedger(ctx.db, message.openid, message.templateId, (ledger) => {
    left = hasQuota(ledger) ? ledger.quota - 1 : undefined;
    return left === undefined ? ledger : takeSend(ledger);
  });
  return left;
}

/**
 * One attempt at WeChat for a stored message, and what it made of it: the record's fate, and the
 * ledger (a send taken first, given back when WeChat did not use it, none left after 43101). A
 * message whose user has no send left when it is taken is `no-quota`, and WeChat is not asked.
 */
async function attempt(ctx: MessagesContext, message: MessageDoc): Promise<MessageDoc> {
  const at = ctx.now();
  const left = await takeSendOf(ctx, message);
  if (left === undefined) {
    const { _id, ...fields } = message;
    await ctx.db.collection('messages').doc(_id).set({ data: { ...fields, fate: 'no-quota' } });
    return { ...message, fate: 'no-quota' };
  }
  let errcode = 0;
  let msgid: string | undefined;
  let reason: string | undefined;
  try {
    const answer = (await getCloud().openapi.subscribeMessage.send({
      touser: message.openid,
      templateId: message.templateId,
      ...(message.page === undefined ? {} : { page: messagePage(message.page, message._id) }),
      data: Object.fromEntries(Object.entries(message.data).map(([key, value]) => [key, { value }])),
    })) as { msgid?: unknown };
    msgid = answer.msgid === undefined ? undefined : String(answer.msgid);
  } catch (error) {
    const failure = error as { errCode?: unknown; errMsg?: unknown };
    errcode = typeof failure.errCode === 'number' ? failure.errCode : -1;
    reason = typeof failure.errMsg === 'string' ? failure.errMsg : String(error);
  }
  const attempts = message.attempts + 1;
  let { fate } = fateOf(errcode);
  const next = fate === 'retrying' ? nextAttemptAt(attempts, at) : undefined;
  if (fate === 'retrying' && !next) fate = 'failed';
  const done: MessageDoc = { ...message, fate, attempts, ...(fate === 'sent' ? { sentAt: at, day: chinaDay(at), ...(msgid ? { msgid } : {}) } : { errcode, reason }), ...(next ? { nextAttemptAt: next } : {}) };
  if (fate !== 'retrying') delete done.nextAttemptAt;
  if (fate === 'sent') {
    delete done.errcode;
    delete done.reason;
  }
  const { _id, ...fields } = done;
  await ctx.db.collection('messages').doc(_id).set({ data: fields });
  if (fate === 'refused') await changeLedger(ctx.db, message.openid, message.templateId, (ledger) => recordRefusal(ledger, at, left));
  // a retry takes a send again when it is due
  else if (fate !== 'sent') await changeLedger(ctx.db, message.openid, message.templateId, (ledger) => returnSend(ledger, at));
  return done;
}

const fateOfRecord = (message: MessageDoc): RecipientFate => ({ openid: message.openid, fate: message.fate, messageId: message._id, ...(message.reason ? { reason: message.reason } : {}) });

/** A send's recipients as far as it is checked: what each message of it carries. */
interface Sending {
  templateId: string;
  idempotencyKey: string;
  page?: string;
  data: TemplateData;
}

/**
 * Sends to these recipients (at most `CHUNK`), each at most once for the send's idempotency key:
 * one read of their records and of their ledgers, then for each without a record, the record, and
 * WeChat's answer to it.
 */
async function sendTo(ctx: MessagesContext, sending: Sending, openids: string[]): Promise<RecipientFate[]> {
  const _ = ctx.db.command;
  const ids = openids.map((openid) => messageIdOf(sending.idempotencyKey, openid));
  const stored = new Map(documentsOf<MessageDoc>(await ctx.db.collection('messages').where({ _id: _.in(ids) }).limit(ids.length).get(), 'messages').map((doc) => [doc._id, doc]));
  const ledgers = await ledgersOf(ctx.db, openids, sending.templateId);
  const results: RecipientFate[] = [];
  for (const [k, openid] of openids.entries()) {
    const _id = ids[k];
    const known = stored.get(_id);
    if (known) {
      results.push(fateOfRecord(known));
      continue;
    }
    const ledger = ledgers.get(openid);
    const { templateId, idempotencyKey, page, data } = sending;
    const fresh: MessageDoc = { _id, openid, templateId, idempotencyKey, ...(page === undefined ? {} : { page }), data, fate: ledger && hasQuota(ledger) ? 'sending' : 'no-quota', attempts: 0, createdAt: ctx.now() };
    // the record first: a send called again, or a concurrent one, finds it and sends nothing more
    if ((await addUnlessTaken(ctx.db, 'messages', [fresh])) === 'duplicate') {
      const taken = documentsOf<MessageDoc>(await ctx.db.collection('messages').where({ _id }).limit(1).get(), 'messages')[0];
      results.push(fateOfRecord(taken ?? fresh));
      continue;
    }
    results.push(fateOfRecord(fresh.fate === 'sending' ? await attempt(ctx, fresh) : fresh));
  }
  return results;
}

/** A send as `sends` keeps it (`_id`: its idempotency key): its template, its segment (null for a list), where it has got to. */
interface SegmentSend extends Sending {
  _id: string;
  segment: Segment | null;
  /** The last openid considered, in openid order; '' before the first. */
  cursor: string;
  done: boolean;
  createdAt: Date;
}

/** Of these users with a send left, those the segment holds: one read of their users or user-days. */
async function inSegment(ctx: MessagesContext, segment: Segment, openids: string[]): Promise<string[]> {
  const _ = ctx.db.command;
  if ('quota' in segment) return openids;
  if ('firstTouch' in segment) {
    const [[key, value]] = Object.entries(segment.firstTouch);
    const users = documentsOf<{ _id: string }>(await ctx.db.collection('users').where({ _id: _.in(openids), [`first.${key}`]: value }).field({ _id: true }).limit(openids.length).get(), 'users');
    const holds = new Set(users.map((user) => user._id));
    return openids.filter((openid) => holds.has(openid));
  }
  const { category, from, to } = segment.entered;
  // grouped by user: a page's users may have a user-day on each of the 92 days, more rows than one read answers
  const members = await runPipeline<{ _id: string }>(
    ctx.db,
    {
      collection: 'user_days',
      stages: [{ $match: { openid: { $in: openids }, day: { $gte: from, $lte: to }, [`byCategory.${escapeKey(category)}`]: { $gt: 0 } } }, { $group: { _id: '$openid' } }, { $limit: openids.length }],
    },
    new RequestCounter(),
  );
  const holds = new Set(members.map((member) => member._id));
  return openids.filter((openid) => holds.has(openid));
}

/** Users with a send left per page of a segment send: one read each, in openid order. */
const PAGE = 100;

/**
 * Goes on with a segment send from where it got to, page by page of the users with a send left for
 * its template, until it is done or the time budget is spent; answers this call's fates.
 */
async function continueSegment(ctx: MessagesContext, job: SegmentSend & { segment: Segment }, started: number): Promise<{ results: RecipientFate[]; done: boolean }> {
  const _ = ctx.db.command;
  const results: RecipientFate[] = [];
  let cursor = job.cursor;
  // at least one page a call, however little budget is left: every call gets somewhere
  for (let pages = 0; pages === 0 || ctx.now().getTime() - started <= ctx.budgetMs; pages++) {
    const page = documentsOf<{ openid: string }>(
      await ctx.db.collection('subscriptions').where({ templateId: job.templateId, quota: _.gt(0), openid: _.gt(cursor) }).orderBy('openid', 'asc').field({ openid: true }).limit(PAGE).get(),
      'subscriptions',
    ).map((ledger) => ledger.openid);
    if (page.length === 0) {
      await ctx.db.collection('sends').doc(job._id).update({ data: { done: true } });
      return { results, done: true };
    }
    const members = await inSegment(ctx, job.segment, page);
    for (let i = 0; i < members.length; i += CHUNK) results.push(...(await sendTo(ctx, job, members.slice(i, i + CHUNK))));
    cursor = page[page.length - 1];
    await ctx.db.collection('sends').doc(job._id).update({ data: { cursor } });
  }
  return { results, done: false };
}

/**
 * The send an idempotency key names: registered now in `sends`, or found there. A key names one
 * send: used before for another template, or for a list where this is a segment (or another
 * segment), it is refused. A list send's record is `done` from the start: only segments go on.
 */
async function claimKey(ctx: MessagesContext, sending: Sending, segment: Segment | undefined): Promise<SegmentSend> {
  const fresh: SegmentSend = { _id: sending.idempotencyKey, ...sending, segment: segment ?? null, cursor: '', done: segment === undefined, createdAt: ctx.now() };
  if ((await addUnlessTaken(ctx.db, 'sends', [fresh])) === 'added') return fresh;
  const job = documentsOf<SegmentSend>(await ctx.db.collection('sends').where({ _id: fresh._id }).limit(1).get(), 'sends')[0];
  if (!job || job.templateId !== sending.templateId || JSON.stringify(job.segment ?? null) !== JSON.stringify(fresh.segment)) {
    throw new ValidationError('This idempotencyKey was used for another send (another template, or another list or segment): choose a new key.', 'idempotencyKey');
  }
  return job;
}

/**
 * `send`: a template's message to each recipient who has a send left (the ledger), at most once
 * per recipient and idempotency key. To a list: each recipient's fate in order, and `remaining`,
 * the recipients the time budget left for a next call with the same key. To a segment: this call's
 * fates, and `done`; a call again with the same key, or the hourly timer, goes on from where it got to.
 */
export async function send(event: Record<string, unknown>, ctx: MessagesContext): Promise<{ results: RecipientFate[]; remaining: string[] } | { results: RecipientFate[]; done: boolean }> {
  const request = readSendRequest(event);
  const template = templateNamed(await templatesWith(ctx.db, ctx.now(), [request.templateId]), request.templateId, 'templateId');
  const data = checkTemplateData(
    template.keywords.map((keyword) => keyword.key),
    request.data,
  );
  const sending: Sending = { templateId: request.templateId, idempotencyKey: request.idempotencyKey, ...(request.page === undefined ? {} : { page: request.page }), data };
  const started = ctx.now().getTime();
  const job = await claimKey(ctx, sending, request.segment);
  if (request.segment) return continueSegment(ctx, { ...job, segment: request.segment }, started);
  const results: RecipientFate[] = [];
  for (let i = 0; i < request.to.length; i += CHUNK) {
    // at least one chunk a call, however little budget is left: every call gets somewhere
    if (i > 0 && ctx.now().getTime() - started > ctx.budgetMs) return { results, remaining: request.to.slice(i) };
    results.push(...(await sendTo(ctx, sending, request.to.slice(i, i + CHUNK))));
  }
  return { results, remaining: [] };
}

/**
 * The timer's run: each message whose retry is due is tried again, if its recipient still has a
 * send left (otherwise `no-quota`); then unfinished segment sends go on; all within the time
 * budget. Answers how many retries were tried, and the fates of all it did.
 */
export async function retryDue(ctx: MessagesContext): Promise<{ retried: number; fates: Partial<Record<Fate, number>> }> {
  const _ = ctx.db.command;
  const started = ctx.now().getTime();
  const fates: Partial<Record<Fate, number>> = {};
  let retried = 0;
  // page after page, oldest due first: each message tried leaves the due set (sent, failed, or due later)
  for (let more = true; more && ctx.now().getTime() - started <= ctx.budgetMs; ) {
    const due = documentsOf<MessageDoc>(
      await ctx.db.collection('messages').where({ fate: 'retrying', nextAttemptAt: _.lte(ctx.now()) }).orderBy('nextAttemptAt', 'asc').limit(RETRY_PAGE).get(),
      'messages',
    );
    more = due.length === RETRY_PAGE;
    for (const message of due) {
      if (ctx.now().getTime() - started > ctx.budgetMs) break;
      const done = await attempt(ctx, message);
      retried++;
      fates[done.fate] = (fates[done.fate] ?? 0) + 1;
    }
  }
  for (const job of documentsOf<SegmentSend>(await ctx.db.collection('sends').where({ done: false }).orderBy('createdAt', 'asc').limit(10).get(), 'sends')) {
    if (ctx.now().getTime() - started > ctx.budgetMs) break;
    if (!job.segment) continue;
    for (const result of (await continueSegment(ctx, { ...job, segment: job.segment }, started)).results) fates[result.fate] = (fates[result.fate] ?? 0) + 1;
  }
  return { retried, fates };
}
