/**
 * The simulated WeChat's codes and links (reference/wechat-platform.md §E): wxacode.getUnlimited,
 * urlscheme.generate and urllink.generate behind the cloud calls. Codes and links are the
 * project's Mini Program's: its appid, its pages (app.json). The errmsgs are WeChat's where its
 * documentation or its developers' reports show one (40169, 41030, 40165, 40212, 85401), the
 * emulator's otherwise; README, "The simulated WeChat's codes and links".
 */
import { randomInt } from 'node:crypto';
import { toBuffer } from 'qrcode';
import type { MiniProgramSpec } from '../project';
import type { Json } from './messages';
import type { WeChatAnswer } from './operations';
import type { LinkKind, LinkRecord, WeChatState } from './state';

const wxError = (errcode: number, errmsg: string): Json => ({ errcode, errmsg });
const INVALID_ARGS = (what: string): Json => wxError(40097, `invalid args: ${what}`);

/** §E.1: at most 32 visible characters of these. */
const SCENE_TEXT = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
/** §E.2, §E.3: at most 1024 characters of these. */
const LINK_QUERY = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}$/;
/**
 * A page's route: path segments of letters, digits, `_ - .` (the characters of Mini Program page
 * paths). WeChat's own rule, kept here rather than taken from shared/: the simulated platform does
 * not run the project's code. The length bound is the emulator's (every code must fit in a QR code).
 */
const PAGE_ROUTE = /^[A-Za-z0-9_\-.]+(\/[A-Za-z0-9_\-.]+)*$/;
const MAX_PAGE_LENGTH = 1024;
const ENV_VERSIONS = new Set(['release', 'trial', 'develop']);
/** §E.1: the code's width in px, 430 unless asked. */
const WIDTH = { min: 280, max: 1280, default: 430 } as const;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600_000;
/** §E.2: since 2022-04-11 a link lives at most 30 days; WeChat gives a longer one 30 days rather than refusing it (README). */
export const MAX_LINK_DAYS = 30;
/** 85401's own words: an expiry must be between a minute and a year away. */
const MAX_EXPIRY_MS = 365 * DAY_MS;
/** Expired links are remembered this long, so that opening one answers "expired" rather than "unknown". */
const FORGET_EXPIRED_AFTER_MS = 30 * DAY_MS;

/**
 * What the simulated code carries: a URL that no network serves (`.invalid`, RFC 2606) naming the
 * Mini Program, the page, the scene and the version. The page's characters need no escaping in a
 * query, so the longest code (a 1,024-character page) still fits a QR code.
 */
const CODE_URL = 'https://wxacode.rukou.invalid/';
const codeText = (code: { appid: string; page: string; scene: string; envVersion: string }): string =>
  `${CODE_URL}?appid=${encodeURIComponent(code.appid)}&env_version=${code.envVersion}&page=${code.page}&scene=${encodeURIComponent(code.scene)}`;

/** §E.2, §E.3: `weixin://dl/business/?t=TICKET` and `https://wxaurl.cn/TICKET` (or wxmpurl.cn). */
const SCHEME_PREFIX = 'weixin://dl/business/';
const TICKET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Tickets as WeChat's look in its documentation (`XTSkBZlzqmn`): 11 letters and digits. */
const newTicket = (): string => Array.from({ length: 11 }, () => TICKET_ALPHABET[randomInt(TICKET_ALPHABET.length)]).join('');

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `line_color` (§E.1: `{r, g, b}`, decimal numbers or their text, 0–255) as the hex colour the QR library draws with. */
function lineColor(value: unknown): string | undefined {
  if (value === undefined) return '#000000';
  if (!isRecord(value)) return undefined;
  const parts = [value.r ?? 0, value.g ?? 0, value.b ?? 0].map((part) => (typeof part === 'string' && /^\d{1,3}$/.test(part) ? Number(part) : part));
  if (!parts.every((part) => typeof part === 'number' && Number.isInteger(part) && part >= 0 && part <= 255)) return undefined;
  return `#${(parts as number[]).map((part) => part.toString(16).padStart(2, '0')).join('')}`;
}

/** The codes and links of the Mini Program, behind the cloud calls and in the user's hand. */
export class Codes {
  constructor(
    private readonly state: WeChatState,
    private readonly now: () => number,
    private readonly app: MiniProgramSpec,
  ) {}

  private isPage(path: string): boolean {
    return !this.app.pages || this.app.pages.includes(path);
  }

