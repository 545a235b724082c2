import path from 'node:path';
import { readKept, writeWhole } from '../files';

/** Which client API issued the cloudID: it decides the shape of the decrypted data. */
export type CloudIdKind = 'shareInfo' | 'groupEnterInfo';

/** One cloudID the simulated WeChat handed to a client, with the open data it stands for. */
export interface CloudIdRecord {
  cloudID: string;
  kind: CloudIdKind;
  /** The user the client API was called by: WeChat binds a cloudID to that user. */
  openid: string;
  appid: string;
  data: Record<string, unknown>;
  /** epoch ms */
  issuedAt: number;
}

/** A subscription template of the Mini Program, as getTemplateList answers it (§D.1; type 2 = one-time). */
export interface Template {
  priTmplId: string;
  title: string;
  /** `商品名称:{{thing1.DATA}}\n…`: the keywords a send must fill */
  content: string;
  example: string;
  type: 2;
}

/** WeChat's own record of what one user granted one template: one-time sends left (§D.2: each accept is one send). */
export interface Grant {
  openid: string;
  templateId: string;
  quota: number;
  /** epoch ms of the last change */
  updatedAt: number;
}

/** What a user received from the Mini Program: a subscription message, a customer-service card or message. */
export interface InboxItem {
  /** the subscription message's msgid, or the customer-service message's own id */
  id: string;
  openid: string;
  kind: 'subscribe' | 'card' | 'text' | 'image' | 'link';
  templateId?: string;
  title?: string;
  /** the page (subscription message) or pagepath (card) a tap opens; none: not clickable */
  page?: string;
  data?: Record<string, string>;
  /** a text message's content, an image's media_id, a link's url */
  content?: string;
  /** epoch ms */
  sentAt: number;
}

/** A temporary medium uploaded by customerServiceMessage.uploadTempMedia; its bytes are not kept. */
export interface Media {
  mediaId: string;
  type: string;
  contentType: string;
  size: number;
  /** epoch ms */
  createdAt: number;
}

/** One user's customer-service session: what opens the window for replies and what the replies used of it (§D.5). */
export interface CsSession {
  openid: string;
  /** epoch ms of the user's last message, and the replies sent since */
  lastMessageAt?: number;
  sentSinceMessage: number;
  /** epoch ms the user last entered the chat, and the replies sent since */
  enteredAt?: number;
  sentSinceEnter: number;
}

/** Which API generated a link: urlscheme.generate (`weixin://dl/business/?t=…`) or urllink.generate (`https://wxaurl.cn/…`). */
export type LinkKind = 'scheme' | 'link';

/** One scheme or link WeChat generated (§E.2, §E.3): what it opens, and until when. */
export interface LinkRecord {
  /** what follows `?t=` or `wxaurl.cn/` */
  ticket: string;
  kind: LinkKind;
  appid: string;
  /** the page it opens, without a leading slash; '' for the home page */
  path: string;
  /** the query it opens with, as generated (`a=1&b=2`) */
  query: string;
  envVersion: string;
  /** epoch ms */
  createdAt: number;
  /** epoch ms from which it no longer opens */
  expiresAt: number;
}

/** How much the simulated WeChat keeps: the simulation's bounds, not WeChat's (see README). */
export const BOUNDS = { grants: 20_000, inboxPerUser: 100, inbox: 5_000, media: 1_000, sessions: 10_000, links: 20_000 } as const;

interface Snapshot {
  cloudIds: CloudIdRecord[];
  /** absent in a state written before messages were simulated: the demo set */
  templates?: Template[];
  grants?: Grant[];
  inbox?: InboxItem[];
  media?: Media[];
  sessions?: CsSession[];
  links?: LinkRecord[];
}

const grantKey = (openid: string, templateId: string): string => `${openid}\0${templateId}`;

