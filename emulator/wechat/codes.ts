/**
 * The simulated WeChat's codes and links (README, Platform sources §E): wxacode.getUnlimited,
 * urlscheme.generate and urllink.generate behind the cloud calls, and what a user's phone does
 * with what they made: scans a code, opens a scheme or a link, or a plain scheme that no API made.
 * Codes and links are the project's Mini Program's: its appid, its pages (app.json). The errmsgs
 * are WeChat's where its documentation or its developers' reports show one (40169, 41030, 40165,
 * 40212, 85401), the emulator's otherwise; README, "The simulated WeChat's codes and links".
 */
import { randomInt } from 'node:crypto';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { toBuffer } from 'qrcode';
import { BackendError } from '../errors';
import type { MiniProgramSpec } from '../project';
import { enterTarget, wxError, type Json } from './messages';
import type { WeChatAnswer } from './operations';
import type { LinkKind, LinkRecord, WeChatState } from './state';

/** The enter scenes (§E.1: a code scanned, long-pressed, picked from the album; §E.2 a scheme and a plain scheme; §E.3 a link). */
export const CODE_SCENES = { scan: 1047, longPress: 1048, album: 1049 } as const;
export const LINK_SCENES = { scheme: 1065, link: 1194, plainScheme: 1286 } as const;
export type ScanHow = keyof typeof CODE_SCENES;

/** What the Mini Program launches with when a user comes through a code or a link (§C.1 enter options), and the version it opens. */
export interface EnterOptions {
  scene: number;
  path: string;
  query: Record<string, string>;
  envVersion: string;
}

/** The refusals of the user's routes, each with its stable code (README). */
export type CodeRefusal = 'NOT_A_CODE' | 'NOT_A_LINK' | 'LINK_UNKNOWN' | 'LINK_EXPIRED' | 'LINK_INVALID';
const refused = (code: CodeRefusal, message: string): BackendError => new BackendError(code, message);

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
const LINK_HOSTS = new Set(['wxaurl.cn', 'wxmpurl.cn']);
const TICKET = /^[A-Za-z0-9]{1,64}$/;
const TICKET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Tickets as WeChat's look in its documentation (`XTSkBZlzqmn`): 11 letters and digits. */
const newTicket = (): string => Array.from({ length: 11 }, () => TICKET_ALPHABET[randomInt(TICKET_ALPHABET.length)]).join('');

/** The largest image `scan` decodes, per side: a photo of a poster is smaller, and a bigger one only costs memory. */
const MAX_IMAGE_SIDE = 4096;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `line_color` (§E.1: `{r, g, b}`, decimal numbers or their text, 0–255) as the hex colour the QR library draws with. */
function lineColor(value: unknown): string | undefined {
  if (value === undefined) return '#000000';
  if (!isRecord(value)) return undefined;
  const parts = [value.r ?? 0, value.g ?? 0, value.b ?? 0].map((part) => (typeof part === 'string' && /^\d{1,3}$/.test(part) ? Number(part) : part));
  if (!parts.every((part) => typeof part === 'number' && Number.isInteger(part) && part >= 0 && part <= 255)) return undefined;
  return `#${(parts as number[]).map((part) => part.toString(16).padStart(2, '0')).join('')}`;
}

/** The RGBA pixels a camera would see of an image: its transparency over white paper, as a transparent code is printed. */
function onWhite(image: PNG): Uint8ClampedArray {
  const pixels = new Uint8ClampedArray(image.data);
  for (let i = 0; i < pixels.length; i += 4) {
    const alpha = pixels[i + 3] / 255;
    for (let channel = i; channel < i + 3; channel++) pixels[channel] = pixels[channel] * alpha + 255 * (1 - alpha);
    pixels[i + 3] = 255;
  }
  return pixels;
}

/** The codes and links of the Mini Program, behind the cloud calls and in the user's hand. */
export class Codes {
  constructor(
    private readonly state: WeChatState,
    private readonly now: () => number,
    private readonly app: MiniProgramSpec,
  ) {}

  /** The Mini Program's home page: its first page in app.json ('' when the project has none). */
  private get home(): string {
    return this.app.pages?.[0] ?? '';
  }

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
   * is given; neither, 30 days. Past 30 days WeChat gives 30 days (its announcement of the
   * 30-day rule, cited in the README), and so does this.
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

