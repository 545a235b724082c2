/**
 * Channels, the operator's own QR codes and links (issue 11, Platform sources §E): the key rule,
 * what each of `admin`'s channel actions takes, the urls and scenes Rukou writes for WeChat, which
 * links are due for renewal, the CSV of many channels, and what WeChat's refusals mean. Pure:
 * `server/channels.ts` asks WeChat and the database.
 *
 * @example
 * readChannelKey('store-12')              // 'store-12'
 * codeScene('store-12')                   // 'rk_ch=store-12': the `scene` of wxacode.getUnlimited
 * plainSchemeUrl({ appid: 'wx0000000000000000', page: 'pages/index/index', key: 'store-12', envVersion: 'release' })
 * // 'weixin://dl/business/?appid=wx0000000000000000&path=pages/index/index&query=rk_ch%3Dstore-12&env_version=release'
 * readChannelsCsv('key,name,kind,page\nstore-12,南山店,wxacode,pages/index/index')
 * // [{ row: 2, request: { key: 'store-12', name: '南山店', kind: 'wxacode', page: 'pages/index/index', tags: [] } }]
 */
import { isPageRoute, URL_KEYS } from './entry';
import { ConflictError, LimitError, RukouError, ValidationError, type ErrorCode, type Refusal } from './errors';
import { isRecord, quoted, readText, refuseUnknown } from './input';
import type { ChannelDoc, ChannelKind } from './model';
import { DAY_MS } from './time';

export const CHANNEL_KINDS: readonly ChannelKind[] = ['wxacode', 'urlscheme', 'urllink', 'plainscheme'];
/** The kinds WeChat generates with an expiry (§E.2, §E.3): stored with `expiresAt`, renewed by the timer. */
export const LINK_KINDS: readonly ChannelKind[] = ['urlscheme', 'urllink'];
export type EnvVersion = ChannelDoc['envVersion'];
export const ENV_VERSIONS: readonly EnvVersion[] = ['release', 'trial', 'develop'];

/** WeChat's `scene` of a Mini Program code: at most 32 visible characters of this set (§E.1). */
const WECHAT_SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
/** What a code's scene carries before the key: the same `rk_ch` every entry is read for (shared/entry.ts). */
const SCENE_PREFIX = `${URL_KEYS.channel}=`;

/**
 * The longest key: WeChat's 32 characters of a code's `scene`, less the 6 of `rk_ch=`. A key this
 * long is valid in the scene both as `rk_ch=<key>` (what Rukou prints) and bare.
 */
export const MAX_KEY_LENGTH = 32 - SCENE_PREFIX.length;

/**
 * A channel key: 1–26 letters, digits, `_` or `-`, case-sensitive. Why so strict a set, when
 * WeChat's scene takes `!#$&'()*+,/:;=?@-._~` too:
 * - `&` and `=` would break the `k=v&k=v` packing of a scene that entries are read with
 *   (`rk_ch=poster7&x=1`);
 * - schemes and links carry the key in a URL query (`rk_ch=<key>`), where `+` reads as a space,
 *   `#` ends the URL, `?` `/` `%` `&` mean something, and WeChat's own query set (§E.2) has no `'`;
 * - it is the set of every other id the tracker reads (shared/entry.ts `ID_PATTERN`), so a key
 *   comes back exactly as it was created, from any scene or query, untouched by any decoding;
 * - keys are `_id`s and people type them from a list of posters: no look-alike punctuation.
 */
