/**
 * `admin` through HTTP access: `POST <adminUrl>` with `Authorization: Bearer <token>` and the
 * action's JSON, as README's `admin` section says. A refusal is `{error: {code, message, field?}}`
 * with a 4xx status; it becomes an AdminError, so that the page can tell a wrong token
 * (NOT_OPERATOR) from a failure. `admin` not reached is the page's own code, `NETWORK`; an answer
 * that is not JSON is `UPSTREAM`. The page says each in its words (failure.ts), the message being
 * the detail.
 */
export class AdminError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AdminError';
  }

  /**
   * The token is of no use: wrong or expired (the caller is not an operator, or a gateway answered
   * 401 or 403), refused as a header (431, too large), or not sendable as a header at all.
   */
  get signedOut(): boolean {
    return this.code === 'NOT_OPERATOR' || this.code === 'BAD_TOKEN' || [401, 403, 431].includes(this.status);
  }
}

export type Admin = <T>(action: string, input?: Record<string, unknown>) => Promise<T>;

/** Where `admin` answers: `config.json` beside the page (the emulator answers its own; static hosting serves the built one). */
export async function adminUrl(): Promise<string> {
  const response = await fetch('config.json', { cache: 'no-store' });
  const config = (await response.json()) as { adminUrl?: unknown };
  if (typeof config.adminUrl !== 'string') throw new Error('config.json names no adminUrl');
  return new URL(config.adminUrl, location.href).toString();
}

export function adminClient(url: string, token: string): Admin {
  return async <T>(action: string, input: Record<string, unknown> = {}): Promise<T> => {
    let headers: Headers;
    try {
      headers = new Headers({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    } catch (error) {
      throw new AdminError('BAD_TOKEN', `the token cannot be sent as a header: ${(error as Error).message}`, 0);
    }
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ action, ...input }) });
    } catch (error) {
      // the page's own code: its words are the page's (failure.ts), the browser's reason the detail
      throw new AdminError('NETWORK', `${url}: ${(error as Error).message}`, 0);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AdminError('UPSTREAM', text.slice(0, 200), response.status);
    }
    const refusal = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
    if (refusal) throw new AdminError(String(refusal.code), String(refusal.message), response.status, typeof refusal.field === 'string' ? refusal.field : undefined);
    if (!response.ok) throw new AdminError(String((body as { code?: unknown }).code ?? 'UPSTREAM'), String((body as { message?: unknown }).message ?? text), response.status);
    return body as T;
  };
}
