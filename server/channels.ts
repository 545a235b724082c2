/**
 * Channels (`admin`, operators only; issue 11): the operator's own Mini Program codes and links,
 * created at WeChat (Platform sources §E) and kept in `channels` under their key. Each action
 * reads its input with shared/channels.ts, asks WeChat, then writes; a refusal of WeChat's leaves
 * nothing stored. The daily timer renews the schemes and links about to expire.
 *
 * A channel's document appears whole or not at all: its code is uploaded (or its link generated)
 * first, then the document is added under the key, which the database refuses for a key already
 * taken, so two creates of one key at once make one channel; the other's PNG is deleted again.
 */
import { randomBytes } from 'node:crypto';
import {
  changesNothing,
  codeScene,
  dueForRenewal,
  isAppid,
  linkExpiry,
  linkQuery,
  MAX_EXPIRE_DAYS,
  plainSchemeUrl,
  readCreateChannel,
  readCreateChannels,
  readListChannels,
  readUpdateChannel,
  renewalCutoff,
  weChatRefusal,
  type ChannelChange,
  type ChannelRequest,
  type CreateOptions,
  type RowRequest,
} from '../shared/channels';
import { MAX_CHANNELS } from '../shared/channel-rollup';
import { ConflictError, isRukouError, LimitError, RukouError, ValidationError, type Refusal } from '../shared/errors';
import { quoted } from '../shared/input';
import type { ChannelDoc, ChannelKind } from '../shared/model';
import { getCloud } from './cloud';
import { addUnlessTaken, documentsOf, updatedCount, type Database } from './pipeline';

export interface ChannelsContext {
  db: Database;
  now: () => Date;
  /** The Mini Program's appid, for plain schemes (RUKOU_APPID, else the caller's). */
  appid?: string;
}

/**
 * A channel as the actions answer it: its document with the key as `key`, dates as ISO text, a
 * code's temporary URL to download its PNG, and whether a scheme's or link's url has expired.
 */
export type ChannelView = Omit<ChannelDoc, '_id' | 'expiresAt' | 'createdAt' | 'updatedAt'> & {
  key: string;
  tempFileURL?: string;
  expiresAt?: string;
  expired?: boolean;
  createdAt: string;
  updatedAt: string;
};

/** A bulk create or a renewal starts nothing new after this long: the function has 60 s, and a last code may take a few. */
const BUDGET_MS = 40_000;
/** Rows of a bulk create in flight at once. */
const PARALLEL = 5;
/** Channels a renewal reads at a time. */
const RENEW_PAGE = 100;
/** getTempFileURL takes at most 50 files a request. */
const TEMP_URL_BATCH = 50;

const iso = (date: Date): string => new Date(date).toISOString();

/** The channel stored under `key`, if any. */
async function storedChannel(db: Database, key: string): Promise<ChannelDoc | undefined> {
  return documentsOf<ChannelDoc>(await db.collection('channels').where({ _id: key }).limit(1).get(), 'channels')[0];
}

/** The documents as the actions answer them, each code with a fresh temporary URL of its PNG (one request per 50 codes). */
async function viewsOf(docs: ChannelDoc[], now: Date): Promise<ChannelView[]> {
  const fileIDs = docs.flatMap((doc) => (doc.fileID ? [doc.fileID] : []));
  const urls = new Map<string, string>();
  for (let i = 0; i < fileIDs.length; i += TEMP_URL_BATCH) {
    const answer = (await getCloud().getTempFileURL({ fileList: fileIDs.slice(i, i + TEMP_URL_BATCH) })) as { fileList?: { fileID: string; tempFileURL?: string }[] };
    for (const file of answer.fileList ?? []) if (file.tempFileURL) urls.set(file.fileID, file.tempFileURL);
  }
  return docs.map((doc) => {
    const tempFileURL = doc.fileID ? urls.get(doc.fileID) : undefined;
    return {
      key: doc._id,
      name: doc.name,
      kind: doc.kind,
      page: doc.page,
      tags: doc.tags,
      ...(doc.group === undefined ? {} : { group: doc.group }),
      archived: doc.archived,
      envVersion: doc.envVersion,
      ...(doc.fileID ? { fileID: doc.fileID } : {}),
      ...(tempFileURL ? { tempFileURL } : {}),
      ...(doc.url ? { url: doc.url } : {}),
      ...(doc.expiresAt ? { expiresAt: iso(doc.expiresAt), expired: new Date(doc.expiresAt).getTime() <= now.getTime() } : {}),
      ...(doc.expireDays === undefined ? {} : { expireDays: doc.expireDays }),
      createdAt: iso(doc.createdAt),
      updatedAt: iso(doc.updatedAt),
      v: doc.v,
    };
  });
}

