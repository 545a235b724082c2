/**
 * The operator's channels over the range (`admin` `channels`): each with its code or link (the
 * picture and the url from `listChannels`), first touches day by day, and the dead channels. Each
 * table draws its first 100 rows and says how many there are in all; its CSV holds every row
 * `admin` answers, up to its 1,000.
 */
import type { Admin } from '../api';
import { chart, PALETTE } from '../charts';
import { h } from '../dom';
import { percent, t, type Text } from '../i18n';
import { table } from '../table';
import type { Answers, ChannelDoc } from '../answers';
import { dayList, empty, subhead, type Section } from './section';
import { chinaDay } from '../../../shared/time';

const KINDS: Record<string, Text> = {
  wxacode: { zh: '小程序码', en: 'Mini Program code' },
  urlscheme: { zh: 'URL Scheme', en: 'URL scheme' },
  urllink: { zh: 'URL Link', en: 'URL link' },
  plainscheme: { zh: '明文 Scheme', en: 'Plain scheme' },
  unknown: { zh: '未登记', en: 'Not registered' },
};
const kindName = (kind: string): string => (KINDS[kind] ? t(KINDS[kind]) : kind);

/** A channel's code as a picture, or its link, from the registry as `listChannels` answers it (codes with a fresh URL). */
function codeOrLink(doc: ChannelDoc | undefined): Node | string {
  if (doc?.tempFileURL) return h('a', { href: doc.tempFileURL, target: '_blank', rel: 'noopener' }, h('img', { class: 'qr', src: doc.tempFileURL, alt: doc.key, loading: 'lazy' }));
  if (doc?.url) return h('a', { href: doc.url, class: 'link' }, doc.url);
  return '';
}

/** The rows of each list `channels` answers: its most (MAX_CHANNEL_ROWS in shared/stats-input.ts), all of which the CSVs hold. */
const ASKED = 1000;
/** The rows each table draws: pictures and cards for more would only slow the page. */
const SHOWN = 100;

/**
 * The registry's documents of `keys`, as `listChannels` answers them (100 a page, in key order,
 * `next` while there are more): pages are read until every key is found or none is left.
 */
async function registryOf(admin: Admin, keys: Set<string>): Promise<Map<string, ChannelDoc>> {
  const found = new Map<string, ChannelDoc>();
  let after: string | undefined;
  do {
    const page = await admin<Answers['listChannels']>('listChannels', { includeArchived: true, limit: 100, ...(after === undefined ? {} : { after }) });
    for (const doc of page.channels) if (keys.has(doc.key)) found.set(doc.key, doc);
    after = page.next;
  } while (after !== undefined && found.size < keys.size);
  return found;
}

