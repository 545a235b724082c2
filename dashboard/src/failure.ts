/**
 * A failure as the page says it: what went wrong in the page's words, from the stable code of
 * the refusal (README, "Errors": `INVALID_INPUT` …, and the page's own `NETWORK`), with the field
 * at fault; then, smaller, the code and the detail as they came (the server's message is English),
 * marked as data.
 */
import { AdminError } from './api';
import { h, raw } from './dom';
import { t, type Text } from './i18n';

const EXPLAINED: Record<string, Text> = {
  INVALID_INPUT: { zh: '输入不符合要求', en: 'the input was refused' },
  NO_IDENTITY: { zh: '没有微信身份', en: 'there is no WeChat identity' },
  NOT_OPERATOR: { zh: '不是运营者', en: 'not an operator' },
  NOT_WECHAT: { zh: '请求并非来自微信', en: 'the call did not come from WeChat' },
  NOT_FOUND: { zh: '要找的内容不存在', en: 'what was asked for does not exist' },
  CONFLICT: { zh: '内容已存在，或已被他人修改', en: 'it exists already, or changed meanwhile' },
  LIMIT_EXCEEDED: { zh: '超出了限制', en: 'a limit was exceeded' },
  UPSTREAM: { zh: '微信或数据库拒绝了请求', en: 'WeChat or the database refused the request' },
  NETWORK: { zh: '无法连接 admin（网络断开，或地址有误）', en: 'admin cannot be reached (the network, or its address)' },
};

/** The lines that say why something could not be loaded; `data-error-code` holds the code (none for a fault of the page itself). */
export function failure(error: unknown): HTMLElement[] {
  if (!(error instanceof AdminError)) {
    return [h('p', { class: 'error', 'data-error-code': '' }, t('error'), t({ zh: '页面出错。', en: 'the page failed.' })), h('p', { class: 'note' }, raw(error instanceof Error ? error.message : String(error)))];
  }
  const explained = EXPLAINED[error.code];
  const field = error.field ? [t({ zh: '（字段 ', en: ' (field ' }), raw(error.field), t({ zh: '）', en: ')' })] : [];
  return [
    h('p', { class: 'error', 'data-error-code': error.code }, t('error'), explained ? t(explained) : raw(error.code), ...field, t({ zh: '。', en: '.' })),
    h('p', { class: 'note', 'data-error-detail': true }, raw(`${error.code}${error.status ? ` ${error.status}` : ''}: ${error.message}`)),
  ];
}