/**
 * The cloud calls channels make, each written out (not looked up by name) so that the deploy's check
 * finds it in the bundle and holds it against `permissions.openapi` in admin's config.json.
 */
const CLOUD_CALLS = {
  'wxacode.getUnlimited': (request: Record<string, unknown>): Promise<unknown> => getCloud().openapi.wxacode.getUnlimited(request),
  'urlscheme.generate': (request: Record<string, unknown>): Promise<unknown> => getCloud().openapi.urlscheme.generate(request),
  'urllink.generate': (request: Record<string, unknown>): Promise<unknown> => getCloud().openapi.urllink.generate(request),
};

/** WeChat's answer to a cloud call, or its refusal as Rukou answers it (shared/channels.ts weChatRefusal). */
async function askWeChat(api: keyof typeof CLOUD_CALLS, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    return (await CLOUD_CALLS[api](request)) as Record<string, unknown>;
  } catch (error) {
    const failure = error as { errCode?: unknown; errMsg?: unknown };
    throw weChatRefusal(api, typeof failure.errCode === 'number' ? failure.errCode : -1, typeof failure.errMsg === 'string' ? failure.errMsg : undefined);
  }
}

/** What WeChat made of a channel: a code's stored PNG, or a url (and its expiry). */
type Made = Pick<ChannelDoc, 'fileID' | 'url' | 'expiresAt' | 'expireDays'>;

interface Making {
  key: string;
  page: string;
  envVersion: ChannelDoc['envVersion'];
  checkPath: boolean;
  expireDays: number;
}

/** A scheme or a link, generated for `expireDays` from now (WeChat's own interval: its expiry is now + days, §E.2, §E.3). */
async function generateLink(ctx: ChannelsContext, kind: ChannelKind, { key, page, envVersion, expireDays }: Making): Promise<Made> {
  const at = ctx.now();
  const expiry = { expireType: 1, expireInterval: expireDays };
  const answer =
    kind === 'urlscheme'
      ? await askWeChat('urlscheme.generate', { jumpWxa: { path: page, query: linkQuery(key), envVersion }, ...expiry })
      : await askWeChat('urllink.generate', { path: page, query: linkQuery(key), envVersion, ...expiry });
  const url = kind === 'urlscheme' ? answer.openlink : answer.urlLink;
  if (typeof url !== 'string' || url === '') throw new RukouError('UPSTREAM', `WeChat answered ${kind === 'urlscheme' ? 'urlscheme' : 'urllink'}.generate without a url. Nothing was created: try again.`);
  return { url, expiresAt: linkExpiry(at, expireDays), expireDays };
}

