import { RukouError, ValidationError } from '../shared/errors';
import { keywordRule, templateKeywords, type KeywordRule } from '../shared/keywords';
import { getCloud } from './cloud';
import { documentsOf, type Database } from './pipeline';

/** How long the template list WeChat gave is used before it is asked again. */
export const TEMPLATES_TTL_MS = 10 * 60_000;

export interface Keyword {
  /** As the template names it: `thing1`. */
  key: string;
  rule?: KeywordRule;
  /** What the template shows before it: `商品名称`. */
  label: string;
}

export interface Template {
  templateId: string;
  title: string;
  /** 2 one-time, 3 long-term (getTemplateList's `type`). */
  type: number;
  keywords: Keyword[];
}

/** One row of subscribeMessage.getTemplateList's `data`, keys as the SDK turns them (§D.1). */
interface WeChatTemplate {
  priTmplId: string;
  title: string;
  content: string;
  type: number;
}

const CACHE_ID = 'subscribe';

/** A template's keywords in its content's order, each with its rule and the label before it (`商品名称:{{thing1.DATA}}`). */
function keywordsOf(content: string): Keyword[] {
  return templateKeywords(content).map((key) => {
    const line = content.split('\n').find((text) => text.includes(`{{${key}.DATA}}`)) ?? '';
    const label = line.slice(0, line.indexOf('{{')).replace(/[:：]\s*$/, '').trim();
    return { key, rule: keywordRule(key), label };
  });
}

/**
 * The Mini Program's subscription templates: WeChat's list (`subscribeMessage.getTemplateList`),
 * kept in `templates` for `TEMPLATES_TTL_MS` so that a send or a consent does not ask WeChat each
 * time. `refresh` asks now. When WeChat fails to answer, a list kept earlier, however old, serves
 * (a user's consent is not lost to a WeChat error); without one, or on `refresh`, UPSTREAM.
 */
export async function templateList(db: Database, now: Date, refresh = false): Promise<Template[]> {
  const cached = documentsOf<{ templates: Template[]; fetchedAt: Date }>(await db.collection('templates').where({ _id: CACHE_ID }).limit(1).get(), 'templates')[0];
  if (cached && !refresh && now.getTime() - new Date(cached.fetchedAt).getTime() < TEMPLATES_TTL_MS) return cached.templates;
  let fetched: Template[];
  try {
    fetched = await fromWeChat();
  } catch (error) {
    if (cached && !refresh) return cached.templates;
    throw error;
  }
  return keep(db, fetched, now);
}

/** WeChat's list now (subscribeMessage.getTemplateList); UPSTREAM, with WeChat's words, when it fails. */
async function fromWeChat(): Promise<Template[]> {
  let answer: { data?: WeChatTemplate[] };
  try {
    answer = (await getCloud().openapi.subscribeMessage.getTemplateList({})) as typeof answer;
  } catch (error) {
    throw new RukouError('UPSTREAM', `WeChat did not give the subscription templates (subscribeMessage.getTemplateList: ${(error as Error).message}): nothing was done, try again.`);
  }
  return (answer.data ?? []).map((row) => ({ templateId: row.priTmplId, title: row.title, type: row.type, keywords: keywordsOf(row.content) }));
}

async function keep(db: Database, templates: Template[], now: Date): Promise<Template[]> {
  await db.collection('templates').doc(CACHE_ID).set({ data: { templates, fetchedAt: now } });
  return templates;
}

/** The titles of the templates as last cached, without asking WeChat: what stats print beside a template id. */
export async function cachedTitles(db: Database): Promise<Map<string, string>> {
  const cached = documentsOf<{ templates?: Template[] }>(await db.collection('templates').where({ _id: CACHE_ID }).limit(1).get(), 'templates')[0];
  return new Map((cached?.templates ?? []).map((template) => [template.templateId, template.title]));
}

/**
 * The templates, with every one of `ids` among them if WeChat has it: a template added in the
 * console since the list was kept is not refused for the cache's 10 minutes, it makes the list be
 * asked again (once), and kept if it has them.
 */
export async function templatesWith(db: Database, now: Date, ids: readonly string[]): Promise<Template[]> {
  const holds = (templates: Template[]): boolean => ids.every((id) => templates.some((template) => template.templateId === id));
  const kept = await templateList(db, now);
  if (holds(kept)) return kept;
  // kept only when it has them: a call refused for a template WeChat does not have either writes nothing
  const fresh = await fromWeChat();
  return holds(fresh) ? keep(db, fresh, now) : fresh;
}

/** The template named, or a ValidationError on `field` when the Mini Program has none of that id. */
export function templateNamed(templates: Template[], templateId: string, field: string): Template {
  const template = templates.find((candidate) => candidate.templateId === templateId);
  if (!template) throw new ValidationError(`${JSON.stringify(templateId)} is not one of the Mini Program's subscription templates (the "templates" action lists them).`, field);
  return template;
}