export const channelsSection: Section = {
  id: 'channels',
  title: { zh: '渠道（二维码与链接）', en: 'Channels (codes and links)' },
  ranged: true,
  async draw(body, { admin, range }) {
    const answer = await admin<Answers['channels']>('channels', { ...range, limit: ASKED, series: 5 });
    // the registered channels shown or in a CSV: an unknown key has no code nor link
    const listed = new Set([...answer.channels.filter((row) => row.channel !== null).map((row) => row.key), ...answer.dead.channels.map((doc) => doc.key)]);
    const registry = listed.size > 0 ? await registryOf(admin, listed) : new Map<string, ChannelDoc>();
    if (answer.channels.length === 0 && answer.dead.total === 0 && answer.byKind.every((kind) => kind.channels === 0)) return void body.append(empty());
    body.append(
      table('channels', [
        { label: { zh: '渠道', en: 'Key' }, value: (row) => row.key, raw: true },
        { label: { zh: '名称', en: 'Name' }, value: (row) => row.channel?.name ?? '', raw: true },
        { label: { zh: '类型', en: 'Kind' }, value: (row) => kindName(row.channel?.kind ?? 'unknown') },
        { label: { zh: '分组', en: 'Group' }, value: (row) => row.channel?.group ?? '', raw: true },
        { label: 'entries', value: (row) => row.entries, numeric: true },
        { label: 'userDays', value: (row) => row.userDays, numeric: true },
        { label: 'newUsers', value: (row) => row.newUsers, numeric: true },
        { label: { zh: '首次触达', en: 'First touches' }, value: (row) => row.firstTouch, numeric: true },
        { label: 'share', value: (row) => percent(row.share), numeric: true },
        { label: { zh: '二维码 / 链接', en: 'Code / link' }, value: (row) => registry.get(row.key)?.url ?? registry.get(row.key)?.tempFileURL ?? '', cell: (row) => codeOrLink(registry.get(row.key)), raw: true },
      ], answer.channels, { shown: SHOWN, total: answer.keys }),
    );
    if (answer.unknown.keys > 0) body.append(h('p', { class: 'note' }, t({ zh: `另有 ${answer.unknown.keys} 个未登记的渠道键，共 ${answer.unknown.entries} 次进入（已计入上表）。`, en: `${answer.unknown.keys} keys not in the registry brought ${answer.unknown.entries} entries (in the table above).` })));
    const series = answer.firstTouchSeries;
    if (series.channels.length > 0) {
      body.append(
        subhead({ zh: '首次触达（每日，前 5 个渠道）', en: 'First touches by day (top 5 channels)' }),
        // named by the operator's channel names: data, in neither of the page's languages
        chart('first-touch', {
          color: PALETTE,
          tooltip: { trigger: 'axis' },
          legend: { type: 'scroll', top: 0 },
          grid: { left: 40, right: 16, top: 40, bottom: 30 },
          xAxis: { type: 'category', data: series.days.map((day) => day.slice(5)) },
          yAxis: { type: 'value', minInterval: 1 },
          series: [
            ...series.channels.map((channel) => ({ name: channel.name ?? channel.key, type: 'line', symbol: 'none', data: channel.daily })),
            { name: t({ zh: '其他', en: 'Others' }), type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: series.others },
          ],
        }, 280, { raw: true }),
      );
    }
    body.append(
      subhead({ zh: '按类型', en: 'By kind' }),
      table('channel-kinds', [
        { label: { zh: '类型', en: 'Kind' }, value: (row) => kindName(row.kind) },
        { label: { zh: '渠道数', en: 'Channels' }, value: (row) => row.channels, numeric: true },
        { label: 'entries', value: (row) => row.entries, numeric: true },
        { label: 'userDays', value: (row) => row.userDays, numeric: true },
        { label: 'newUsers', value: (row) => row.newUsers, numeric: true },
        { label: { zh: '首次触达', en: 'First touches' }, value: (row) => row.firstTouch, numeric: true },
      ], answer.byKind),
      subhead({ zh: `沉寂渠道（${answer.dead.from} 至 ${answer.dead.to} 无进入）`, en: `Dead channels (no entry ${answer.dead.from} to ${answer.dead.to})` }),
      // a channel may look dead for want of its days' rollups
      answer.dead.missingDays.length > 0
        ? h('p', { class: 'note', 'data-dead-missing': String(answer.dead.missingDays.length) }, t({ zh: `这几天中有 ${answer.dead.missingDays.length} 天没有日汇总，其间的进入未计入：${dayList(answer.dead.missingDays)}`, en: `${answer.dead.missingDays.length} of these days ${answer.dead.missingDays.length === 1 ? 'has' : 'have'} no rollup, so their entries are not counted: ${dayList(answer.dead.missingDays)}` }))
        : '',
      answer.dead.total === 0
        ? h('p', { class: 'empty' }, t({ zh: '没有沉寂的渠道。', en: 'No dead channel.' }))
        : table('dead-channels', [
            { label: { zh: '渠道', en: 'Key' }, value: (row) => row.key, raw: true },
            { label: { zh: '名称', en: 'Name' }, value: (row) => row.name, raw: true },
            { label: { zh: '类型', en: 'Kind' }, value: (row) => kindName(row.kind) },
            { label: { zh: '创建于', en: 'Created' }, value: (row) => (row.createdAt ? chinaDay(Date.parse(row.createdAt)) : '') },
            { label: { zh: '二维码 / 链接', en: 'Code / link' }, value: (row) => registry.get(row.key)?.url ?? registry.get(row.key)?.tempFileURL ?? '', cell: (row) => codeOrLink(registry.get(row.key)), raw: true },
          ], answer.dead.channels, { shown: SHOWN, total: answer.dead.total }),
    );
  },
};
