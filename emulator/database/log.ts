/**
 * The database log's file: one line per acknowledged write request, `<checksum> <JSON>\n`, where
 * the JSON is the request's writes (`[["p", collection, doc], ["d", collection, id], ["c",
 * collection]]`, documents in relaxed EJSON) and the checksum the first 8 hex digits of the
 * SHA-256 of that JSON, written by the same append. A line is appended as one buffer, so a
 * process killed mid-append leaves at most a final line without its newline: the torn line,
 * the only damage a start repairs (by cutting it off). Any other line that does not read back —
 * its checksum does not match, it is not JSON, it holds no writes — is damage from outside (a
 * bad disk, a hand edit): the start stops and names the file and line, and touches nothing,
 * since cutting the log there would drop every acknowledged write after it.
 *
 * Lines written before checksums existed (Rukou 0.1) start with the `[` of their JSON; they
 * still load, checked only by parsing, as long as no checksummed line comes before them (0.1
 * could not have appended after one), and compaction rewrites them with checksums.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeStored, encode } from './ejson';
import type { WriteOp } from './state';

const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const CHECKSUM_HEX = 8;
const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;
const SPACE = 0x20;

/** Where a compaction writes the new log until it is renamed over the old one. */
const compactionFile = (file: string): string => `${file}.compact`;

/** The first 8 hex digits of the SHA-256 of a line's JSON (its UTF-8 bytes). */
const checksum = (json: string | Buffer): string => createHash('sha256').update(json).digest('hex').slice(0, CHECKSUM_HEX);

export interface EncodedLine {
  bytes: Buffer;
  /** Each op's document size (0 for deletes and creates), to know how much of the log is live. */
  docBytes: number[];
}

