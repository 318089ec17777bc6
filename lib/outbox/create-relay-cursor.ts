// The relay's cursor over the store: which entries go out in the next round (the backlog in outbox order,
// plus a live lane while behind), and which sent entries are being removed. It never lets an entry overtake
// an older pending entry of the same occurrence.
import type { OutboxStore, StoredEntry } from './open-outbox-store.js';
import { selectLiveLane } from './select-live-lane.js';

/** The relay's view of the store between rounds. */
export interface RelayCursor {
  /** The entries of the next round: the oldest `batchSize`, and when behind, up to `batchSize` live ones. */
  nextRound(): StoredEntry[];
  /** Marks entries confirmed: they leave the index now and the store in the background (retried until it commits). */
  sent(entries: readonly StoredEntry[]): void;
  /** Resolves once every background removal has committed. */
  settled(): Promise<void>;
}

/** Creates the cursor; `onRemoveFailed` hears of the first removal that did not commit in a streak (its entries stay stored). */
export function createRelayCursor(store: OutboxStore, batchSize: number, onRemoveFailed: (count: number, error: unknown) => void): RelayCursor {
  // Pending seqs per occurrence, ascending: the head is the oldest entry still waiting.
  const pendingByOccurrence = new Map<string, number[]>();
  const state = { indexedUpTo: 0, liveFloor: undefined as number | undefined }; // every entry below indexedUpTo is indexed (or gone)
  // Confirmed entries whose removal from LMDB has not committed yet: the next round starts without
  // waiting for that commit (a tenth of a round at concurrency 100) and skips them when it reads.
  const removing = new Set<number>();
  const removals = new Set<Promise<void>>();
  // Confirmed entries whose removal failed (a full disk): still stored and skipped, never published again by
  // this process; their removal is tried again with the next one, or at the next round.
  const unremoved = new Set<number>();
  let failing = false; // told once per streak of failed removals
  const remove = (seqs: number[]) => {
    for (const seq of seqs) removing.add(seq);
    let ok = false;
    const removal = store.remove(seqs).then(
      () => {
        ok = true;
        failing = false;
      },
      (error: unknown) => {
        if (!failing) onRemoveFailed(seqs.length, error);
        failing = true;
        for (const seq of seqs) unremoved.add(seq);
      },
    );
    removals.add(removal);
    void removal.finally(() => {
      if (ok) for (const seq of seqs) removing.delete(seq);
      removals.delete(removal);
    });
  };
  const retryRemovals = () => {
    if (unremoved.size === 0 || removals.size > 0) return;
    const seqs = [...unremoved];
    unremoved.clear();
    remove(seqs);
  };
  const read = (fromSeq: number, limit: number) => {
    const entries = store.read(fromSeq, limit + removing.size);
    return (removing.size === 0 ? entries : entries.filter((e) => !removing.has(e.seq))).slice(0, limit);
  };
  const index = (entries: readonly StoredEntry[]) => indexEntries(pendingByOccurrence, state, entries);

  return {
    nextRound() {
      retryRemovals();
      const backlog = read(0, batchSize);
      index(backlog);
      if (backlog.length < batchSize) {
        state.liveFloor = undefined;
        return backlog;
      }
      // Behind: open a live lane from where the backlog was cut off.
      const backlogEnd = backlog[backlog.length - 1]!.seq + 1;
      const liveFloor = Math.max(state.liveFloor ?? store.nextSeq, backlogEnd);
      state.liveFloor = liveFloor;
      const candidates = read(liveFloor, batchSize * 4);
      if (candidates.length === 0) return backlog;
      // Index what is pending up to now, in the same turn as the candidates were read, so that no candidate
      // overtakes an older entry of its occurrence. Only now: the first call decodes the whole backlog, which
      // slowed a drain with nothing written after the outage by a tenth, for an index it never used.
      index(store.read(state.indexedUpTo, Number.MAX_SAFE_INTEGER));
      const live = selectLiveLane(candidates, (occ) => pendingByOccurrence.get(occ)?.[0], liveFloor).slice(0, batchSize);
      const round = live.length > 0 ? [...backlog, ...live] : backlog;
      index(round);
      return round;
    },
    sent(entries) {
      if (entries.length === 0) return;
      for (const e of entries) unindex(pendingByOccurrence, e);
      const seqs = entries.map((e) => e.seq);
      for (const seq of unremoved) seqs.push(seq);
      unremoved.clear();
      remove(seqs);
    },
    async settled() {
      while (removals.size > 0) await Promise.all([...removals]);
    },
  };
}

function indexEntries(pending: Map<string, number[]>, state: { indexedUpTo: number }, entries: readonly StoredEntry[]): void {
  for (const e of entries) {
    if (e.seq < state.indexedUpTo) continue;
    const list = pending.get(e.occurrenceId);
    if (list) list.push(e.seq);
    else pending.set(e.occurrenceId, [e.seq]);
    state.indexedUpTo = e.seq + 1;
  }
}

function unindex(pending: Map<string, number[]>, e: StoredEntry): void {
  const list = pending.get(e.occurrenceId);
  if (!list) return;
  const at = list[0] === e.seq ? 0 : list.indexOf(e.seq);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) pending.delete(e.occurrenceId);
}