/** How each kind is made: a code at WeChat and into storage, a scheme or link at WeChat, a plain scheme by Rukou alone. */
const MAKERS: Record<ChannelKind, (ctx: ChannelsContext, making: Making) => Promise<Made>> = {
  async wxacode(_ctx, { key, page, envVersion, checkPath }) {
    const answer = await askWeChat('wxacode.getUnlimited', { scene: codeScene(key), page, checkPath, envVersion });
    if (!Buffer.isBuffer(answer.buffer)) throw new RukouError('UPSTREAM', 'WeChat answered wxacode.getUnlimited without an image. Nothing was created: try again.');
    // a path of its own for each create: a create of the same key at the same moment must not overwrite this image;
    // WeChat's is a PNG, though developers report JPEG too (emulator README)
    const cloudPath = `rukou/channels/${key}/${randomBytes(6).toString('hex')}.${answer.contentType === 'image/jpeg' ? 'jpg' : 'png'}`;
    try {
      return { fileID: (await getCloud().uploadFile({ cloudPath, fileContent: answer.buffer })).fileID };
    } catch (error) {
      console.warn(JSON.stringify({ channel: key, upload: cloudPath, error: String(error) }));
      throw new RukouError('UPSTREAM', 'Cloud storage did not take the code\'s PNG. Nothing was created: try again.');
    }
  },
  urlscheme: (ctx, making) => generateLink(ctx, 'urlscheme', making),
  urllink: (ctx, making) => generateLink(ctx, 'urllink', making),
  async plainscheme(ctx, { key, page, envVersion }) {
    if (!ctx.appid || !isAppid(ctx.appid)) {
      throw new ValidationError('A plain scheme names the Mini Program\'s appid, which this call does not carry (HTTP access has none): set RUKOU_APPID in admin\'s environment, or create it from the Mini Program.', 'kind');
    }
    return { url: plainSchemeUrl({ appid: ctx.appid, page, key, envVersion }) };
  },
};

const taken = (key: string): ConflictError => new ConflictError(`The key ${quoted(key)} is taken by another channel: keys never change or return, choose another.`, 'key');

/** Deletes a PNG no channel keeps (its create lost the key to another); a failure only leaves a file behind. */
async function forget(fileID: string | undefined): Promise<void> {
  if (!fileID) return;
  try {
    await getCloud().deleteFile({ fileList: [fileID] });
  } catch (error) {
    console.warn(JSON.stringify({ orphan: fileID, error: String(error) }));
  }
}

/**
 * How many more channels the registry may hold: the rollup and `admin` `channels` read at most
 * `MAX_CHANNELS` (archived ones too), and a channel past them would count as an unknown key. One
 * count request; two creates at once may both pass the last place.
 */
async function registryRoom(ctx: ChannelsContext): Promise<number> {
  const { total } = (await ctx.db.collection('channels').count()) as { total: number };
  return MAX_CHANNELS - total;
}

const registryFull = (): LimitError =>
  new LimitError(`The registry holds at most ${MAX_CHANNELS.toLocaleString('en-US')} channels, archived ones included (the rollup reads that many): this channel was not created.`);

/** Creates one channel: the key checked free, WeChat asked, then the document added (refused if the key was taken meanwhile). */
async function create(ctx: ChannelsContext, request: ChannelRequest, options: CreateOptions): Promise<ChannelView> {
  if (await storedChannel(ctx.db, request.key)) throw taken(request.key);
  const made = await MAKERS[request.kind](ctx, { key: request.key, page: request.page, ...options });
  const now = ctx.now();
  const doc: ChannelDoc = {
    _id: request.key,
    name: request.name,
    kind: request.kind,
    page: request.page,
    tags: request.tags,
    ...(request.group === undefined ? {} : { group: request.group }),
    archived: false,
    ...made,
    envVersion: options.envVersion,
    createdAt: now,
    updatedAt: now,
    v: 1,
  };
  let added: 'added' | 'duplicate';
  try {
    added = await addUnlessTaken(ctx.db, 'channels', [doc]);
  } catch (error) {
    await forget(made.fileID);
    throw error;
  }
  if (added === 'duplicate') {
    await forget(made.fileID);
    throw taken(request.key);
  }
  return (await viewsOf([doc], now))[0];
}

