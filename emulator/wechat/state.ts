import fs from 'node:fs';
import path from 'node:path';

/** Which client API issued the cloudID: it decides the shape of the decrypted data. */
export type CloudIdKind = 'shareInfo' | 'groupEnterInfo';

/** One cloudID the simulated WeChat handed to a client, with the open data it stands for. */
export interface CloudIdRecord {
  cloudID: string;
  kind: CloudIdKind;
  /** The user the client API was called by: WeChat binds a cloudID to that user. */
  openid: string;
  appid: string;
  data: Record<string, unknown>;
  /** epoch ms */
  issuedAt: number;
}

interface Snapshot {
  cloudIds: CloudIdRecord[];
}

/**
 * The simulated WeChat's own data, kept in `<data dir>/wechat/state.json` so that cloudIDs
 * handed out before a restart still resolve after it. Every change rewrites the file through a
 * temporary file and a rename, so a crash leaves the old or the new state, never half of one.
 */
export class WeChatState {
  private readonly file: string;
  private readonly cloudIds = new Map<string, CloudIdRecord>();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'wechat', 'state.json');
    if (fs.existsSync(this.file)) {
      const snapshot = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Snapshot;
      for (const record of snapshot.cloudIds) this.cloudIds.set(record.cloudID, record);
    }
  }

  cloudId(id: string): CloudIdRecord | undefined {
    return this.cloudIds.get(id);
  }

  /** Adds a cloudID and forgets those issued before `forgetBefore` (the state stays bounded). */
  addCloudId(record: CloudIdRecord, forgetBefore: number): void {
    for (const [id, old] of this.cloudIds) if (old.issuedAt < forgetBefore) this.cloudIds.delete(id);
    this.cloudIds.set(record.cloudID, record);
    this.save();
  }

  private save(): void {
    const snapshot: Snapshot = { cloudIds: [...this.cloudIds.values()] };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(snapshot));
    fs.renameSync(temporary, this.file);
  }
}
