import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator, type StartOptions } from '../../helpers/emulator';

export { cloud };
export type Database = ReturnType<typeof cloud.database>;

export interface DatabaseStats {
  examined: number;
  logBytes: number;
  liveBytes: number;
  compactions: number;
  openTransactions: number;
}

/** Starts the built emulator on the fixture project and points this process's SDK at it. */
export async function startDatabase(options: StartOptions = {}): Promise<{ emulator: RunningEmulator; db: Database }> {
  const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, ...options });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV });
  return { emulator, db: cloud.database() };
}

export async function stats(emulator: RunningEmulator): Promise<DatabaseStats> {
  const response = await fetch(`${emulator.url}/__rukou/database/stats`);
  return (await response.json()) as DatabaseStats;
}

/** Empties a collection through the SDK (a where clause is required; every document has an _id). */
export async function clear(db: Database, name: string): Promise<void> {
  await db.collection(name).where({ _id: db.command.exists(true) }).remove();
}