/** A row's failure as answered: a RukouError as it is, anything else (the database, storage) logged and answered UPSTREAM. */
function refusalOf(error: unknown, key: string): Refusal {
  if (isRukouError(error)) return error.toJSON();
  console.warn(JSON.stringify({ channel: key, error: String(error) }));
  return new RukouError('UPSTREAM', 'The database or storage failed on this channel: it may not be created; list it, and send it again if it is not there.').toJSON();
}

export type RowResult = { row: number; key: string; channel: ChannelView } | { row: number; key?: string; error: Refusal };

/**
 * The rows of a bulk create, five at a time, each answered in its row's place. After WeChat's
 * 45009 (its limit), or past the time budget, no row is started: each is answered LIMIT_EXCEEDED,
 * to be sent again.
 */
async function createRows(ctx: ChannelsContext, rows: RowRequest[], options: CreateOptions): Promise<RowResult[]> {
  const started = ctx.now().getTime();
  let room = await registryRoom(ctx);
  const results: RowResult[] = [];
  let stop: string | undefined;
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i];
      if (!('request' in row)) {
        results[i] = row;
        continue;
      }
      const { key } = row.request;
      if (!stop && ctx.now().getTime() - started > BUDGET_MS) stop = `this call's time ran out (${BUDGET_MS / 1000} s)`;
      if (stop) {
        results[i] = { row: row.row, key, error: { code: 'LIMIT_EXCEEDED', message: `Not tried: ${stop}. Send this row again.` } };
        continue;
      }
      if (room-- <= 0) {
        results[i] = { row: row.row, key, error: registryFull().toJSON() };
        continue;
      }
      try {
        results[i] = { row: row.row, key, channel: await create(ctx, row.request, options) };
      } catch (error) {
        const refusal = refusalOf(error, key);
        if (refusal.code === 'LIMIT_EXCEEDED') stop = `WeChat's limit of calls was reached at row ${row.row}`;
        results[i] = { row: row.row, key, error: refusal };
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, work));
  return results;
}

/**
 * Changes a channel, conditional on the version read (`v`): `expected`, when the operator names
 * the version they saw, must still be the stored one (CONFLICT otherwise); without it, a change
 * made meanwhile is read again and this one applied on top, up to three times. A `change` that
 * answers nothing leaves the channel unwritten, at the version read.
 */
async function changeChannel(ctx: ChannelsContext, key: string, expected: number | undefined, change: (doc: ChannelDoc) => (ChannelChange & Made) | undefined): Promise<ChannelDoc> {
  const _ = ctx.db.command;
  for (let attempt = 0; attempt < 3; attempt++) {
    const doc = await storedChannel(ctx.db, key);
    if (!doc) throw new RukouError('NOT_FOUND', `No channel has the key ${quoted(key)}: listChannels lists them.`, 'key');
    if (expected !== undefined && doc.v !== expected) throw new ConflictError(`The channel changed since version ${expected} (it is at ${doc.v}): list it again, and change what it is now.`, 'v');
    const fields = change(doc);
    if (!fields) return doc;
    const now = ctx.now();
    const data: Record<string, unknown> = { ...fields, v: doc.v + 1, updatedAt: now };
    if (fields.group === null) data.group = _.remove();
    if (updatedCount(await ctx.db.collection('channels').where({ _id: key, v: doc.v }).update({ data })) === 1) {
      const changed: ChannelDoc = { ...doc, ...fields, group: fields.group === null ? undefined : (fields.group ?? doc.group), v: doc.v + 1, updatedAt: now };
      if (changed.group === undefined) delete changed.group;
      return changed;
    }
  }
  throw new ConflictError(`The channel ${quoted(key)} kept changing while this change was written: try again.`);
}

type ChannelAction = (event: Record<string, unknown>, ctx: ChannelsContext) => Promise<unknown>;

