/**
 * The backend's keys in the operator's words, in both languages: the catalog's buckets and
 * categories (README, "Buckets" and "Categories"), the first-touch dimensions, the fates of a
 * send and the card rules. A key this page does not know is shown as it is.
 */
import { h, raw } from './dom';
import { t, type Text } from './i18n';

const BUCKETS: Record<string, Text> = {
  'offline-qr': { zh: '线下扫码', en: 'Offline QR codes' },
  'in-wechat': { zh: '微信内', en: 'Inside WeChat' },
  external: { zh: '外部平台', en: 'External platforms' },
};

const CATEGORIES: Record<string, string> = {
  Share: '分享',
  'Quick entry': '快捷入口',
  'Official Account': '公众号',
  'Official Account template messages': '公众号模板消息',
  'Templated messages': '订阅消息',
  'Coupon cards': '卡券',
  Search: '搜索',
  Redirects: '跳转',
  'WeChat Pay': '微信支付',
  LBS: '附近',
  Other: '其他',
  'QR code': '二维码',
  Ads: '广告',
  Channels: '视频号',
  WeCom: '企业微信',
  'External app/web': '外部应用与网页',
  'Developer/testing': '开发与测试',
  Unknown: '未知',
};

export const bucketName = (key: string): string => (BUCKETS[key] ? t(BUCKETS[key]) : key);
export const categoryName = (key: string): string => t({ zh: CATEGORIES[key] ?? key, en: key });

/** The first-touch dimensions retention and goals count entries under (README, "entry keys"), with their names. */
const DIMENSION_NAMES = {
  bucket: { zh: '入口大类', en: 'Bucket' },
  category: { zh: '入口类别', en: 'Category' },
  scene: { zh: '场景值', en: 'Scene' },
  channel: { zh: '渠道', en: 'Channel' },
  page: { zh: '页面', en: 'Page' },
  share: { zh: '分享', en: 'Share' },
  group: { zh: '群聊', en: 'Group' },
  message: { zh: '订阅消息', en: 'Subscription message' },
  card: { zh: '客服卡片', en: 'Service card' },
} satisfies Record<string, Text>;
export type Dimension = keyof typeof DIMENSION_NAMES;
export const DIMENSIONS = Object.keys(DIMENSION_NAMES) as Dimension[];
export const dimensionName = (dimension: Dimension): string => t(DIMENSION_NAMES[dimension]);

/** What became of a send (README, `messages` and the cards of `callback`). */
const FATES: Record<string, Text> = {
  sent: { zh: '已发送', en: 'sent' },
  'no-quota': { zh: '无可用次数', en: 'no quota' },
  refused: { zh: '被微信拒绝', en: 'refused' },
  invalid: { zh: '无效', en: 'invalid' },
  retrying: { zh: '重试中', en: 'retrying' },
  failed: { zh: '失败', en: 'failed' },
  sending: { zh: '发送中', en: 'sending' },
};
export const fateName = (fate: string): string => (FATES[fate] ? t(FATES[fate]) : fate);

/** Parts of a key as the page shows it: the page's words, then the data shown as it is (an id, the operator's text, a catalog's name); either may be empty. */
export type KeyParts = [words: string, data: string];

/** A card rule as `callback` names it ("keyword:<keyword>", "sessionFrom:<session-from>" or "default"): its kind in the page's words, and the operator's own text. */
export function ruleParts(rule: string): KeyParts {
  const colon = rule.indexOf(':');
  const kind = colon < 0 ? rule : rule.slice(0, colon);
  const text = colon < 0 ? '' : rule.slice(colon + 1);
  if (rule === 'default') return [t({ zh: '默认', en: 'default' }), ''];
  if (kind === 'keyword') return [t({ zh: '关键词：', en: 'keyword: ' }), text];
  if (kind === 'sessionFrom') return [t({ zh: '会话来源：', en: 'session from: ' }), text];
  return ['', rule];
}

/** What the page knows beside a key: a scene's names (admin sends them), templates' titles (`admin` `messages`), by template id. */
export interface KeyNames {
  zh?: string;
  en?: string;
  titles?: ReadonlyMap<string, string>;
}

/**
 * A key of a dimension as `goals` credits it (README, "credited"): buckets and categories named,
 * scenes with their names when admin sends them, card rules as `ruleParts` says, a template by its
 * title when the page has it; sharers, groups, channels and pages as they are.
 */
export function keyParts(by: Dimension, key: string, names: KeyNames = {}): KeyParts {
  if (by === 'bucket') return [bucketName(key), ''];
  if (by === 'category') return [categoryName(key), ''];
  if (by === 'card') return ruleParts(key);
  if (by === 'message') return ['', names.titles?.get(key) ?? key];
  const name = t({ zh: names.zh ?? '', en: names.en ?? '' });
  return ['', name ? `${key} ${name}` : key];
}

/**
 * A key of a dimension as retention counts an entry under it (README, "entry keys"): as
 * `keyParts`, but a share is the depth of the card ("1", "2" …) and a group the one key `group`.
 */
export function entryKeyParts(by: Dimension, key: string, names: KeyNames = {}): KeyParts {
  if (by === 'share') return [t({ zh: `第 ${key} 层分享`, en: `share depth ${key}` }), ''];
  if (by === 'group' && key === 'group') return [t({ zh: '来自群聊', en: 'from a group chat' }), ''];
  return keyParts(by, key, names);
}

/** A key's parts as a table's column wants them: its text (the CSV's), and its cell, the data marked as such. */
export const keyText = ([words, data]: KeyParts): string => words + data;
export const keyCell = ([words, data]: KeyParts): HTMLElement => h('span', {}, words, data ? raw(data) : '');