/** Drops the first entries of a Map (its oldest insertions) until it holds at most `max`. */
function keepLast<K, V>(map: Map<K, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

/**
 * The simulated WeChat's own data, kept in `<data dir>/wechat/state.json` so that cloudIDs
 * handed out before a restart still resolve after it, and templates, grants, inboxes, media and
 * customer-service windows and generated links outlive it too. Each kind is bounded (BOUNDS). Every change rewrites the file through a
 * temporary file and a rename, so a crash leaves the old or the new state, never half of one.
 */
export class WeChatState {
  private readonly file: string;
  private readonly cloudIds = new Map<string, CloudIdRecord>();
  private templateList: Template[];
  /** Insertion order is the order of last change: a change deletes and re-adds, so the first are the stalest. */
  private readonly grants = new Map<string, Grant>();
  private readonly inbox = new Map<string, InboxItem>();
  private readonly media = new Map<string, Media>();
  private readonly sessions = new Map<string, CsSession>();
  /** Insertion order is the order of generation: the first are the oldest. */
  private readonly links = new Map<string, LinkRecord>();

  constructor(dataDir: string, defaultTemplates: Template[]) {
    this.file = path.join(dataDir, 'wechat', 'state.json');
    const snapshot = readKept<Snapshot>(this.file, "delete it: the simulated WeChat forgets its cloudIDs, templates, subscriptions, pushes and links, the database keeps what the functions stored") ?? { cloudIds: [] };
    for (const record of snapshot.cloudIds) this.cloudIds.set(record.cloudID, record);
    this.templateList = snapshot.templates ?? defaultTemplates;
    for (const grant of snapshot.grants ?? []) this.grants.set(grantKey(grant.openid, grant.templateId), grant);
    for (const item of snapshot.inbox ?? []) this.inbox.set(item.id, item);
    for (const medium of snapshot.media ?? []) this.media.set(medium.mediaId, medium);
    for (const session of snapshot.sessions ?? []) this.sessions.set(session.openid, session);
    for (const link of snapshot.links ?? []) this.links.set(link.ticket, link);
  }

  templates(): Template[] {
    return this.templateList;
  }

  setTemplates(templates: Template[]): void {
    this.templateList = templates;
    this.save();
  }

  grant(openid: string, templateId: string): Grant | undefined {
    return this.grants.get(grantKey(openid, templateId));
  }

  grantsOf(openid: string): Grant[] {
    return [...this.grants.values()].filter((grant) => grant.openid === openid);
  }

  /** Writes grants; past BOUNDS.grants the one changed longest ago is forgotten. */
  putGrants(grants: Grant[]): void {
    for (const grant of grants) {
      const key = grantKey(grant.openid, grant.templateId);
      this.grants.delete(key);
      this.grants.set(key, grant);
    }
    keepLast(this.grants, BOUNDS.grants);
    this.save();
  }

  inboxOf(openid: string): InboxItem[] {
    return [...this.inbox.values()].filter((item) => item.openid === openid);
  }

  inboxItem(id: string): InboxItem | undefined {
    return this.inbox.get(id);
  }

  /** Delivers to an inbox; past BOUNDS.inboxPerUser for that user, or BOUNDS.inbox in all, the oldest go. */
  addToInbox(item: InboxItem): void {
    this.inbox.set(item.id, item);
    const mine = this.inboxOf(item.openid);
    for (const old of mine.slice(0, Math.max(0, mine.length - BOUNDS.inboxPerUser))) this.inbox.delete(old.id);
    keepLast(this.inbox, BOUNDS.inbox);
    this.save();
  }

  medium(mediaId: string): Media | undefined {
    return this.media.get(mediaId);
  }

  /** Keeps an upload; forgets those created before `forgetBefore`, and past BOUNDS.media the oldest. */
  addMedium(medium: Media, forgetBefore: number): void {
    for (const [id, old] of this.media) if (old.createdAt < forgetBefore) this.media.delete(id);
    this.media.set(medium.mediaId, medium);
    keepLast(this.media, BOUNDS.media);
    this.save();
  }

  session(openid: string): CsSession | undefined {
    return this.sessions.get(openid);
  }

  /** Writes a session; past BOUNDS.sessions the one changed longest ago is forgotten (its window long closed). */
  putSession(session: CsSession): void {
    this.sessions.delete(session.openid);
    this.sessions.set(session.openid, session);
    keepLast(this.sessions, BOUNDS.sessions);
    this.save();
  }

  link(ticket: string): LinkRecord | undefined {
    return this.links.get(ticket);
  }

  /** Keeps a generated link; forgets those that expired before `forgetBefore`, and past BOUNDS.links the oldest. */
  addLink(record: LinkRecord, forgetBefore: number): void {
    for (const [ticket, old] of this.links) if (old.expiresAt < forgetBefore) this.links.delete(ticket);
    this.links.set(record.ticket, record);
    keepLast(this.links, BOUNDS.links);
    this.save();
  }

  cloudId(id: string): CloudIdRecord | undefined {
    return this.cloudIds.get(id);
  }

  /** Adds a cloudID and forgets those issued before `forgetBefore` (the state stays bounded). */
  addCloudId(record: CloudIdRecord, forgetBefore: number): void {
    for (const [id, old] of this.cloudIds) if (old.issuedAt < forgetBefore) this.cloudIds.delete(id);
    this.cloudIds.set(record.cloudID, record);
    this.save();
  }

  private save(): void {
    const snapshot: Snapshot = {
      cloudIds: [...this.cloudIds.values()],
      templates: this.templateList,
      grants: [...this.grants.values()],
      inbox: [...this.inbox.values()],
      media: [...this.media.values()],
      sessions: [...this.sessions.values()],
      links: [...this.links.values()],
    };
    writeWhole(this.file, JSON.stringify(snapshot));
  }
}