/** One request's writes as one checksummed log line. */
export function encodeLine(ops: WriteOp[]): EncodedLine {
  const parts: string[] = [];
  const docBytes: number[] = [];
  for (const op of ops) {
    const name = JSON.stringify(op.collection);
    if (op.kind === 'put') {
      const text = encode(op.doc);
      docBytes.push(text.length);
      parts.push(`["p",${name},${text}]`);
    } else {
      docBytes.push(0);
      parts.push(op.kind === 'delete' ? `["d",${name},${JSON.stringify(op.id)}]` : `["c",${name}]`);
    }
  }
  const json = `[${parts.join(',')}]`;
  return { bytes: Buffer.from(`${checksum(json)} ${json}\n`), docBytes };
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isId = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';

/** The writes a line's JSON holds, or why it holds none. */
function writesOf(raw: unknown): WriteOp[] | string {
  if (!Array.isArray(raw) || raw.length === 0) return 'it holds no list of writes';
  const ops: WriteOp[] = [];
  for (const entry of raw as unknown[]) {
    const [kind, collection, value] = Array.isArray(entry) ? (entry as unknown[]) : [];
    if (typeof collection !== 'string') return 'it holds something that is not a write';
    if (kind === 'p' && isRecord(value) && isId(value._id)) ops.push({ kind: 'put', collection, doc: value });
    else if (kind === 'd' && isId(value)) ops.push({ kind: 'delete', collection, id: value });
    else if (kind === 'c' && (entry as unknown[]).length === 2) ops.push({ kind: 'create', collection });
    else return 'it holds something that is not a write';
  }
  return ops;
}

type ReadLine = { ops: WriteOp[]; jsonLength: number } | { damage: string };

/**
 * Reads one whole line (without its newline). `checksummed`: an earlier line had a checksum, so
 * this one must too — a version without checksums cannot read such a log to append to it, and a
 * line that merely lost its checksum would otherwise pass for an old one.
 */
function readLine(line: Buffer, checksummed: boolean): ReadLine {
  let json = line;
  if (line[0] === OPEN_BRACKET && checksummed) return { damage: 'it has no checksum, though the lines before it have' };
  if (line[0] !== OPEN_BRACKET) {
    const sum = line.toString('latin1', 0, CHECKSUM_HEX);
    if (line.length <= CHECKSUM_HEX + 1 || line[CHECKSUM_HEX] !== SPACE || !/^[0-9a-f]{8}$/.test(sum)) return { damage: 'it does not start with a checksum' };
    json = line.subarray(CHECKSUM_HEX + 1);
    if (checksum(json) !== sum) return { damage: `its checksum ${sum} does not match its content` };
  }
  const text = json.toString('utf8');
  let raw: unknown;
  try {
    raw = decodeStored(text);
  } catch (error) {
    return { damage: `it is not JSON (${(error as Error).message})` };
  }
  const ops = writesOf(raw);
  return typeof ops === 'string' ? { damage: ops } : { ops, jsonLength: text.length };
}

function damaged(file: string, line: number, offset: number, why: string): Error {
  return new Error(
    `the database log ${file} is damaged at line ${line} (byte ${offset}): ${why}. The emulator will not start on it, and left the file as it was: ` +
      'cutting the log there would lose every acknowledged write after that line. Restore the file from a backup, or delete that one line ' +
      '(losing the writes of that one request) and start again.',
  );
}

/**
 * Replays the log: each whole line's writes go to `replay` in order (with the length of its
 * JSON, to estimate how much of the log is live). A final line without its newline is cut off
 * with a warning, unless its checksum shows it whole (only the newline missing), when it is kept
 * and finished. Any other damage throws, naming the file and line, with the file untouched.
 *
 * @returns the length of the log once read, from which appends continue
 */
export function readLog(file: string, replay: (ops: WriteOp[], jsonLength: number) => void, warn: (message: string) => void): number {
  // A compaction the process did not finish: never the log (the rename is what makes it one).
  fs.rmSync(compactionFile(file), { force: true });
  if (!fs.existsSync(file)) return 0;
  const fd = fs.openSync(file, 'r');
  let good = 0;
  let lines = 0;
  let checksummed = false;
  let tail = Buffer.alloc(0);
  try {
    const chunk = Buffer.alloc(READ_CHUNK_BYTES);
    for (let offset = 0; ; ) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, offset);
      if (read === 0) break;
      offset += read;
      const data = tail.length > 0 ? Buffer.concat([tail, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
        lines++;
        const line = readLine(data.subarray(start, end), checksummed);
        if ('damage' in line) throw damaged(file, lines, good, line.damage);
        checksummed ||= data[start] !== OPEN_BRACKET;
        replay(line.ops, line.jsonLength);
        good += end + 1 - start;
        start = end + 1;
      }
      tail = Buffer.from(data.subarray(start));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (tail.length === 0) return good;
  const last = tail[0] === OPEN_BRACKET ? undefined : readLine(tail, checksummed);
  if (last && !('damage' in last)) {
    replay(last.ops, last.jsonLength);
    fs.appendFileSync(file, '\n');
    return good + tail.length + 1;
  }
  warn(`database log: ignoring ${tail.length} bytes of an unfinished write at the end of ${file} (line ${lines + 1} has no newline: the process stopped mid-append)`);
  fs.truncateSync(file, good);
  return good;
}

/** How long one step of a compaction may hold the event loop before requests get their turn. */
const COMPACTION_STEP_MS = 10;
/** How much of the log written during a compaction is copied per step, and what is left for the last one. */
const COPY_CHUNK_BYTES = 1024 * 1024;

/** A compaction under way: the new log being written beside the old one. */
interface Compaction {
  /** The new log, written as `<log>.compact` and renamed over the log when complete. */
  temp: number;
  /** The old log, read from `copied` on: the lines appended to it since the compaction began. */
  reader: number;
  copied: number;
  /** Bytes of the new log on disk, and written since its last fsync. */
  written: number;
  unsynced: number;
  lines: Iterator<WriteOp[]>;
  /** The snapshot is written: what is left is copying the lines appended meanwhile. */
  snapshotted: boolean;
  done(error?: Error): void;
}

/**
 * The log open for appends, and its compaction. An append writes a whole line or nothing: a
 * write that fails part way (a full disk) is cut back, so that a later append cannot leave half a
 * request in the middle of the log, where the next start would find it damaged.
 */
export class LogFile {
  private fd: number;
  private failed?: Error;
  private compaction?: Compaction;

  constructor(
    readonly file: string,
    /** The file's length: where the next line goes. */
    public size: number,
  ) {
    this.fd = fs.openSync(file, 'a');
  }

  get compacting(): boolean {
    return this.compaction !== undefined;
  }

  append(bytes: Buffer): void {
    if (this.failed) throw new Error(`the database log ${this.file} could not be repaired after a failed write (${this.failed.message}): restart the emulator`);
    try {
      writeAll(this.fd, bytes);
    } catch (error) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch (repair) {
        this.failed = repair as Error;
      }
      throw error;
    }
    this.size += bytes.length;
  }

  /**
   * Replaces the log with the lines `lines` yields (the live data) followed by every line
   * appended meanwhile, without holding up requests: the snapshot is written a step of at most
   * COMPACTION_STEP_MS at a time, fsynced off the event loop, then the lines appended since it
   * began are copied a chunk per step, and only the last chunk, an fsync of it and the rename
   * happen in one go (for a snapshot of at most a chunk, that is the whole compaction). `lines` may iterate the live collections while writes go on: a document
   * changed meanwhile is written in some later version, and the copied lines (all of them, in
   * order, idempotent puts and deletes) end in its latest. Appends go to the old log until the
   * rename, which is atomic: a crash at any moment leaves the old log with every acknowledged
   * write, or the new one with all of them; a leftover `<log>.compact` is never read.
   * `done` is told once, with the error if the compaction was given up (the log is then unchanged).
   */
  compact(lines: Iterator<WriteOp[]>, done: (error?: Error) => void): void {
    if (this.compaction) return;
    const temp = fs.openSync(compactionFile(this.file), 'w');
    this.compaction = { temp, reader: fs.openSync(this.file, 'r'), copied: this.size, written: 0, unsynced: 0, lines, snapshotted: false, done };
    setImmediate(() => this.step());
  }

  private step(): void {
    const job = this.compaction;
    if (!job) return;
    try {
      const until = performance.now() + COMPACTION_STEP_MS;
      while (!job.snapshotted && performance.now() < until) {
        const next = job.lines.next();
        if (next.done) job.snapshotted = true;
        else job.unsynced += writeAll(job.temp, encodeLine(next.value).bytes);
      }
      if (job.snapshotted) {
        while (this.size - job.copied > COPY_CHUNK_BYTES && performance.now() < until) this.copy(job, job.copied + COPY_CHUNK_BYTES);
        // The last step copies and fsyncs at most a chunk in one go (all of a small log's
        // compaction): what was written before it goes to disk off the event loop first.
        const left = this.size - job.copied;
        if (left <= COPY_CHUNK_BYTES && left + job.unsynced <= COPY_CHUNK_BYTES) return this.finish(job);
        if (left <= COPY_CHUNK_BYTES) return this.sync(job);
      }
      setImmediate(() => this.step());
    } catch (error) {
      this.giveUp(error as Error);
    }
  }

  /** fsyncs the new log on libuv's thread pool, then steps on. */
  private sync(job: Compaction): void {
    const bytes = job.unsynced;
    fs.fsync(job.temp, (error) => {
      if (this.compaction !== job) return;
      if (error) return this.giveUp(error);
      job.written += bytes;
      job.unsynced -= bytes;
      setImmediate(() => this.step());
    });
  }

  /** Copies the old log's bytes from `job.copied` to `end` into the new log. */
  private copy(job: Compaction, end: number): void {
    const chunk = Buffer.allocUnsafe(end - job.copied);
    for (let read = 0; read < chunk.length; ) {
      const got = fs.readSync(job.reader, chunk, read, chunk.length - read, job.copied + read);
      if (got === 0) throw new Error(`the database log ended at byte ${job.copied + read}, before the ${end} it was known to hold`);
      read += got;
    }
    job.unsynced += writeAll(job.temp, chunk);
    job.copied = end;
  }

  private finish(job: Compaction): void {
    this.copy(job, this.size);
    fs.fsyncSync(job.temp);
    fs.closeSync(job.temp);
    fs.closeSync(job.reader);
    fs.renameSync(compactionFile(this.file), this.file);
    // The new file is the log from here on: appends must go to it before anything else can fail.
    this.compaction = undefined;
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    this.size = job.written + job.unsynced;
    try {
      const dir = fs.openSync(path.dirname(this.file), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    } catch {
      // Only power loss could still undo the rename, and appends are not fsynced against it either.
    }
    job.done();
  }

  private giveUp(error: Error): void {
    const job = this.compaction;
    if (!job) return;
    this.compaction = undefined;
    this.discard(job);
    job.done(error);
  }

  private discard(job: Compaction): void {
    for (const fd of [job.temp, job.reader]) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed by the step that failed
      }
    }
    fs.rmSync(compactionFile(this.file), { force: true });
  }

  /** Closes the log; a compaction under way is dropped (the log stays whole without it). */
  close(): void {
    if (this.compaction) this.discard(this.compaction);
    this.compaction = undefined;
    fs.closeSync(this.fd);
  }
}

/** Writes all of `bytes` at the end of `fd`, however many writes that takes; returns their length. */
function writeAll(fd: number, bytes: Buffer): number {
  for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written, bytes.length - written);
  return bytes.length;
}
