import { randomBytes } from 'node:crypto';

/** Who a running invocation acts for. */
export interface Invocation {
  functionName: string;
  openid?: string;
  appid?: string;
  unionid?: string;
  /** TCB_SOURCE of the invocation: wx_client, wx_http, timer …, see README. */
  source: string;
  /** For an invocation at its own instant (the gateway's `x-rukou-at`): the clock's offset it runs at, which its requests are served at too. */
  clockOffsetMs?: number;
}

/**
 * Every running invocation gets a token, injected as WX_API_TOKEN the way the cloud runtime
 * does. The SDK sends it back as `wxCloudApiToken` on each call, which lets the emulator tell
 * which function (and which user) is calling: openapi permissions and nested callFunction
 * identity hang on it.
 */
export class InvocationRegistry {
  private readonly running = new Map<string, Invocation>();

  begin(invocation: Invocation): string {
    const token = randomBytes(16).toString('hex');
    this.running.set(token, invocation);
    return token;
  }

  end(token: string): void {
    this.running.delete(token);
  }

  lookup(token: unknown): Invocation | undefined {
    return typeof token === 'string' ? this.running.get(token) : undefined;
  }
}
