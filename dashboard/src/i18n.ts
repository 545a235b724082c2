/**
 * The dashboard's words in Chinese (the default: operators of Mini Programs read Chinese) and
 * English. Every label goes through `t`; a section's own words sit beside it as `Text`.
 */
export type Lang = 'zh' | 'en';
export interface Text {
  zh: string;
  en: string;
}

const WORDS = {
  title: { zh: 'Rukou 入口 · 运营看板', en: 'Rukou · operator dashboard' },
  signInTitle: { zh: '登录运营看板', en: 'Sign in to the dashboard' },
  signInHint: { zh: '输入运营者令牌（RUKOU_ADMIN_TOKEN_SHA256 所对应的令牌）。令牌只保存在本标签页中，关闭即清除。', en: 'Enter the operator token (the one whose SHA-256 is in RUKOU_ADMIN_TOKEN_SHA256). It is kept in this tab only, and gone when the tab closes.' },
  token: { zh: '令牌', en: 'Token' },
  signIn: { zh: '登录', en: 'Sign in' },
  signOut: { zh: '退出', en: 'Sign out' },
  badToken: { zh: '令牌错误或已过期，请重新输入。', en: 'The token is wrong or has expired: enter it again.' },
  language: { zh: 'English', en: '中文' },
  from: { zh: '开始', en: 'From' },
  to: { zh: '结束', en: 'To' },
  apply: { zh: '应用', en: 'Apply' },
  rangeIncomplete: { zh: '请选择开始和结束日期。', en: 'Pick a start and an end day.' },
  rangeBackwards: { zh: '结束日期早于开始日期。', en: 'The end day is before the start day.' },
  rangeTooLong: { zh: '范围最长 366 天。', en: 'A range is at most 366 days.' },
  compare: { zh: '与上一周期对比', en: 'Compare with the previous period' },
  previousPeriod: { zh: '上一周期', en: 'previous period' },
  last7: { zh: '近 7 天', en: 'Last 7 days' },
  last14: { zh: '近 14 天', en: 'Last 14 days' },
  last30: { zh: '近 30 天', en: 'Last 30 days' },
  last45: { zh: '近 45 天', en: 'Last 45 days' },
  last90: { zh: '近 90 天', en: 'Last 90 days' },
  loading: { zh: '加载中…', en: 'Loading…' },
  empty: { zh: '这段时间没有数据。', en: 'Nothing in this range.' },
  noData: { zh: '没有数据。', en: 'No data.' },
  error: { zh: '加载失败：', en: 'Could not load: ' },
  retry: { zh: '重试', en: 'Retry' },
  csv: { zh: '下载 CSV', en: 'Download CSV' },
  incomplete: { zh: '（不完整）', en: ' (incomplete)' },
  entries: { zh: '进入次数', en: 'Entries' },
  users: { zh: '用户', en: 'Users' },
  userDays: { zh: '用户（按天累计）', en: 'User-days' },
  newUsers: { zh: '新用户', en: 'New users' },
  sessions: { zh: '会话', en: 'Sessions' },
  share: { zh: '占比', en: 'Share' },
  change: { zh: '变化', en: 'Change' },
  asOf: { zh: '截至', en: 'as of' },
  refreshes: { zh: '（每分钟自动刷新）', en: ' (refreshed every minute)' },
} satisfies Record<string, Text>;

export type Word = keyof typeof WORDS;

const STORED = 'rukou.lang';
let lang: Lang = localStorageLang();

function localStorageLang(): Lang {
  try {
    return localStorage.getItem(STORED) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export const currentLang = (): Lang => lang;

export function setLang(next: Lang): void {
  lang = next;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  try {
    localStorage.setItem(STORED, next);
  } catch {
    // a browser that keeps nothing keeps Chinese, the default
  }
}

/** A word of the dashboard, or a section's own text, in the current language. */
export function t(word: Word | Text): string {
  return typeof word === 'string' ? WORDS[word][lang] : word[lang];
}

/** Numbers as the current language writes them. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A ratio as a percentage to 2 places: exactly the 4 places `admin` rounds a ratio to. To 1 place
 * it was rounded twice, 1/23 = 0.0435 showing as 4.4% where it is 4.3%.
 */
export const percent = (ratio: number): string => `${num(ratio * 100, 2)}%`;

/** What a cut table says beside its CSV button: it shows `shown` rows of `total`, and its CSV `inCsv` (all of them, or the first, as many as `admin` answers). */
export function showing(shown: number, total: number, inCsv: number): string {
  const all = inCsv >= total;
  return t({
    zh: `显示前 ${num(shown)} 行，共 ${num(total)} 行；CSV 含${all ? '全部' : `前 ${num(inCsv)} 行`}`,
    en: `Showing ${num(shown)} of ${num(total)}; the CSV holds ${all ? 'all of them' : `the first ${num(inCsv)}`}`,
  });
}
