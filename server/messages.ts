/**
 * The `messages` function's work: the consent ledger (`consent`, any user), the templates and sends
 * (`templates`, `send`, operators), and the timer's retries. Each message is a `messages` record
 * written before WeChat is asked, so a send called again with its idempotency key, or after a
 * crash, never sends twice.
 */
import { messageIdOf } from '../shared/ids';
import { checkTemplateData, type TemplateData } from '../shared/keywords';
import { fateOf, messagePage, nextAttemptAt, readSendRequest, type Fate } from '../shared/messages';
import { hasQuota, readConsentAnswers, recordAnswer, recordRefusal, takeSend } from '../shared/subscriptions';
import { chinaDay } from '../shared/time';
import { getCloud, type Caller } from './cloud';
import { changeLedger, ledgersOf } from './ledgers';
import { addUnlessTaken, documentsOf, type Database } from './pipeline';
import { templateList, templateNamed, type Template } from './templates';

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

/** Recipients read and written together: one read of records and ledgers for each. */
const CHUNK = 50;

/**
 * `consent`: what `wx.requestSubscribeMessage` answered the caller, for each template of the
 * Mini Program it names; answers `{ quota: { <templateId>: sends left } }`.
 */
export async function consent(event: Record<string, unknown>, ctx: MessagesContext, who: Caller): Promise<{ quota: Record<string, number> }> {
  const answers = readConsentAnswers(event.answers);
  const templates = await templateList(ctx.db, ctx.now());
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
  return { templates: await templateList(ctx.db, ctx.now(), event.refresh === true) };
}

/**
 * One attempt at WeChat for a stored message, and what it made of it: the record's fate, and the
 * ledger (a send taken, or none left after 43101).
 */
async function attempt(ctx: MessagesContext, message: MessageDoc): Promise<MessageDoc> {
  const at = ctx.now();
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
  if (fate === 'sent') await changeLedger(ctx.db, message.openid, message.templateId, (ledger) => (hasQuota(ledger) ? takeSend(ledger) : ledger));
  if (fate === 'refused') await changeLedger(ctx.db, message.openid, message.templateId, (ledger) => recordRefusal(ledger, at));
  return done;
}

const fateOfRecord = (message: MessageDoc): RecipientFate => ({ openid: message.openid, fate: message.fate, messageId: message._id, ...(message.reason ? { reason: message.reason } : {}) });

/**
 * `send`: a template's message to each recipient who has a send left (the ledger), at most once
 * per recipient and idempotency key. Answers each recipient's fate in order, and `remaining`: the
 * recipients the time budget left for a next call with the same key.
 */
export async function send(event: Record<string, unknown>, ctx: MessagesContext): Promise<{ results: RecipientFate[]; remaining: string[] }> {
  const request = readSendRequest(event);
  const template = templateNamed(await templateList(ctx.db, ctx.now()), request.templateId, 'templateId');
  const data = checkTemplateData(
    template.keywords.map((keyword) => keyword.key),
    request.data,
  );
  const started = ctx.now().getTime();
  const results: RecipientFate[] = [];
  for (let i = 0; i < request.to.length; i += CHUNK) {
    if (ctx.now().getTime() - started > ctx.budgetMs) return { results, remaining: request.to.slice(i) };
    const chunk = request.to.slice(i, i + CHUNK);
    const _ = ctx.db.command;
    const ids = chunk.map((openid) => messageIdOf(request.idempotencyKey, openid));
    const stored = new Map(documentsOf<MessageDoc>(await ctx.db.collection('messages').where({ _id: _.in(ids) }).limit(ids.length).get(), 'messages').map((doc) => [doc._id, doc]));
    const ledgers = await ledgersOf(ctx.db, chunk, request.templateId);
    for (const [k, openid] of chunk.entries()) {
      const _id = ids[k];
      const known = stored.get(_id);
      if (known) {
        results.push(fateOfRecord(known));
        continue;
      }
      const ledger = ledgers.get(openid);
      const fresh: MessageDoc = {
        _id,
        openid,
        templateId: request.templateId,
        idempotencyKey: request.idempotencyKey,
        ...(request.page === undefined ? {} : { page: request.page }),
        data,
        fate: ledger && hasQuota(ledger) ? 'sending' : 'no-quota',
        attempts: 0,
        createdAt: ctx.now(),
      };
      // the record first: a send called again, or a concurrent one, finds it and sends nothing more
      if ((await addUnlessTaken(ctx.db, 'messages', [fresh])) === 'duplicate') {
        const taken = documentsOf<MessageDoc>(await ctx.db.collection('messages').where({ _id }).limit(1).get(), 'messages')[0];
        results.push(fateOfRecord(taken ?? fresh));
        continue;
      }
      results.push(fateOfRecord(fresh.fate === 'sending' ? await attempt(ctx, fresh) : fresh));
    }
  }
  return { results, remaining: [] };
}

/**
 * The timer's run: each message whose retry is due is tried again, if its recipient still has a
 * send left (otherwise `no-quota`), within the time budget. Answers how many were tried and their fates.
 */
export async function retryDue(ctx: MessagesContext): Promise<{ retried: number; fates: Partial<Record<Fate, number>> }> {
  const _ = ctx.db.command;
  const started = ctx.now().getTime();
  const due = documentsOf<MessageDoc>(
    await ctx.db
      .collection('messages')
      .where({ fate: 'retrying', nextAttemptAt: _.lte(ctx.now()) })
      .orderBy('nextAttemptAt', 'asc')
      .limit(100)
      .get(),
    'messages',
  );
  const fates: Partial<Record<Fate, number>> = {};
  let retried = 0;
  for (const message of due) {
    if (ctx.now().getTime() - started > ctx.budgetMs) break;
    const ledger = (await ledgersOf(ctx.db, [message.openid], message.templateId)).get(message.openid);
    let done: MessageDoc;
    if (ledger && hasQuota(ledger)) done = await attempt(ctx, message);
    else {
      const { _id, ...fields } = message;
      done = { ...message, fate: 'no-quota' };
      await ctx.db.collection('messages').doc(_id).set({ data: { ...fields, fate: 'no-quota' } });
    }
    retried++;
    fates[done.fate] = (fates[done.fate] ?? 0) + 1;
  }
  return { retried, fates };
}
