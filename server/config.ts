/**
 * The functions' configuration, read from the environment in this one place (the cloud sets
 * each function's `envVariables` from cloudbaserc.json).
 */
import { DAY_MS, MAX_EVENT_AGE_MS } from '../shared/time';

export interface ServerConfig {
  /** Raw events older than this many days are purged once their day is rolled up. */
  retentionDays: number;
  /**
   * User-days (and their revisions) older than this many days are purged once their day is rolled
   * up; never fewer than `retentionDays`, since a day's events without its user-days could not be
   * rolled up again, nor than the 7 days an event may arrive late and 1, since a purged day's
   * rollup is final. Days before it can no longer be backfilled.
   */
  userDayRetentionDays: number;
  /** Openids that are operators without an `admins` document. */
  operators: ReadonlySet<string>;
  /** Hex SHA-256 digests of the bearer tokens accepted over HTTP access (the web dashboard). */
  adminTokenSha256: readonly string[];
  /**
   * A rollup call (a backfill, a run of the daily timer) starts no step after its first that it
   * expects to end after this many milliseconds (RUKOU_BACKFILL_SECONDS, `shared/rollup-pace.ts`).
   */
  rollupBudgetMs: number;
  /** A send or a retry run starts no new recipient after this many milliseconds (RUKOU_SEND_SECONDS). */
  sendBudgetMs: number;
  /**
   * RUKOU_APPID: the Mini Program's appid, which a plain URL scheme names. Without it, the operator's
   * call's own APPID (a call from the Mini Program carries it; HTTP access does not).
   */
  appid?: string;
  /** RUKOU_SHARE_SECRET: the key share prefixes are derived with (`shared/ids.ts`); never logged or answered. */
  shareSecret?: string;
}

export const DEFAULT_RETENTION_DAYS = 90;
/**
 * The longest retention, of events or user-days: a century, which keeps everything Rukou has seen.
 * A longer one is read as this, not refused: a cutoff a hundred million days back is no day a
 * `Date` holds, and the operator who asked for it meant to keep more, never to purge.
 */
export const MAX_RETENTION_DAYS = 36_500;
/** Half a year of user-days: a cohort's day-90 retention and a reactivation after 30 idle days stay answerable. */
export const DEFAULT_USER_DAY_RETENTION_DAYS = 180;
/** 60 s timeout − 20 s for a step that takes longer than the slowest before it said, and the call's last writes − margin. */
export const DEFAULT_BACKFILL_SECONDS = 30;
/** 60 s timeout − a chunk of 50 recipients at WeChat (a few seconds) − margin. */
export const DEFAULT_SEND_SECONDS = 40;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    // an unrendered `{{env.X}}` placeholder from cloudbaserc.json must never count as a value
    .filter((item) => item !== '' && !item.includes('{{'));

export function serverConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // whole days as the deploy checks them (scripts/deploy/environment.js): digits, spaces around
  const days = (name: string, fallback: number): number => {
    const raw = (env[name] ?? '').trim();
    const value = /^\d+$/.test(raw) ? Number(raw) : 0;
    return value > 0 ? Math.min(value, MAX_RETENTION_DAYS) : fallback;
  };
  const retentionDays = days('RUKOU_RETENTION_DAYS', DEFAULT_RETENTION_DAYS);
  // an unset `{{env.X}}` renders as "": only whole seconds count, anything else is the default
  const backfillRaw = (env.RUKOU_BACKFILL_SECONDS ?? '').trim();
  const backfill = /^\d+$/.test(backfillRaw) ? Number(backfillRaw) : DEFAULT_BACKFILL_SECONDS;
  const sendRaw = (env.RUKOU_SEND_SECONDS ?? '').trim();
  const sendSeconds = /^\d+$/.test(sendRaw) ? Number(sendRaw) : DEFAULT_SEND_SECONDS;
  const shareSecret = (env.RUKOU_SHARE_SECRET ?? '').trim();
  const appid = (env.RUKOU_APPID ?? '').trim();
  return {
    ...(appid === '' || appid.includes('{{') ? {} : { appid }),
    ...(shareSecret === '' || shareSecret.includes('{{') ? {} : { shareSecret }),
    rollupBudgetMs: backfill * 1000,
    sendBudgetMs: sendSeconds * 1000,
    retentionDays,
    userDayRetentionDays: Math.max(retentionDays, MAX_EVENT_AGE_MS / DAY_MS + 1, days('RUKOU_USER_DAY_RETENTION_DAYS', DEFAULT_USER_DAY_RETENTION_DAYS)),
    operators: new Set(list(env.RUKOU_OPERATORS)),
    adminTokenSha256: list(env.RUKOU_ADMIN_TOKEN_SHA256).map((hash) => hash.toLowerCase()).filter((hash) => /^[0-9a-f]{64}$/.test(hash)),
  };
}
