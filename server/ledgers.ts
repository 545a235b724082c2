import { subscriptionDocId } from '../shared/ids';
import { newLedger, type SubscriptionLedger } from '../shared/subscriptions';
import { addUnlessTaken, documentsOf, updatedCount, type Database } from './pipeline';

/** Writes of one ledger that may lose a race before the change gives up (two answers of one pop-up race; a third is a storm). */
const RACES = 3;

/** A stored consent ledger (`subscriptions`): the ledger, and the version its conditional writes check. */
type StoredLedger = SubscriptionLedger & { _id: string; v: number };

/**
 * Changes one user's consent ledger of one template and answers the ledger as stored (unwritten when
 * `change` answers the very ledger it was given). The write is
 * conditional on the version read (a new ledger is added, never overwritten), so the client's report
 * and WeChat's push of one pop-up, arriving at the same moment, each apply to what the other wrote;
 * a lost race is read and applied again, `RACES` times in all.
 */
export async function changeLedger(db: Database, openid: string, templateId: string, change: (ledger: SubscriptionLedger) => SubscriptionLedger): Promise<SubscriptionLedger> {
  const _id = subscriptionDocId(openid, templateId);
  const collection = db.collection('subscriptions');
  for (let attempt = 0; attempt < RACES; attempt++) {
    const found = documentsOf<StoredLedger>(await collection.where({ _id }).limit(1).get(), 'subscriptions')[0];
    const v = found?.v ?? 0;
    const ledger = found ? ledgerOf(found) : newLedger(openid, templateId);
    const next = change(ledger);
    // nothing to write: a send finding none left, an answer recorded before
    if (next === ledger) return ledger;
    if (!found) {
      if ((await addUnlessTaken(db, 'subscriptions', [{ _id, ...next, v: 1 }])) === 'added') return next;
      continue;
    }
    if (updatedCount(await collection.where({ _id, v }).update({ data: { ...next, v: v + 1 } })) === 1) return next;
  }
  throw new Error(`the consent ledger of ${templateId} changed under every one of ${RACES} writes`);
}

/** The ledger of a stored document: without its `_id` and version, which a write may not set. */
function ledgerOf(stored: StoredLedger): SubscriptionLedger {
  const ledger: Partial<StoredLedger> = { ...stored };
  delete ledger._id;
  delete ledger.v;
  return ledger as SubscriptionLedger;
}

/** The ledgers of these users for one template, by openid (one read; a user without one is absent). */
export async function ledgersOf(db: Database, openids: string[], templateId: string): Promise<Map<string, SubscriptionLedger>> {
  const _ = db.command;
  const ids = openids.map((openid) => subscriptionDocId(openid, templateId));
  const found = documentsOf<StoredLedger>(await db.collection('subscriptions').where({ _id: _.in(ids) }).limit(ids.length).get(), 'subscriptions');
  return new Map(found.map((stored) => [stored.openid, ledgerOf(stored)]));
}
