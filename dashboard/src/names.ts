/** The catalog's bucket and category names (README, "Buckets" and "Categories"), in both languages. */
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

/** The first-touch dimensions retention and goals count entries under (README, "entry keys"). */
export const DIMENSIONS = ['bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** A key of a dimension in the operator's words: buckets and categories named, scenes with their name when admin sends it. */
export function keyName(by: Dimension, key: string, names?: { zh?: string; en?: string }): string {
  if (by === 'bucket') return bucketName(key);
  if (by === 'category') return categoryName(key);
  const name = names && t({ zh: names.zh ?? '', en: names.en ?? '' });
  return name ? `${key} ${name}` : key;
}
