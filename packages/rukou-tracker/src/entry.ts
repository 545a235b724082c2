import { API_CATEGORY_LENGTH, APP_ID_LENGTH, CHAT_TYPE_MAX, clip, EVENT_BYTES, EXTRA_DATA_KEYS, PATH_LENGTH, QUERY_KEY_LENGTH, QUERY_KEYS, QUERY_VALUE_LENGTH, SCENE_MAX, type EnterPayload } from './events';
import { cleanText, textOf } from './paths';
import type { CloudIdCallbacks, EnterOptions, TrackerWx } from './host';

/** Scenes of a card opened in a group chat (1008 group card, 1044 card with shareTicket). */
const GROUP_SCENES = [1008, 1044];

/** Enter options with the scene as the integer the contract and the group scenes expect. */
export type Entry = EnterOptions & { scene: number };

/** `value` when it is a whole number from 0 to `max`. */
const wholeUpTo = (value: unknown, max: number): number | undefined => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max ? (value as number) : undefined);

/** The current entry: `wx.getEnterOptionsSync()` is right on hot starts too; the lifecycle options are the fallback. */
export function readEnterOptions(wx: TrackerWx, lifecycle: EnterOptions | undefined): Entry | undefined {
  let current: EnterOptions | undefined;
  try {
    current = (wx.getEnterOptionsSync as () => EnterOptions)();
  } catch {
    // older base libraries (no such API): the lifecycle options say the same for this show
  }
  if (!current?.scene) current = lifecycle;
  // some runtimes give the scene as a string ("1168"): the server takes an integer; one it would
  // refuse (negative, past six digits) is an unknown scene, 0, so that the entry still counts
  return current && { ...current, scene: wholeUpTo(Number(current.scene), SCENE_MAX) || 0 };
}



/** At least the UTF-8 bytes of a text, as the server counts an event's size: 3 for each non-ASCII UTF-16 unit. */
const utf8 = (text: string): number => text.replace(/[^\0-\x7f]/g, '___').length;


/** What an entry's options may weigh: the event's cap less room for its other fields and a group cloudID. */
const OPTIONS_BYTES = EVENT_BYTES - 2560;

/**
 * Only the fields the `track` contract knows, capped to the server's limits: the function
 * rejects unknown fields (`forwardMaterials`, `hostExtraData`) and oversize values, and an entry
 * rejected for size would be an entry lost. Of another app's `extraData` only the keys travel (the
 * server reads nothing else); past the event's byte cap, the longest query values are halved.
 */
export function enterPayload(options: Entry): EnterPayload {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.query || {}).slice(0, QUERY_KEYS)) {
    const clean = cleanText(key);
    if (typeof value === 'string' && clean.length <= QUERY_KEY_LENGTH) query[clean] = textOf(value, QUERY_VALUE_LENGTH)!;
  }
  const { appId, extraData } = options.referrerInfo || {};
  // a field left undefined is no field: JSON, which carries the event, drops it
  const payload: EnterPayload = {
    scene: options.scene,
    path: textOf(String(options.path || ''), PATH_LENGTH)!,
    query,
    shareTicket: textOf(options.shareTicket, 256),
    chatType: wholeUpTo(options.chatType, CHAT_TYPE_MAX),
    apiCategory: textOf(options.apiCategory, API_CATEGORY_LENGTH),
  };
  if (appId || extraData) {
    payload.referrerInfo = {
      appId: textOf(appId, APP_ID_LENGTH),
      extraData: extraData && typeof extraData === 'object' ? Object.fromEntries(Object.keys(extraData).filter((key) => key.length <= QUERY_KEY_LENGTH && cleanText(key) === key).slice(0, EXTRA_DATA_KEYS).map((key) => [key, 0])) : undefined,
    };
  }
  // bounded: what no cut of the query makes fit is sent as it is, and counted if refused
  for (let cuts = 0; cuts < 500 && utf8(JSON.stringify(payload)) > OPTIONS_BYTES; cuts++) {
    const [key, value] = Object.entries(query).sort((a, b) => b[1].length - a[1].length)[0] || [];
    if (value) query[key] = clip(value, value.length >> 1);
    else delete query[key as string];
  }
  return payload;
}

/** `chatType` 3 is a WeChat group, 4 a WeCom interop group (1 and 2 are single chats). */
export const isGroupEntry = (options: Entry): boolean => GROUP_SCENES.includes(options.scene) || Number(options.chatType) > 2;

/**
 * The group's cloudID: `wx.getGroupEnterInfo` first (no shareTicket needed, base library 2.17.3+),
 * `wx.getShareInfo` with the shareTicket where that is all there is. Answers undefined when
 * neither gives one; never rejects.
 */
export function groupCloudId(wx: TrackerWx, { shareTicket }: EnterOptions): Promise<string | undefined> {
  const ask = (api: (callbacks: CloudIdCallbacks) => void): Promise<string | undefined> =>
    new Promise((resolve) => api({ success: (result) => resolve(result.cloudID), fail: () => resolve(undefined) }));
  const viaShareInfo = (): Promise<string | undefined> | undefined =>
    shareTicket ? ask((callbacks) => wx.getShareInfo({ ...callbacks, shareTicket })).catch(() => undefined) : undefined;
  // an API that is missing (base libraries before 2.17.3) or throws rejects `ask`: the next way is tried
  return ask((callbacks) => (wx.getGroupEnterInfo as (callbacks: CloudIdCallbacks) => void)(callbacks)).then((cloudID) => cloudID || viaShareInfo(), viaShareInfo);
}
