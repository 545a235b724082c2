import cloud from 'wx-server-sdk';
import { IdentityError } from '../shared/errors';

let initialised = false;

/** The wx-server-sdk, initialised once per warm container for the environment the function runs in. */
export function getCloud(): typeof cloud {
  if (!initialised) {
    cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
    initialised = true;
  }
  return cloud;
}

export interface Caller {
  openid: string;
  appid: string;
  unionid?: string;
  source: string;
}

/** Who is calling, as WeChat says: the only identity Rukou trusts. */
export function caller(): Partial<Caller> {
  const context = getCloud().getWXContext();
  const text = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));
  return { openid: text(context.OPENID), appid: text(context.APPID), unionid: text(context.UNIONID), source: text(context.SOURCE) };
}

/** The caller, who must be a WeChat user (a Mini Program call carries an OPENID). */
export function userCaller(): Caller {
  const who = caller();
  if (!who.openid) throw new IdentityError();
  return { openid: who.openid, appid: who.appid ?? '', unionid: who.unionid, source: who.source ?? '' };
}
