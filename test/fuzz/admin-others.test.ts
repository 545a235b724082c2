/** `admin`'s other actions (a share tree, a group, today, a backfill) and payloads that name none, fuzzed (admin.ts). */
import { fuzzAdmin } from './admin';

fuzzAdmin(__filename, ['shareTree', 'group', 'today', 'backfill'], true);