/** The operators' actions on channels: `admin` routes `{action, …}` here beside its stats. */
export const CHANNEL_ACTIONS = {
  /** One channel of any kind (README, "Channels"): `{ channel }`. */
  async createChannel(event, ctx) {
    const { request, options } = readCreateChannel(event);
    if ((await registryRoom(ctx)) <= 0) throw registryFull();
    return { channel: await create(ctx, request, options) };
  },

  /** Up to 100 channels, a CSV or rows: `{ created, failed, results }`, each row's channel or error in row order. */
  async createChannels(event, ctx) {
    const { rows, options } = readCreateChannels(event);
    const results = await createRows(ctx, rows, options);
    const created = results.filter((result) => 'channel' in result).length;
    return { created, failed: results.length - created, results };
  },

  /** Channels in key order, filtered by kind and group, archived ones only when asked: `{ channels, next? }`. */
  async listChannels(event, ctx) {
    const { kind, group, includeArchived, after, limit } = readListChannels(event);
    const _ = ctx.db.command;
    const where = { ...(kind ? { kind } : {}), ...(group ? { group } : {}), ...(includeArchived ? {} : { archived: false }), ...(after ? { _id: _.gt(after) } : {}) };
    const collection = ctx.db.collection('channels');
    const query = Object.keys(where).length > 0 ? collection.where(where) : collection;
    const docs = documentsOf<ChannelDoc>(await query.orderBy('_id', 'asc').limit(limit + 1).get(), 'channels');
    const page = docs.slice(0, limit);
    return { channels: await viewsOf(page, ctx.now()), ...(docs.length > limit ? { next: page[page.length - 1]._id } : {}) };
  },

  /** Renames, regroups, retags, archives or unarchives: `{ channel }` as it now is. */
  async updateChannel(event, ctx) {
    const { key, v, change } = readUpdateChannel(event);
    const changed = await changeChannel(ctx, key, v, (doc) => (changesNothing(doc, change) ? undefined : change));
    return { channel: (await viewsOf([changed], ctx.now()))[0] };
  },
} satisfies Record<string, ChannelAction>;

/**
 * The daily timer's run: every scheme and link not archived that expires within 3 days (or has
 * expired) gets a new url for its `expireDays`, stored with its new expiry. Page by page in key
 * order, within the time budget; WeChat's 45009 ends the run (the next day's tries again, and a
 * link has three). Answers the keys renewed and those WeChat refused, and whether all were tried.
 */
export async function renewDue(ctx: ChannelsContext): Promise<{ renewed: string[]; failed: { key: string; error: Refusal }[]; done: boolean }> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const renewed: string[] = [];
  const failed: { key: string; error: Refusal }[] = [];
  let after = '';
  for (;;) {
    const due = documentsOf<ChannelDoc>(
      await ctx.db.collection('channels').where({ archived: false, expiresAt: _.lte(renewalCutoff(now)), _id: _.gt(after) }).orderBy('_id', 'asc').limit(RENEW_PAGE).get(),
      'channels',
    );
    if (due.length === 0) return { renewed, failed, done: true };
    for (const doc of due) {
      if (ctx.now().getTime() - now.getTime() > BUDGET_MS) return { renewed, failed, done: false };
      if (!dueForRenewal(doc, now)) continue;
      try {
        const link = await generateLink(ctx, doc.kind, { key: doc._id, page: doc.page, envVersion: doc.envVersion, checkPath: true, expireDays: doc.expireDays ?? MAX_EXPIRE_DAYS });
        await changeChannel(ctx, doc._id, undefined, () => ({ url: link.url, expiresAt: link.expiresAt, expireDays: link.expireDays }));
        renewed.push(doc._id);
      } catch (error) {
        const refusal = refusalOf(error, doc._id);
        failed.push({ key: doc._id, error: refusal });
        console.warn(JSON.stringify({ renewal: doc._id, refused: refusal }));
        if (refusal.code === 'LIMIT_EXCEEDED') return { renewed, failed, done: false };
      }
    }
    after = due[due.length - 1]._id;
  }
}