export const KEY_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_KEY_LENGTH}}$`);

/** WeChat keeps a scheme or link at most 30 days (§E.2, since 2022-04-11). */
export const MAX_EXPIRE_DAYS = 30;
/** A link due to expire within this long is renewed by the daily timer, which then has three runs to get it done. */
export const RENEW_WITHIN_MS = 3 * DAY_MS;

/**
 * Rows one `createChannels` call takes. A code is two slow requests (WeChat's getUnlimited, about
 * 0.2–0.5 s, and the PNG's upload) and a few quick ones: five at a time, 100 codes take 10–20 s,
 * well within the function's 60 s, and 100 of WeChat's calls are 2% of its 5,000 a minute, which
 * leaves the rest of the minute to other calls and to a next file. More rows are more calls.
 */
export const MAX_ROWS = 100;
/** The longest CSV text: 100 rows of about 600 characters. */
export const MAX_CSV_LENGTH = 64 * 1024;
/** Channels `listChannels` answers at most at a time (the rest: `after`). */
export const MAX_LIST = 100;

export const LIMITS = { name: 64, group: 64, tags: 10, tag: 32, page: 512, appid: 64 } as const;

export interface ChannelRequest {
  key: string;
  name: string;
  kind: ChannelKind;
  /** The landing page's route, without a leading "/" and without a query. */
  page: string;
  tags: string[];
  group?: string;
}

/** How WeChat makes a channel: `checkPath` is for codes, `expireDays` for schemes and links. */
export interface CreateOptions {
  envVersion: EnvVersion;
  checkPath: boolean;
  expireDays: number;
}

/** Optional fields sent as null are as if they were not sent (as for every `admin` action). */
const given = (value: unknown): boolean => value !== undefined && value !== null;

/** Reads a key exactly as given (a space or a control character around it is refused, never trimmed away); refuses anything else naming `field` and saying the rule. */
export function readChannelKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    const shown = typeof key === 'string' ? `${quoted(key)} is not a channel key` : `${field} must be a channel key`;
    throw new ValidationError(`${shown}: 1–${MAX_KEY_LENGTH} letters, digits, _ or -, such as "store-12" (a Mini Program code's scene holds at most 32 characters, "rk_ch=" and the key).`, field);
  }
  return key;
}

