/**
 * The database log's file: one line per acknowledged write request, `<checksum> <JSON>\n`, where
 * the JSON is the request's writes (`[["p", collection, doc], ["d", collection, id], ["c",
 * collection]]`, documents in relaxed EJSON) and the checksum the first 8 hex digits of the
 * SHA-256 of that JSON, written by the same append. A line is one write() of one buffer, so a
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
import { decodeStored, encode } from './ejson';
import type { WriteOp } from './state';

const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const CHECKSUM_HEX = 8;
const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;
const SPACE = 0x20;

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

/**
 * The log open for appends. An append writes a whole line or nothing: a write that fails part
 * way (a full disk) is cut back, so that a later append cannot leave half a request in the
 * middle of the log, where the next start would find it damaged.
 */
export class LogFile {
  private fd: number;
  private failed?: Error;

  constructor(
    readonly file: string,
    /** The file's length: where the next line goes. */
    public size: number,
  ) {
    this.fd = fs.openSync(file, 'a');
  }

  append(bytes: Buffer): void {
    if (this.failed) throw new Error(`the database log ${this.file} could not be repaired after a failed write (${this.failed.message}): restart the emulator`);
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(this.fd, bytes, written, bytes.length - written);
    } catch (error) {
      if (written > 0) {
        try {
          fs.ftruncateSync(this.fd, this.size);
        } catch (repair) {
          this.failed = repair as Error;
        }
      }
      throw error;
    }
    this.size += bytes.length;
  }

  /** Reopens the file after it was replaced (compaction's rename): appends go to the new one. */
  reopen(size: number): void {
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    this.size = size;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
