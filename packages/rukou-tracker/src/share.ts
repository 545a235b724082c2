import { PATH_LENGTH } from './events';
import { queryOf, sharePath, textOf, withShareId } from './paths';

/** What `onShareAppMessage` may answer (WeChat's `promise` is used when it resolves within 3 s). */
export interface ChatShare {
  title?: string;
  path?: string;
  imageUrl?: string;
  promise?: Promise<ChatShare | void>;
}

/** What `onShareTimeline` may answer. */
export interface TimelineShare {
  title?: string;
  query?: string;
  imageUrl?: string;
}

/** The page being shared: Mini Program pages carry their route (a Component its path, `is`) and the options they were opened with. */
export interface SharedPage {
  route?: string;
  is?: string;
  options?: Record<string, string | undefined>;
}

/** A share as recorded: its id and the page it shows (without our share id, which travels beside it). */
export interface ShareRecord {
  shareId: string;
  path: string;
  to: 'chat' | 'timeline';
}

/**
 * The page's path with a query, by default the options it was opened with (WeChat's default share
 * path). Always with its "?": every use goes through sharePath, which drops the "?" of an empty query.
 */
const pagePath = (page: SharedPage, query = queryOf(page.options)): string => `/${page.route || page.is || ''}?${query}`;

const isThenable = (value: unknown): value is Promise<ChatShare | void> => typeof Object(value).then === 'function';


/**
 * The page's chat share with our share id added to its path; title, imageUrl and any other field
 * stay as the page set them, and a `promise` keeps resolving to the page's own result, with the
 * same share id in its path. WeChat ignores a bare promise (an `async` handler) and would send the
 * current page without our share id: it gets `{ path, promise }` instead, as documented (§G.3).
 */
export function shareToChat(
  content: ChatShare | Promise<ChatShare | void> | void,
  page: SharedPage,
  shareId: string,
): { content: ChatShare; record: ShareRecord } {
  const own = isThenable(content) ? { promise: content } : content || {};
  const base = own.path || pagePath(page);
  const shared: ChatShare = { ...own, path: sharePath(base, shareId) };
  if (isThenable(own.promise)) {
    shared.promise = own.promise.then((late) => (late ? { ...late, path: sharePath(late.path || base, shareId) } : late));
  }
  return { content: shared, record: { shareId, path: textOf(sharePath(base), PATH_LENGTH)!, to: 'chat' } };
}

/** The page's Moments share with our share id added to its query. */
export function shareToTimeline(content: TimelineShare | void, page: SharedPage, shareId: string): { content: TimelineShare; record: ShareRecord } {
  const own = content || {};
  const query = own.query ?? queryOf(page.options);
  return {
    content: { ...own, query: withShareId(query, shareId) },
    record: { shareId, path: textOf(sharePath(pagePath(page, query)), PATH_LENGTH)!, to: 'timeline' },
  };
}