/** A landing page: a page's route as app.json names it; a leading "/" is dropped; never a query (getUnlimited takes none, §E.1). */
export function readPage(value: unknown, field = 'page'): string {
  const page = typeof value === 'string' ? value.trim().replace(/^\//, '') : undefined;
  if (page !== undefined && page.includes('?')) throw new ValidationError(`${field} must be a page's route without a query: Rukou adds rk_ch, and a code's page takes no query.`, field);
  if (page === undefined || page.length > LIMITS.page || !isPageRoute(page)) throw new ValidationError(`${field} must be a page of the Mini Program as app.json names it, such as "pages/index/index" (at most ${LIMITS.page} characters).`, field);
  return page;
}

/** Tags: a list of 1–32 characters each, repeats dropped, at most 10 then; `|` separates them in a CSV, so no tag holds one. */
function readTags(value: unknown, field = 'tags'): string[] {
  if (!given(value)) return [];
  if (!Array.isArray(value)) throw new ValidationError(`${field} must be a list of at most ${LIMITS.tags} tags.`, field);
  const tags = value.map((tag, i) => readText(tag, `${field}.${i}`, LIMITS.tag, 'a tag'));
  tags.forEach((tag, i) => {
    if (tag.includes('|')) throw new ValidationError(`${field}.${i} must not hold "|", which separates tags in a CSV.`, `${field}.${i}`);
  });
  const distinct = [...new Set(tags)];
  if (distinct.length > LIMITS.tags) throw new ValidationError(`${field} has ${distinct.length} different tags: at most ${LIMITS.tags}.`, field);
  return distinct;
}

const readGroup = (value: unknown): string | undefined => (given(value) ? readText(value, 'group', LIMITS.group, 'a group (a store, a region, a staff member)') : undefined);

function readKind(value: unknown): ChannelKind {
  if (typeof value !== 'string' || !CHANNEL_KINDS.includes(value as ChannelKind)) throw new ValidationError(`kind must be one of ${CHANNEL_KINDS.join(', ')}.`, 'kind');
  return value as ChannelKind;
}

const REQUEST_FIELDS = ['key', 'name', 'kind', 'page', 'tags', 'group'] as const;

/** One channel as an operator asks for it. Throws ValidationError naming the field. */
export function readChannelRequest(input: Record<string, unknown>): ChannelRequest {
  const key = readChannelKey(input.key);
  const name = readText(input.name, 'name', LIMITS.name, 'the channel\'s name');
  const kind = readKind(input.kind);
  const page = readPage(input.page);
  const tags = readTags(input.tags);
  const group = readGroup(input.group);
  return { key, name, kind, page, tags, ...(group === undefined ? {} : { group }) };
}

/** The options of a create; each has its default, and each kind uses its own (the others are not asked of WeChat). */
function readOptions(input: Record<string, unknown>): CreateOptions {
  const { envVersion, checkPath, expireDays } = input;
  if (given(envVersion) && !ENV_VERSIONS.includes(envVersion as EnvVersion)) throw new ValidationError(`envVersion must be one of ${ENV_VERSIONS.join(', ')} (release by default).`, 'envVersion');
  if (given(checkPath) && typeof checkPath !== 'boolean') throw new ValidationError('checkPath must be true (the page must be published: the default) or false.', 'checkPath');
  if (given(expireDays) && !(Number.isInteger(expireDays) && (expireDays as number) >= 1 && (expireDays as number) <= MAX_EXPIRE_DAYS)) {
    throw new ValidationError(`expireDays must be a whole number of days from 1 to ${MAX_EXPIRE_DAYS} (WeChat keeps a scheme or link at most ${MAX_EXPIRE_DAYS} days; ${MAX_EXPIRE_DAYS} by default).`, 'expireDays');
  }
  return { envVersion: given(envVersion) ? (envVersion as EnvVersion) : 'release', checkPath: given(checkPath) ? (checkPath as boolean) : true, expireDays: given(expireDays) ? (expireDays as number) : MAX_EXPIRE_DAYS };
}

const OPTION_FIELDS = ['envVersion', 'checkPath', 'expireDays'] as const;

/** `createChannel`. Throws ValidationError naming the field. */
export function readCreateChannel(event: Record<string, unknown>): { request: ChannelRequest; options: CreateOptions } {
  refuseUnknown(event, ['action', ...REQUEST_FIELDS, ...OPTION_FIELDS]);
  return { request: readChannelRequest(event), options: readOptions(event) };
}

/** One row of a `createChannels` call: its channel, or why it cannot be one. */
export type RowRequest = { row: number; request: ChannelRequest } | { row: number; key?: string; error: Refusal };

const refusalOf = (error: unknown): Refusal => {
  if (error instanceof RukouError) return error.toJSON();
  throw error;
};

/** A row's key, when it is one, to name the row in its answer. */
const named = (value: unknown): { key?: string } => {
  const key = typeof value === 'string' ? value : '';
  return KEY_PATTERN.test(key) ? { key } : {};
};

/** The columns of a CSV of channels: the first four are required, in any order. */
export const CSV_COLUMNS = ['key', 'name', 'kind', 'page', 'group', 'tags'] as const;
const REQUIRED_COLUMNS = CSV_COLUMNS.slice(0, 4);

/** One line's cells: `,` between cells, `"…"` around a cell holding `,` or `"`, `""` for a quote. Undefined when a quote is left open or stray. */
function csvCells(line: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return undefined;
        cell += line.slice(i, quote);
        i = quote + 1;
        if (line[i] !== '"') break;
        cell += '"';
        i += 1;
      }
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const comma = line.indexOf(',', i);
      cell = line.slice(i, comma < 0 ? line.length : comma);
      if (cell.includes('"')) return undefined;
      i = comma < 0 ? line.length : comma;
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    i += 1;
  }
}

/**
 * A CSV of channels (README, "CSV of channels"): a header row naming the columns key, name, kind,
 * page and optionally group and tags (tags separated by `|`), in any order, then one channel a
 * line. UTF-8, with or without a BOM, LF or CRLF; a cell may be quoted (`"南山店, 2F"`); a line
 * break inside a cell is not taken, so that a broken line fails alone and every other row is still
 * read. Blank lines are skipped. Each row is answered with its row number as a spreadsheet shows it
 * (the header is row 1). Throws ValidationError (`csv`) for a header that is not one, and
 * LimitError for more than MAX_ROWS rows.
 */
