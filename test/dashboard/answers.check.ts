/**
 * The dashboard's answer shapes (`dashboard/src/answers.ts`) held against the server's answers:
 * each action's answer, as JSON carries it, must give every field the page reads, with its type.
 * Checked by `npm run typecheck` (the root project includes test/), not run: a field renamed or
 * dropped in `server/` fails here, where the dashboard would only have drawn nothing.
 */
import type { Answers } from '../../dashboard/src/answers';
import type { CHANNEL_ACTIONS } from '../../server/channels';
import type { STATS_ACTIONS } from '../../server/stats';

type Actions = typeof STATS_ACTIONS & typeof CHANNEL_ACTIONS;

/** A value as the answer's JSON carries it: a Date as its ISO text. */
type Json<T> = T extends Date ? string : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;

type Served<K extends keyof Actions> = Json<Awaited<ReturnType<Actions[K]>>>;

/** Compiles only when `Server` gives all that `Page` reads. */
type Gives<Server extends Page, Page> = [Server, Page];

export type AnswersServed = [
  Gives<keyof Answers, keyof Actions>,
  Gives<Served<'overview'>, Answers['overview']>,
  Gives<Served<'today'>, Answers['today']>,
  Gives<Served<'topEntries'>, Answers['topEntries']>,
  Gives<Served<'listChannels'>, Answers['listChannels']>,
  Gives<Served<'channels'>, Answers['channels']>,
  Gives<Served<'goals'>, Answers['goals']>,
  Gives<Served<'retention'>, Answers['retention']>,
  Gives<Served<'shareFunnel'>, Answers['shareFunnel']>,
  Gives<Served<'topShares'>, Answers['topShares']>,
  Gives<Served<'shareTree'>, Answers['shareTree']>,
  Gives<Served<'topGroups'>, Answers['topGroups']>,
  Gives<Served<'group'>, Answers['group']>,
  Gives<Served<'messages'>, Answers['messages']>,
  Gives<Served<'cards'>, Answers['cards']>,
];
