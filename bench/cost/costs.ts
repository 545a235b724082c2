/**
 * What a function cost, read from the emulator's verbose log: one line per invocation (`[rukou]
 * invoke track 12.1ms ok warm`) and one per request the SDK made to the backend (`[rukou] admin
 * database.getDocument 0.7ms ok`), the way `test/functions/track.test.ts` proves the cost of a batch.
 */
export interface Cost {
  invocations: number;
  /** Invocations that did not end with an answer (an error thrown, a time limit). */
  failed: number;
  reads: number;
  writes: number;
  /** Database requests that are neither (transactions, collections). */
  other: number;
  getOpenData: number;
}

const READS = new Set(['getDocument', 'calculateDocument', 'aggregateDocuments']);
const WRITES = new Set(['insertDocument', 'modifyDocument', 'modifyAndReturnDoc', 'removeDocument']);

/**
 * The cost of `name`'s invocations in `lines`, which hold nothing else: every request on them is
 * counted, refused ones too (they are billed). A cloud call (`wx.openApi`) counts as getOpenData,
 * the only one `track` and the naive function may make (their config.json permits no other).
 */
export function costOf(lines: string[], name: string): Cost {
  const cost: Cost = { invocations: 0, failed: 0, reads: 0, writes: 0, other: 0, getOpenData: 0 };
  for (const line of lines) {
    const invocation = /^\[rukou\] invoke (\S+) \S+ (\S+)/.exec(line);
    if (invocation && invocation[1] === name) {
      cost.invocations++;
      if (invocation[2] !== 'ok') cost.failed++;
    }
    const action = /^\[rukou\] admin (\S+) /.exec(line)?.[1];
    if (action === 'wx.openApi') cost.getOpenData++;
    else if (action?.startsWith('database.')) {
      const request = action.slice('database.'.length);
      if (READS.has(request)) cost.reads++;
      else if (WRITES.has(request)) cost.writes++;
      else cost.other++;
    }
  }
  return cost;
}
