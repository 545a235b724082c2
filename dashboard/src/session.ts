/**
 * The operator's token as this tab keeps it (sessionStorage: gone when the tab closes), and what
 * makes a typed or pasted token one that `admin` could accept at all.
 */
import type { Text } from './i18n';

const KEY = 'rukou.token';
/** Far longer than any token worth typing (a 32-byte secret is 43 to 64 characters), far shorter than a header a gateway refuses (431). */
export const MAX_TOKEN_LENGTH = 1024;
/** Whitespace and the invisible characters a copy often carries with it (zero-width spaces and joiners, a byte-order mark). */
const EDGES = /^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$/g;

/**
 * A token as typed, trimmed of whitespace and zero-width characters at its ends, or why it cannot
 * be one: `admin` reads `Authorization: Bearer <token>` with a token of visible ASCII (no spaces;
 * a header value holds no other character a browser sends as typed, and `fetch` refuses to send
 * anything beyond Latin-1).
 */
export function cleanToken(typed: string): { token: string } | { problem: Text } {
  const token = typed.replace(EDGES, '');
  if (token === '') return { problem: { zh: '请输入令牌。', en: 'Enter the token.' } };
  if (token.length > MAX_TOKEN_LENGTH) return { problem: { zh: `令牌太长（${token.length} 个字符，最多 ${MAX_TOKEN_LENGTH}）：请只粘贴令牌本身。`, en: `The token is too long (${token.length} characters, at most ${MAX_TOKEN_LENGTH}): paste the token alone.` } };
  if (!/^[\x21-\x7e]+$/.test(token)) return { problem: { zh: '令牌只能由英文字母、数字和符号组成（不含空格、中文或不可见字符）：请重新复制令牌本身。', en: 'A token is ASCII letters, digits and symbols only (no spaces, Chinese or invisible characters): copy the token alone again.' } };
  return { token };
}

export const storedToken = (): string | null => sessionStorage.getItem(KEY);
export const keepToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);
