/**
 * The scene catalog: every documented WeChat scene value (场景值) with its names, the category and
 * bucket operators read in the rollups, its status and WeChat's analytics access-source id. The
 * facts live in `scene-values.json` (copied from the research table, see its README twin, with two
 * changes: 1043's category (the categories, below) and 1089's Chinese name closed with the `）` WeChat's page leaves
 * open, a typo the research table keeps verbatim as note n1089 says), which the build writes into `dist/scene-catalog.ts` as three tables of bare values (see
 * `scripts/build.js`): classes, names, and the rest; this module only gives them types and table
 * lookups, each reading only the tables it needs (`classifyScene` the classes, `sceneNames` the
 * names), so that a function's bundle carries only those.
 *
 * @example
 * classifyScene(1047) // { scene: 1047, category: 'QR code', bucket: 'offline-qr', known: true, … }
 * classifyScene(4242) // { scene: 4242, category: 'Unknown', bucket: 'in-wechat', known: false }
 */
import { CLASSES, DETAILS, NAMES } from '../dist/scene-catalog';
import type { Bucket } from './model';

/** The three buckets every entry falls into: the rollups' top-level keys. */
export const BUCKETS = ['offline-qr', 'in-wechat', 'external'] as const satisfies readonly Bucket[];

/**
 * The categories, in the seed's order (its ten, then the six added for scenes it does not name,
 * then Official Account template messages: issue 10 keeps their entries apart from the Official
 * Account's menus and articles, since their sends are an operator's, like subscription messages).
 */
export const CATEGORIES = [
  'Share',
  'Quick entry',
  'Official Account',
  'Templated messages',
  'Coupon cards',
  'Search',
  'Redirects',
  'WeChat Pay',
  'LBS',
  'Other',
  'QR code',
  'Ads',
  'Channels',
  'WeCom',
  'External app/web',
  'Developer/testing',
  'Official Account template messages',
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Cards and forwarded chat items: the only entries through which a share id is a share's open. */
export const CARD_CATEGORY: Category = 'Share';
/** The entries a user makes by themselves (recent lists, favourites, the floating window, a home-screen icon …): re-opens. */
export const DIRECT_CATEGORY: Category = 'Quick entry';

/** WeChat adds scenes faster than any list: an id we do not know is kept under this category. */
export const UNKNOWN_CATEGORY = 'Unknown';
export const UNKNOWN_BUCKET: Bucket = 'in-wechat';

export type SceneStatus = 'current' | 'deprecated';

export interface SceneInfo {
  scene: number;
  nameZh: string;
  nameEn: string;
  status: SceneStatus;
  /** The documented version or inference note behind the status, when there is one. */
  statusNote?: string;
  category: Category;
  bucket: Bucket;
  /** WeChat's datacube access-source id (getVisitDistribution), when the mapping is known. */
  accessSource?: number;
}

/** What an entry is classified as: a catalog row, or `Unknown` for an id no list prints. */
export interface SceneClass {
  scene: number;
  category: Category | typeof UNKNOWN_CATEGORY;
  bucket: Bucket;
  known: boolean;
}

function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

function isBucket(value: string): value is Bucket {
  return (BUCKETS as readonly string[]).includes(value);
}

/** The category and bucket of every catalogued scene: all that classifying an entry reads. */
const CLASS_BY_ID: ReadonlyMap<number, { category: Category; bucket: Bucket }> = new Map(
  Object.entries(CLASSES).flatMap(([bucket, categories]) =>
    Object.entries(categories).flatMap(([category, scenes]) => {
      // A typo in the JSON must fail loudly at load, not silently create a rollup key nobody reads.
      if (!isCategory(category)) throw new Error(`scene ${scenes[0]}: unknown category "${category}"`);
      if (!isBucket(bucket)) throw new Error(`scene ${scenes[0]}: unknown bucket "${bucket}"`);
      return scenes.map((scene) => [scene, { category, bucket }] as const);
    }),
  ),
);

// Pure (`@__PURE__`): a function that never asks for a scene's names (`track`) leaves them out of its bundle.
/** The Chinese and English names of every catalogued scene: all that naming a scene reads. */
const NAME_BY_ID: ReadonlyMap<number, { zh: string; en: string }> = /* @__PURE__ */ namesById();

function namesById(): ReadonlyMap<number, { zh: string; en: string }> {
  return new Map(NAMES.map(([scene, zh, en]) => [scene, { zh, en }]));
}

/** A catalogued scene's Chinese and English names, or undefined when no official list prints it. */
export function sceneNames(scene: number): { zh: string; en: string } | undefined {
  return NAME_BY_ID.get(scene);
}

/** "deprecated (from WeChat client 6.6.1)" → status deprecated, note "from WeChat client 6.6.1". */
function readStatus(text: string): { status: SceneStatus; statusNote?: string } {
  const status: SceneStatus = text.startsWith('deprecated') ? 'deprecated' : 'current';
  const note = /\((.*)\)\s*$/.exec(text)?.[1] ?? (text.endsWith('?') ? 'inferred' : undefined);
  return note === undefined ? { status } : { status, statusNote: note };
}

function toScene([scene, status, accessSource]: (typeof DETAILS)[number]): SceneInfo {
  const found = CLASS_BY_ID.get(scene);
  if (!found) throw new Error(`scene ${scene}: in no category`);
  const names = NAME_BY_ID.get(scene);
  if (!names) throw new Error(`scene ${scene}: has no names`);
  const info: SceneInfo = { scene, nameZh: names.zh, nameEn: names.en, ...readStatus(status), category: found.category, bucket: found.bucket };
  if (accessSource !== undefined) info.accessSource = accessSource;
  return info;
}

function catalog(): SceneInfo[] {
  return DETAILS.map(toScene).sort((a, b) => a.scene - b.scene);
}

function byId(scenes: readonly SceneInfo[]): ReadonlyMap<number, SceneInfo> {
  return new Map(scenes.map((info) => [info.scene, info]));
}

// Pure (`@__PURE__`): a function that never asks for a scene's names (`track`) leaves them out of its bundle.
/** Every documented scene, in id order. */
export const SCENES: readonly SceneInfo[] = /* @__PURE__ */ catalog();

const BY_ID = /* @__PURE__ */ byId(SCENES);

/** The catalog row for a scene id, or undefined when no official list prints it. */
export function sceneInfo(scene: number): SceneInfo | undefined {
  return BY_ID.get(scene);
}

/** Category and bucket of any scene id; never throws, never rejects an id WeChat may add later. */
export function classifyScene(scene: number): SceneClass {
  const found = CLASS_BY_ID.get(scene);
  return found ? { scene, ...found, known: true } : { scene, category: UNKNOWN_CATEGORY, bucket: UNKNOWN_BUCKET, known: false };
}

/** Scenes that have their own meaning in the attribution rules. */
export const SCENE = {
  SINGLE_CHAT_CARD: 1007,
  GROUP_CHAT_CARD: 1008,
  QR_SCAN: 1011,
  QR_LONG_PRESS: 1012,
  QR_ALBUM: 1013,
  SHARE_TICKET_CARD: 1044,
  MOMENTS_SINGLE_PAGE: 1154,
} as const;
