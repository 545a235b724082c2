/**
 * Ids that nobody else can take.
 *
 * - **Event ids** are made by the client, so two users may send the same one (by chance, or on
 *   purpose to hide or probe someone else's event). A stored event's `_id` is therefore derived
 *   from the caller's openid and the client's id: dedupe happens within the caller's own events,
 *   and nothing another user sends can hide or reveal them.
 * - **Share ids** (`rk_sh`) must be built by the tracker synchronously inside
 *   `onShareAppMessage`, so the server cannot hand out each one. It hands each user a
 *   **share prefix** instead, an HMAC of their openid under a server secret: a share id is that
 *   prefix followed by the tracker's own random part, and `track` records a share id only for
 *   the user whose prefix it carries. Nobody can record an id that was not issued to them, and
 *   an id has one owner forever, whoever sends it first.
 *
 * @example
 * eventDocId('o-ann', 'lx2k3-abcdef')          // 24 characters of [A-Za-z0-9_-], the same every time
 * const prefix = sharePrefix(secret, 'o-ann')  // 12 characters of [A-Za-z0-9_-]
 * issuedWith(prefix, `${prefix}lx2k3abcdef01`)  // true: this id was issued to o-ann
 */
import { createHash, createHmac } from 'node:crypto';

/** Characters of a share prefix: 72 bits, so that two users' prefixes never meet in practice. */
export const SHARE_PREFIX_LENGTH = 12;
/** A secret shorter than this is treated as missing: share ids are then not issued at all. */
export const MIN_SECRET_LENGTH = 16;

/** base64url of SHA-256 over two texts kept apart, 24 characters: an id that is the same for the same pair, and for no other. */
function pairId(first: string, second: string): string {
  return createHash('sha256').update(first).update('\u0000').update(second).digest('base64url').slice(0, 24);
}

/** The stored `_id` of a caller's event: over (openid, client id). */
export const eventDocId = (openid: string, clientId: string): string => pairId(openid, clientId);

/** The `_id` of a user's consent ledger of one template (`subscriptions`). */
export const subscriptionDocId = (openid: string, templateId: string): string => pairId(`subscription:${openid}`, templateId);

/**
 * A message's id (`rk_msg` in its page, and the `_id` of its `messages` record): over the send's
 * idempotency key and the recipient, so that a send called again finds the record it made.
 */
export const messageIdOf = (idempotencyKey: string, openid: string): string => pairId(`message:${idempotencyKey}`, openid);

/**
 * A service card's id (`rk_card` in its pagepath, and the `_id` of its `cards` record): over the
 * user and the push it answers (its dedupe key, shared/push.ts), so that a push WeChat delivers
 * again finds the record its first delivery made and sends no second card.
 */
export const cardIdOf = (openid: string, pushKey: string): string => pairId(`card:${openid}`, pushKey);

/** Whether a configured secret is usable for issuing share prefixes. */
export function usableSecret(secret: string | undefined): secret is string {
  return typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH;
}

/** The share prefix issued to `openid` under `secret` (base64url, so valid inside `rk_sh`). */
export function sharePrefix(secret: string, openid: string): string {
  return createHmac('sha256', secret).update(`rk_sh:${openid}`).digest('base64url').slice(0, SHARE_PREFIX_LENGTH);
}

/** Whether `shareId` was issued under `prefix`: it starts with it and has a part of its own after it. */
export function issuedWith(prefix: string, shareId: string): boolean {
  return shareId.length > prefix.length && shareId.startsWith(prefix);
}