  /**
   * `wxacode.getUnlimited` (§E.1), keys snake_case as the SDK sends them: `{scene, page?,
   * check_path?, env_version?, width?, auto_color?, line_color?, is_hyaline?}`. Checks in order:
   * 40169 scene (required, 1–32 characters of the allowed set), 41030 page (no leading `/`, no
   * query, a page of app.json unless `check_path` is false), 40097 env_version, width (280–1280)
   * or line_color. Success answers a PNG QR code, `width` px square, of the code's URL (CODE_URL):
   * wx-server-sdk gives the function `{contentType: 'image/png', buffer}`.
   */
  async getUnlimited(request: Json): Promise<WeChatAnswer> {
    const { scene, page = '', check_path: checkPath = true, env_version: envVersion = 'release', width = WIDTH.default, line_color: line, is_hyaline: hyaline } = request;
    if (typeof scene !== 'string' || !SCENE_TEXT.test(scene)) return { json: wxError(40169, 'invalid length for scene, or the data is not json string') };
    if (typeof page !== 'string' || (page !== '' && (page.length > MAX_PAGE_LENGTH || !PAGE_ROUTE.test(page) || (checkPath !== false && !this.isPage(page))))) {
      return { json: wxError(41030, 'invalid page: give a page of the released Mini Program (app.json), without a leading / or a query') };
    }
    if (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion)) return { json: INVALID_ARGS('env_version must be release, trial or develop') };
    if (typeof width !== 'number' || !(width >= WIDTH.min && width <= WIDTH.max)) return { json: INVALID_ARGS(`width must be ${WIDTH.min} to ${WIDTH.max} px`) };
    const dark = lineColor(line);
    if (dark === undefined) return { json: INVALID_ARGS('line_color must be {r, g, b}, each 0 to 255') };
    const text = codeText({ appid: this.app.appid, page, scene, envVersion });
    const body = await toBuffer(text, { type: 'png', width: Math.floor(width), margin: 4, color: { dark, light: hyaline === true ? '#ffffff00' : '#ffffff' } });
    return { contentType: 'image/png', body };
  }

  /**
   * `urlscheme.generate` (§E.2): `{jump_wxa?: {path?, query?, env_version?}, expire_type?,
   * expire_time? | expire_interval?}` → `{errcode: 0, errmsg: 'ok', openlink:
   * 'weixin://dl/business/?t=TICKET'}`.
   */
  generateScheme(request: Json): Json {
    const { jump_wxa: target = {} } = request;
    if (!isRecord(target)) return INVALID_ARGS('jump_wxa must be an object {path, query, env_version}');
    const made = this.generate('scheme', target, request);
    return 'ticket' in made ? { errcode: 0, errmsg: 'ok', openlink: `${SCHEME_PREFIX}?t=${made.ticket}` } : made;
  }

  /** `urllink.generate` (§E.3): `{path?, query?, env_version?, expire_type?, expire_time? | expire_interval?, cloud_base?}` → `{errcode: 0, errmsg: 'ok', url_link: 'https://wxaurl.cn/TICKET'}`. */
  generateLink(request: Json): Json {
    const made = this.generate('link', request, request);
    return 'ticket' in made ? { errcode: 0, errmsg: 'ok', url_link: `https://wxaurl.cn/${made.ticket}` } : made;
  }

  /**
   * What both generators share. Checks in order: 40165 path (a page of app.json, a leading `/`
   * allowed, no query; none is the home page), 40212 query, 40097 env_version or expire_type, 85401
   * the expiry. Expiry: `expire_type` 0 with `expire_time` (unix seconds, a minute to a year away)
   * or 1 with `expire_interval` (whole days, 1 to 365); without expire_type, whichever of the two
   * is given; neither, 30 days. Past 30 days WeChat gives 30 days (§E.2), and so does this.
   */
  private generate(kind: LinkKind, target: Json, expiry: Json): LinkRecord | Json {
    const { path = '', query = '', env_version: envVersion = 'release' } = target;
    const route = typeof path === 'string' ? path.replace(/^\//, '') : undefined;
    if (route === undefined || (route !== '' && (!PAGE_ROUTE.test(route) || !this.isPage(route)))) return wxError(40165, 'invalid weapp pagepath');
    if (typeof query !== 'string' || !LINK_QUERY.test(query)) return wxError(40212, 'invalid query');
    if (typeof envVersion !== 'string' || !ENV_VERSIONS.has(envVersion)) return INVALID_ARGS('env_version must be release, trial or develop');
    const now = this.now();
    const expiresAt = this.expiry(expiry, now);
    if (typeof expiresAt !== 'number') return expiresAt;

    let ticket = newTicket();
    while (this.state.link(ticket)) ticket = newTicket();
    const record: LinkRecord = { ticket, kind, appid: this.app.appid, path: route, query, envVersion, createdAt: now, expiresAt };
    this.state.addLink(record, now - FORGET_EXPIRED_AFTER_MS);
    return record;
  }

  private expiry(request: Json, now: number): number | Json {
    const { expire_type: given, expire_time: time, expire_interval: interval } = request;
    const type = given ?? (time !== undefined ? 0 : interval !== undefined ? 1 : undefined);
    const longest = now + MAX_LINK_DAYS * DAY_MS;
    if (type === undefined) return longest;
    const tooFar = wxError(85401, 'time limit between 1min and 1year');
    if (type === 0) {
      if (typeof time !== 'number' || !Number.isFinite(time)) return tooFar;
      const at = time * 1000;
      if (at < now + MINUTE_MS || at > now + MAX_EXPIRY_MS) return tooFar;
      return Math.min(at, longest);
    }
    if (type === 1) {
      if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 1 || interval * DAY_MS > MAX_EXPIRY_MS) return tooFar;
      return now + Math.min(interval, MAX_LINK_DAYS) * DAY_MS;
    }
    return INVALID_ARGS('expire_type must be 0 (expire_time) or 1 (expire_interval)');
  }
}
