/** `admin`'s actions over a range of days, fuzzed (admin.ts). */
import { fuzzAdmin } from './admin';

fuzzAdmin(__filename, ['overview', 'shareFunnel', 'topEntries', 'channels', 'topGroups', 'goals', 'topShares'], false);