export function readChannelsCsv(text: string): RowRequest[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvCells(lines[0] ?? '')?.map((cell) => cell.trim().toLowerCase());
  const columns = `${CSV_COLUMNS.join(',')} (group and tags may be left out)`;
  if (!header || header.some((cell) => !(CSV_COLUMNS as readonly string[]).includes(cell)) || new Set(header).size !== header.length || REQUIRED_COLUMNS.some((column) => !header.includes(column))) {
    throw new ValidationError(`csv must start with a header row naming its columns, each once: ${columns}.`, 'csv');
  }
  const rows: RowRequest[] = [];
  lines.slice(1).forEach((line, i) => {
    const row = i + 2;
    const cells = csvCells(line);
    if (cells?.every((cell) => cell.trim() === '')) return;
    if (!cells) {
      rows.push({ row, error: new ValidationError('this row is not CSV: a quote is left open, or stands inside a cell that is not quoted (write "" for a quote inside a quoted cell).', 'csv').toJSON() });
      return;
    }
    // spaces after a comma are how people write CSV by hand: every cell is trimmed, the key too
    const record = Object.fromEntries(header.map((column, k) => [column, cells[k]?.trim()]));
    if (cells.length !== header.length) {
      rows.push({ row, ...named(record.key), error: new ValidationError(`this row has ${cells.length} cells where the header names ${header.length}: ${header.join(',')}.`, 'csv').toJSON() });
      return;
    }
    const tags = record.tags === undefined || record.tags === '' ? [] : record.tags.split('|');
    rows.push(readRow(row, { ...record, group: record.group === '' ? undefined : record.group, tags }));
  });
  if (rows.length > MAX_ROWS) throw new LimitError(`csv has ${rows.length} rows: at most ${MAX_ROWS} a call (a code is a call to WeChat and an upload, and a call has 60 s); send the rest in another call.`, 'csv');
  return rows;
}

function readRow(row: number, input: Record<string, unknown>): RowRequest {
  try {
    return { row, request: readChannelRequest(input) };
  } catch (error) {
    return { row, ...named(input.key), error: refusalOf(error) };
  }
}

/**
 * `createChannels`: `csv` (readChannelsCsv) or `rows` (a list of `{key, name, kind, page, group?,
 * tags?}`, each answered with its index as `row`), and the options of every row. A key repeated in
 * the call fails at each repeat (the first row with it is the one created). Throws ValidationError
 * or LimitError about the call as a whole.
 */
export function readCreateChannels(event: Record<string, unknown>): { rows: RowRequest[]; options: CreateOptions } {
  refuseUnknown(event, ['action', 'csv', 'rows', ...OPTION_FIELDS]);
  const { csv, rows } = event;
  if (given(csv) === given(rows)) {
    const ways = 'as csv (text with a header row) or as rows (a list of channels)';
    throw new ValidationError(given(csv) ? `Send the channels either ${ways}, not both.` : `Send the channels ${ways}.`, given(csv) ? 'rows' : 'csv');
  }
  let requests: RowRequest[];
  if (given(csv)) {
    if (typeof csv !== 'string') throw new ValidationError(`csv must be the text of a CSV file with a header row: ${CSV_COLUMNS.join(',')}.`, 'csv');
    if (csv.length > MAX_CSV_LENGTH) throw new LimitError(`csv has ${csv.length} characters: at most ${MAX_CSV_LENGTH} (${MAX_ROWS} rows) a call.`, 'csv');
    requests = readChannelsCsv(csv);
  } else {
    if (!Array.isArray(rows) || rows.length === 0) throw new ValidationError('rows must be a list of channels, each { key, name, kind, page, group?, tags? }.', 'rows');
    if (rows.length > MAX_ROWS) throw new LimitError(`rows has ${rows.length} channels: at most ${MAX_ROWS} a call; send the rest in another call.`, 'rows');
    requests = rows.map((input, row) => {
      if (!isRecord(input)) return { row, error: new ValidationError('a row must be a channel: { key, name, kind, page, group?, tags? }.').toJSON() };
      try {
        refuseUnknown(input, REQUEST_FIELDS);
      } catch (error) {
        return { row, ...named(input.key), error: refusalOf(error) };
      }
      return readRow(row, input);
    });
  }
  if (requests.length === 0) throw new ValidationError('csv names no channel: one a row, after the header row.', 'csv');
  const firstRow = new Map<string, number>();
  const options = readOptions(event);
  return {
    options,
    rows: requests.map((request) => {
      if (!('request' in request)) return request;
      const first = firstRow.get(request.request.key);
      if (first === undefined) {
        firstRow.set(request.request.key, request.row);
        return request;
      }
      return { row: request.row, key: request.request.key, error: new ConflictError(`the key ${quoted(request.request.key)} is row ${first}'s: a key names one channel.`, 'key').toJSON() };
    }),
  };
}

export interface ListRequest {
  kind?: ChannelKind;
  group?: string;
  includeArchived: boolean;
  /** The key the previous page ended with: the page after it. */
  after?: string;
  limit: number;
}

