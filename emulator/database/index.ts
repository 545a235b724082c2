import path from 'node:path';
import { clockService, type ClockService } from '../clock';
import type { ServiceFactory } from '../server';
import { DatabaseOperations } from './operations';
import { DatabaseState } from './state';
import { Transactions } from './transactions';
import { databaseActions, statsRoute } from './wire';

/**
 * The cloud database: MongoDB's semantics (semantics.ts, followed by the compiled paths and by
 * mingo as fallback.ts corrects it), EJSON through bson, durable in
 * `<data dir>/database/log.jsonl` (see state.ts). Collections declared in the project's
 * `database/collections.json` exist from the start, with their indexes; others after
 * `db.createCollection`.
 */
export const databaseService: ServiceFactory = (context) => {
  const state = new DatabaseState(path.join(context.options.dataDir, 'database'), context.project.collections, (message) => context.log.warn(message));
  const transactions = new Transactions(state);
  const { clock } = context.service<ClockService>(clockService);
  const now = (): number => clock.now();
  return {
    actions: databaseActions(state, new DatabaseOperations(state), transactions, now),
    routes: [statsRoute(state, transactions)],
    close() {
      state.close();
      return Promise.resolve();
    },
  };
};
