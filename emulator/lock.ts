import fs from 'node:fs';
import path from 'node:path';

/** `<data>/emulator.lock`: which process serves the data directory. */
interface LockHolder {
  pid: number;
  since: string;
}

const LOCK_FILE = 'emulator.lock';

/**
 * A process with this id runs (one of another user's, which signals cannot reach, runs too). A
 * zombie does not: killed, it keeps its id until its parent reaps it, which a busy or slow parent
 * (a container's init) may take a second or more to do, and a restart right after `kill -9` was
 * refused meanwhile. Linux says so in /proc/<pid>/stat; elsewhere a zombie still counts as running.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** The state after the command's name, which may itself hold ") ": "1234 (node) Z 1 …". */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat[stat.lastIndexOf(')') + 2] === 'Z';
}

/** Another running process holds the data directory: a second emulator on it would append to its log from a state of its own. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the data directory ${dataDir} is in use by another emulator (process ${holder.pid}, since ${holder.since}): ` +
        'two emulators on one directory would both write its log; stop that one, or give this one another --data DIR',
    );
    this.name = 'DataDirInUse';
  }
}

/** What is said when a lock left behind is taken over. */
export const takenOver = (dataDir: string, pid: number): string =>
  `process ${pid}, which no longer runs, had left ${dataDir} locked (it stopped without closing: kill -9, a crash): taken over`;

export interface DataDirLock {
  /** The process whose lock was left behind (it died without stopping: kill -9, a crash) and is taken over; none usually. */
  readonly tookOverFrom?: number;
  /** Deletes the lock file if it is still this process's; once only. */
  release(): void;
  /**
   * Releases the lock of a start that is refused, after deleting what was added to the directory
   * since it was taken: each entry it did not hold then, and the directory itself (with any parent
   * made for it) when it was made for the lock. So the next start finds the directory as it was:
   * a clock.json left by a refused start had refused a `--clock` in the past.
   */
  abandon(): void;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, since: String(holder.since) } : undefined;
  } catch {
    // gone meanwhile, or half written by a process that died while writing it
    return undefined;
  }
}

/**
 * Takes `<dataDir>/emulator.lock` for this process: created with `wx` (fails if it exists) and
 * holding this pid. A lock whose process no longer runs is taken over (`tookOverFrom` says whose);
 * one whose process runs refuses. The file is also deleted when the process exits without
 * releasing it (process.exit); only kill -9 or a crash leaves it, for the next start to take over.
 * Two starts taking over the same stale lock at the same instant could both succeed: the lock
 * guards against a second emulator started by hand, not against that race.
 *
 * @throws DataDirInUse when a running process holds it
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const made = fs.mkdirSync(dataDir, { recursive: true });
  const found = new Set(fs.readdirSync(dataDir));
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, since: new Date().toISOString() };
  let tookOverFrom: number | undefined;
  for (;;) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder && processRuns(holder.pid)) throw new DataDirInUse(dataDir, holder);
    tookOverFrom = holder?.pid;
    fs.rmSync(file, { force: true });
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  const abandon = (): void => {
    // before the release: while the lock is held, no other emulator writes here
    for (const entry of fs.readdirSync(dataDir)) if (entry !== LOCK_FILE && !found.has(entry)) fs.rmSync(path.join(dataDir, entry), { recursive: true, force: true });
    release();
    if (made !== undefined) removeEmptyUpTo(dataDir, made);
  };
  return { tookOverFrom, release, abandon };
}

/**
 * Removes `dir` and its parents up to `top`, each only while it is empty: another start may have
 * taken the directory between the release of the lock and this.
 */
function removeEmptyUpTo(dir: string, top: string): void {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      fs.rmdirSync(current);
    } catch {
      return;
    }
    if (current === top) return;
  }
}