/** `listChannels`. Throws ValidationError naming the field. */
export function readListChannels(event: Record<string, unknown>): ListRequest {
  refuseUnknown(event, ['action', 'kind', 'group', 'includeArchived', 'after', 'limit']);
  const { kind, group, includeArchived, after, limit } = event;
  if (given(includeArchived) && typeof includeArchived !== 'boolean') throw new ValidationError('includeArchived must be true or false (false by default).', 'includeArchived');
  if (given(limit) && !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_LIST)) throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LIST}.`, 'limit');
  return {
    ...(given(kind) ? { kind: readKind(kind) } : {}),
    ...(given(group) ? { group: readGroup(group) } : {}),
    includeArchived: includeArchived === true,
    ...(given(after) ? { after: readChannelKey(after, 'after') } : {}),
    limit: given(limit) ? (limit as number) : MAX_LIST,
  };
}

/** What an update changes: `group: null` takes the channel out of its group. */
export interface ChannelChange {
  name?: string;
  group?: string | null;
  tags?: string[];
  archived?: boolean;
}

/**
 * `updateChannel`: a key, what changes, and optionally `v`, the version the operator saw (the
 * update is refused with CONFLICT if the channel changed since). The key, the kind and the page
 * never change: every printed code and sent link must keep counting for the same channel.
 */
export function readUpdateChannel(event: Record<string, unknown>): { key: string; v?: number; change: ChannelChange } {
  for (const fixed of ['kind', 'page'] as const) {
    if (Object.hasOwn(event, fixed)) throw new ValidationError(`A channel's ${fixed} never changes (its codes are printed and its links sent): create a new channel, and archive this one.`, fixed);
  }
  refuseUnknown(event, ['action', 'key', 'v', 'name', 'group', 'tags', 'archived']);
  const key = readChannelKey(event.key);
  const { v, name, group, tags, archived } = event;
  if (given(v) && !(Number.isSafeInteger(v) && (v as number) >= 1)) throw new ValidationError('v must be the channel\'s version as listChannels answered it (a whole number).', 'v');
  if (given(archived) && typeof archived !== 'boolean') throw new ValidationError('archived must be true (archive) or false (unarchive).', 'archived');
  const change: ChannelChange = {
    ...(given(name) ? { name: readText(name, 'name', LIMITS.name, 'the channel\'s name') } : {}),
    // null takes the channel out of its group
    ...(group === null ? { group: null } : group !== undefined ? { group: readGroup(group) } : {}),
    ...(given(tags) ? { tags: readTags(tags) } : {}),
    ...(given(archived) ? { archived: archived as boolean } : {}),
  };
  if (Object.keys(change).length === 0) throw new ValidationError('Name what changes: name, group (null: none), tags or archived.');
  return { key, ...(given(v) ? { v: v as number } : {}), change };
}

/**
 * Whether `change` would leave `channel` as it is: each field it names already holds its value
 * (`group: null` on a channel with no group; tags in the same order). Such an update writes
 * nothing, so the version the operator saw stays the channel's.
 */
export function changesNothing(channel: ChannelDoc, change: ChannelChange): boolean {
  return Object.entries(change).every(([field, value]) => {
    const now: unknown = channel[field as keyof ChannelDoc];
    if (value === null) return now === undefined;
    if (Array.isArray(value)) return Array.isArray(now) && now.length === value.length && value.every((item, i) => now[i] === item);
    return now === value;
  });
}

/** The `scene` of a channel's Mini Program code: `rk_ch=<key>`, which says what it is to anyone who reads it, and is read on any scene. */
export const codeScene = (key: string): string => `${SCENE_PREFIX}${key}`;

/** Whether WeChat takes `scene` as a code's scene (§E.1: at most 32 visible characters of its set). */
export const isWeChatScene = (scene: string): boolean => WECHAT_SCENE.test(scene);

/** The query a scheme or link opens its page with (§E.2, §E.3): the channel's key as `rk_ch`. */
export const linkQuery = (key: string): string => `${URL_KEYS.channel}=${key}`;

/**
 * The plain-text URL scheme of a channel (§E.2, the 2023-12-19 update): no API call and no expiry;
 * it opens the Mini Program with scene 1286, once its page is declared in the Mini Program's console
 * (设置 → 隐私与安全 → 明文 scheme 拉起此小程序). The query is URL-encoded, as WeChat asks.
 */