  /**
   * A user scans a code (`how`: the camera, 1047; a long press on it, 1048; a picture from the
   * album, 1049): the PNG is decoded as a phone would (jsQR), and the Mini Program launches on the
   * code's page (none: the home page) with `query.scene` URL-encoded (§E.1).
   *
   * @throws BackendError NOT_A_CODE: not a PNG, no QR code in it, or a QR code that is not one of this Mini Program
   */
  scan(png: Buffer, how: ScanHow): EnterOptions {
    if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw refused('NOT_A_CODE', 'image is not a PNG image');
    // IHDR is the first chunk: the size is known before anything is decoded
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) throw refused('NOT_A_CODE', `image is ${width}×${height} px; the simulated phone reads images up to ${MAX_IMAGE_SIDE} px a side`);
    let image: PNG;
    try {
      image = PNG.sync.read(png);
    } catch (error) {
      throw refused('NOT_A_CODE', `image is not a PNG image that can be read: ${(error as Error).message}`);
    }
    const found = jsQR(onWhite(image), image.width, image.height);
    if (!found) throw refused('NOT_A_CODE', 'no QR code was found in the image');
    const code = this.readCode(found.data);
    if (!code) throw refused('NOT_A_CODE', 'the QR code in the image is not a Mini Program code of this Mini Program (wxacode.getUnlimited makes them)');
    return { scene: CODE_SCENES[how], path: code.page || this.home, query: { scene: encodeURIComponent(code.scene) }, envVersion: code.envVersion };
  }

  /** A code's text back into what made it, or undefined when it is no code of this Mini Program. */
  private readCode(text: string): { page: string; scene: string; envVersion: string } | undefined {
    if (!text.startsWith(`${CODE_URL}?`)) return undefined;
    const params = new URLSearchParams(text.slice(CODE_URL.length + 1));
    const [appid, page, scene, envVersion] = ['appid', 'page', 'scene', 'env_version'].map((key) => params.get(key));
    if (appid !== this.app.appid || page === null || scene === null || !SCENE_TEXT.test(scene) || envVersion === null || !ENV_VERSIONS.has(envVersion)) return undefined;
    if (page !== '' && !PAGE_ROUTE.test(page)) return undefined;
    return { page, scene, envVersion };
  }

  /**
   * A user opens a scheme or a link: a generated scheme (1065) or link (1194) launches on its page
   * with its query parsed into key/values (§E.3), and the pairs of a `cq` appended to it (§E.2's
   * custom parameter); a plain scheme `weixin://dl/business/?appid=&path=&query=&env_version=`
   * (1286) on its page, which must be this Mini Program's.
   *
   * @throws BackendError NOT_A_LINK, LINK_UNKNOWN, LINK_EXPIRED, LINK_INVALID (README)
   */
  open(url: string): EnterOptions {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refused('NOT_A_LINK', 'url is not a URL: give a weixin://dl/business/ scheme or an https://wxaurl.cn/ link');
    }
    const params = parsed.searchParams;
    if (`${parsed.protocol}//${parsed.host}${parsed.pathname}` === SCHEME_PREFIX) {
      const ticket = params.get('t');
      if (ticket !== null) return this.openGenerated('scheme', ticket, params.get('cq'));
      return this.openPlain(params);
    }
    if (parsed.protocol === 'https:' && LINK_HOSTS.has(parsed.host)) return this.openGenerated('link', parsed.pathname.slice(1), params.get('cq'));
    throw refused('NOT_A_LINK', 'url is neither a scheme (weixin://dl/business/?t=… or ?appid=…) nor a link (https://wxaurl.cn/…) that opens a Mini Program');
  }

  private openGenerated(kind: LinkKind, ticket: string, cq: string | null): EnterOptions {
    const link = TICKET.test(ticket) ? this.state.link(ticket) : undefined;
    const what = kind === 'scheme' ? 'scheme' : 'link';
    if (!link || link.kind !== kind) throw refused('LINK_UNKNOWN', `WeChat generated no ${what} ${ticket} (or forgot it, ${FORGET_EXPIRED_AFTER_MS / DAY_MS} days after it expired)`);
    if (this.now() >= link.expiresAt) throw refused('LINK_EXPIRED', `the ${what} ${ticket} expired at ${new Date(link.expiresAt).toISOString()}: it opens nothing`);
    const target = enterTarget(`${link.path || this.home}?${link.query}`);
    const custom = cq === null ? {} : enterTarget(`?${cq}`).query;
    return { scene: kind === 'scheme' ? LINK_SCENES.scheme : LINK_SCENES.link, path: target.path, query: { ...custom, ...target.query }, envVersion: link.envVersion };
  }

  private openPlain(params: URLSearchParams): EnterOptions {
    const appid = params.get('appid');
    if (appid === null) throw refused('NOT_A_LINK', 'a scheme needs t (generated) or appid (plain): weixin://dl/business/?appid=…&path=…&query=…');
    if (appid !== this.app.appid) throw refused('LINK_INVALID', `appid ${appid} is not this Mini Program's (${this.app.appid})`);
    const path = (params.get('path') ?? '').replace(/^\//, '');
    if (path !== '' && (!PAGE_ROUTE.test(path) || !this.isPage(path))) throw refused('LINK_INVALID', `path ${path} is not a page of the Mini Program (a plain scheme opens only pages declared for it)`);
    const query = params.get('query') ?? '';
    if (!LINK_QUERY.test(query)) throw refused('LINK_INVALID', 'query must be at most 1,024 characters of letters, digits and !#$&\'()*+,/:;=?@-._~% (URL-encoded in the scheme)');
    const envVersion = params.get('env_version') ?? 'release';
    if (!ENV_VERSIONS.has(envVersion)) throw refused('LINK_INVALID', 'env_version must be release, trial or develop');
    const target = enterTarget(`${path || this.home}?${query}`);
    return { scene: LINK_SCENES.plainScheme, path: target.path, query: target.query, envVersion };
  }
}