export function plainSchemeUrl({ appid, page, key, envVersion }: { appid: string; page: string; key: string; envVersion: EnvVersion }): string {
  return `weixin://dl/business/?appid=${encodeURIComponent(appid)}&path=${page}&query=${encodeURIComponent(linkQuery(key))}&env_version=${envVersion}`;
}

/** A Mini Program's appid, as the plain scheme names it. */
export const isAppid = (appid: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(appid);

/** When a scheme or link generated at `at` for `days` stops opening. */
export const linkExpiry = (at: Date, days: number): Date => new Date(at.getTime() + days * DAY_MS);

/** The latest expiry the renewal takes at `now`: links that expire before it are renewed. */
export const renewalCutoff = (now: Date): Date => new Date(now.getTime() + RENEW_WITHIN_MS);

/** Whether a channel is due for renewal at `now`: a scheme or link, not archived, expiring within 3 days (or expired). */
export function dueForRenewal(channel: Pick<ChannelDoc, 'kind' | 'archived' | 'expiresAt'>, now: Date): boolean {
  return LINK_KINDS.includes(channel.kind) && !channel.archived && channel.expiresAt !== undefined && new Date(channel.expiresAt).getTime() <= renewalCutoff(now).getTime();
}

/** What each of WeChat's errcodes means for a channel, and what to do. */
const WECHAT_ERRORS: Record<number, (api: string) => { code: ErrorCode; message: string; field?: string }> = {
  40169: () => ({
    code: 'INVALID_INPUT',
    field: 'key',
    message: 'WeChat refused the code\'s scene (40169: at most 32 visible characters of 0-9 A-Z a-z !#$&\'()*+,/:;=?@-._~). Nothing was created: choose a key of 1–26 letters, digits, _ or -.',
  }),
  41030: () => ({
    code: 'INVALID_INPUT',
    field: 'page',
    message: 'WeChat does not know the page (41030): it must be a page of the published Mini Program, as app.json names it, without a query. Nothing was created: publish the page, or create the code with checkPath false (it opens once the page is published).',
  }),
  40165: () => ({ code: 'INVALID_INPUT', field: 'page', message: 'WeChat does not know the page (40165: invalid page path). Nothing was created: name a page of the published Mini Program as app.json names it.' }),
  45009: (api) => ({
    code: 'LIMIT_EXCEEDED',
    message: `WeChat's limit of calls to ${api} is reached (45009: 5,000 codes a minute; schemes and links have a daily limit). Nothing was created: try again in a minute (a code) or tomorrow (a scheme or link).`,
  }),
  [-1]: () => ({ code: 'UPSTREAM', message: 'WeChat was busy (-1, system error). Nothing was created: try again in a few seconds.' }),
  40002: () => ({ code: 'UPSTREAM', message: 'WeChat gives URL schemes and links only to Mini Programs of a company or organisation, not of a person (40002). Nothing was created: use a code or a plain scheme.' }),
  [-604101]: (api) => ({ code: 'UPSTREAM', message: `The function may not call ${api} (-604101): list it in the function's config.json permissions.openapi and deploy it again. Nothing was created.` }),
  85079: () => ({ code: 'UPSTREAM', message: 'The Mini Program has no published version (85079): schemes and links open only a published Mini Program. Nothing was created: publish it first.' }),
};

/**
 * A refusal of WeChat's (an errcode of `api`) as Rukou answers it: a stable code, what it means and
 * what to do; nothing was created. 40169 and 41030 are the operator's to fix (`key`, `page`), 45009
 * is a limit to wait out, -1 and any other errcode are WeChat's (UPSTREAM, the errcode and WeChat's
 * errmsg quoted).
 */
export function weChatRefusal(api: string, errcode: number, errmsg?: string): RukouError {
  const known = Object.hasOwn(WECHAT_ERRORS, errcode) ? WECHAT_ERRORS[errcode](api) : undefined;
  if (known) return new RukouError(known.code, known.message, known.field);
  return new RukouError('UPSTREAM', `WeChat refused ${api} with ${errcode}${errmsg ? ` (${quoted(errmsg)})` : ''}. Nothing was created: check the Mini Program's settings in the WeChat console, or try again later.`);
}
