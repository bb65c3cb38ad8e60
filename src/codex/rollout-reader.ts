// Reads a rollout incrementally: from a remembered byte offset (RolloutCursor) to the last complete line,
// so a turn at the end of a 200 MB session costs what a turn at its start does. Lines are grouped into
// turns (task_started ... task_complete | turn_aborted); only the wanted turns' records are kept.
// A torn last line is left for the next read; a line that is not JSON is counted and skipped.
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  parseRolloutLine,
  type RolloutRecord,
  type SessionFacts,
  type TokenCounts,
  UNPARSEABLE,
} from './rollout';

/**
 * What the worker keeps per session between runs (as JSON). Only offsets, ids, counters and model/version
 * metadata: never prompt, command or output text, because only redacted text may be kept on disk.
 * Everything in it describes the file AT `offset`, so reading resumes there with the right token baseline.
 */
export interface RolloutCursor {
  v: 1;
  /** Where the rollout was last found (it may have moved to archived_sessions/). */
  path: string;
  /** Byte offset of the first line not yet consumed by a finished turn. */
  offset: number;
  session: SessionFacts;
  /** The latest turn_context model before `offset`. */
  model?: string;
  /** The latest cumulative token_count total before `offset` (older builds count tokens this way). */
  tokenTotal?: TokenCounts;
  /** Lines before `offset` that were not JSON. */
  unparseable: number;
}

/** Reader state at one byte offset: the cursor minus its path. */
type ScanState = Omit<RolloutCursor, 'v' | 'path'>;

export interface RolloutTurn {
  turnId?: string;
  records: RolloutRecord[];
  /** task_complete or turn_aborted was read. */
  ended: boolean;
  /** The cumulative token_count total before the turn's first line. */
  tokenBaseline?: TokenCounts;
  /** The model in force when the turn started (its own turn_context overrides it). */
  modelBefore?: string;
  /** The time of the turn's last line read (epoch ms). */
  lastAtMs?: number;
  start: ScanState;
  end?: ScanState;
}

/**
 * Which turns to keep: by id; the first or the last one read; every one in outline (`all`: only the lines
 * that open and end a turn and its prompts, so `import` lists a whole past session without holding its
 * outputs); or, for files without turn ids, the turn whose prompt is `prompt` (and the first one read, as
 * the fallback when none matches).
 */
export type TurnSelection =
  | { turnIds: readonly string[] }
  | { prompt: string | undefined }
  | 'first'
  | 'last'
  | 'all';

// Reads start small (a turn is usually a few hundred KB past the cursor) and grow for long scans.
const FIRST_CHUNK_BYTES = 256 << 10;
const MAX_CHUNK_BYTES = 4 << 20;
// Lines that only matter inside a wanted turn can be skipped unparsed elsewhere; the check reads the line's
// head, where Codex writes "type" and the event's own "type".
const HEAD_BYTES = 200;
const STATE_EVENTS = ['"task_started"', '"task_complete"', '"turn_aborted"', '"token_count"'];
/** The records an outline (`all`) keeps of each turn. */
const OUTLINE = new Set<RolloutRecord['kind']>([
  'turn_context',
  'task_started',
  'user_prompt',
  'task_complete',
  'turn_aborted',
]);

/** The bulk of a rollout (model items with their outputs, per-response usage): no turn outline needs it. */
function bulkLine(head: string): boolean {
  return head.includes('"type":"response_item"') || head.includes('"type":"token_usage_record"');
}

function skippableOutsideTurn(head: string): boolean {
  if (bulkLine(head)) return true;
  const event = head.indexOf('"type":"event_msg","payload":{"type":');
  if (event < 0) return false;
  return !STATE_EVENTS.some((name) =>
    head.startsWith(name, event + '"type":"event_msg","payload":{"type":'.length),
  );
}

/** Where a rollout lives now: its own path, else the same file under `$CODEX_HOME/archived_sessions/`. */
export async function locateRollout(transcriptPath: string, codexHome?: string): Promise<string | null> {
  if (await isFile(transcriptPath)) return transcriptPath;
  const name = basename(transcriptPath);
  const homes = new Set<string>();
  // $CODEX_HOME/sessions/YYYY/MM/DD/<file>
  const sessionsDir = dirname(dirname(dirname(dirname(transcriptPath))));
  if (basename(sessionsDir) === 'sessions') homes.add(dirname(sessionsDir));
  if (codexHome) homes.add(codexHome);
  for (const home of homes) {
    const found = await findFile(join(home, 'archived_sessions'), name, 4);
    if (found) return found;
  }
  return null;
}

/** Day folders (sessions/YYYY/MM/DD) looked at, newest first, before giving up on a session's rollout. */
const MAX_DAY_FOLDERS = 1_000;

/**
 * A session's rollout when no hook payload named it (Codex sent `transcript_path: null` though it wrote
 * one): `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<session id>.jsonl`, newest day first, then the
 * same name under archived_sessions/. Bounded to the newest MAX_DAY_FOLDERS days; null when there is none
 * (an ephemeral session writes no rollout).
 */
export async function findSessionRollout(sessionId: string, codexHome: string): Promise<string | null> {
  if (!/^[\w-]+$/.test(sessionId)) return null;
  const matches = (name: string) => name.startsWith('rollout-') && name.endsWith(`-${sessionId}.jsonl`);
  const newestFirst = async (dir: string) => {
    try {
      return (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(dir, entry.name))
        .sort()
        .reverse();
    } catch {
      return [];
    }
  };
  let days = 0;
  for (const year of await newestFirst(join(codexHome, 'sessions'))) {
    for (const month of await newestFirst(year)) {
      for (const day of await newestFirst(month)) {
        if (++days > MAX_DAY_FOLDERS) return null;
        const name = (await readdir(day).catch(() => [] as string[])).find(matches);
        if (name) return join(day, name);
      }
    }
  }
  const archived = join(codexHome, 'archived_sessions');
  const name = (await readdir(archived).catch(() => [] as string[])).find(matches);
  return name ? join(archived, name) : null;
}

/** session_meta carries Codex's base instructions: tens of KB. */
const SESSION_META_MAX_BYTES = 1 << 20;
/** Read this much at a time until the first line is whole: not the whole (growing) rollout. */
const SESSION_META_CHUNK_BYTES = 64 * 1024;

/**
 * A rollout's first line, its session_meta: the session's facts and the folder it started in. Null when the
 * file cannot be read or does not open with a session_meta line. Reads at most 1 MB.
 */
export async function readSessionMeta(path: string): Promise<{ session: SessionFacts; cwd?: string } | null> {
  let line: string | null;
  try {
    const handle = await open(path, 'r');
    try {
      line = await firstLine(handle, SESSION_META_MAX_BYTES);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  const meta = line === null ? null : parseRolloutLine(line, 0);
  if (!meta || meta === UNPARSEABLE || meta.kind !== 'session_meta') return null;
  return { session: meta.session, ...(meta.cwd ? { cwd: meta.cwd } : {}) };
}

/** The file's first line (without its newline), or null when none ends within `maxBytes`. */
async function firstLine(handle: FileHandle, maxBytes: number): Promise<string | null> {
  const buffer = Buffer.allocUnsafe(maxBytes);
  let filled = 0;
  while (filled < maxBytes) {
    const { bytesRead } = await handle.read(
      buffer,
      filled,
      Math.min(SESSION_META_CHUNK_BYTES, maxBytes - filled),
      filled,
    );
    if (bytesRead === 0) return null;
    // A newline byte is never part of a multi-byte UTF-8 character: the line decodes whole.
    const newline = buffer.subarray(filled, filled + bytesRead).indexOf(0x0a);
    if (newline >= 0) return buffer.toString('utf8', 0, filled + newline);
    filled += bytesRead;
  }
  return null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function findFile(dir: string, name: string, depth: number): Promise<string | null> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  for (const entry of entries) if (entry.isFile() && entry.name === name) return join(dir, entry.name);
  if (depth === 0) return null;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const found = await findFile(join(dir, entry.name), name, depth - 1);
    if (found) return found;
  }
  return null;
}

export function emptyState(): ScanState {
  return { offset: 0, session: {}, unparseable: 0 };
}

/**
 * One pass over a rollout from a starting state. `readMore()` can be called again after the file grew
 * (waiting for task_complete): it continues where it stopped.
 */
export class RolloutScanner {
  private position: number;
  private state: ScanState;
  private lastAtMs = 0;
  private current: RolloutTurn | undefined;
  private keepingCurrent = false;
  /** The open turn has had its task_started line / this many turn_context lines. */
  private currentStarted = false;
  private currentContexts = 0;
  private seenTurns = 0;
  readonly turns: RolloutTurn[] = [];

  constructor(
    readonly path: string,
    start: ScanState,
    private readonly selection: TurnSelection,
  ) {
    this.state = { ...start, session: { ...start.session } };
    this.position = start.offset;
  }

  /** The state at the end of the last complete line read. */
  get stateNow(): ScanState {
    return this.snapshot();
  }

  async readMore(): Promise<void> {
    const handle = await open(this.path, 'r');
    try {
      await this.readFrom(handle);
    } finally {
      await handle.close();
    }
  }

  private async readFrom(handle: FileHandle): Promise<void> {
    const size = (await handle.stat()).size;
    // Bytes of a line that spans chunks, kept as a list so a very long line is copied once, not per chunk.
    let pending: Buffer[] = [];
    let lineOffset = this.position;
    let readAt = this.position;
    let chunkBytes = FIRST_CHUNK_BYTES;
    while (readAt < size) {
      const length = Math.min(chunkBytes, size - readAt);
      chunkBytes = Math.min(chunkBytes * 2, MAX_CHUNK_BYTES);
      const chunk = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(chunk, 0, length, readAt);
      if (bytesRead === 0) break;
      const chunkStart = readAt;
      readAt += bytesRead;
      const data = chunk.subarray(0, bytesRead);
      let newline = data.indexOf(10);
      if (newline < 0) {
        pending.push(data);
        continue;
      }
      if (pending.length > 0) {
        const line = Buffer.concat([...pending, data.subarray(0, newline + 1)]);
        this.line(line, 0, line.length - 1, chunkStart + newline + 1);
        pending = [];
      } else {
        this.line(data, 0, newline, chunkStart + newline + 1);
      }
      let lineStart = newline + 1;
      for (newline = data.indexOf(10, lineStart); newline >= 0; newline = data.indexOf(10, lineStart)) {
        this.line(data, lineStart, newline, chunkStart + newline + 1);
        lineStart = newline + 1;
      }
      lineOffset = chunkStart + lineStart;
      if (lineStart < data.length) pending.push(data.subarray(lineStart));
      // The wanted turns are read whole: the rest of a large file is not needed (checked per chunk, so
      // the lines Codex writes just after a turn's end, like an interrupted command's item, come along).
      if (this.complete()) break;
    }
    // A torn last line stays unread: it is read whole once Codex finishes writing it.
    this.position = lineOffset;
  }

  /** Every wanted turn has been read to its end. */
  private complete(): boolean {
    const selection = this.selection;
    if (selection === 'first') return this.turns[0]?.ended === true;
    if (selection === 'last' || selection === 'all') return false;
    if ('prompt' in selection) return this.turns.some((turn) => turn.ended && this.promptMatches(turn));
    return this.turns.length === selection.turnIds.length && this.turns.every((turn) => turn.ended);
  }

  promptMatches(turn: RolloutTurn): boolean {
    const selection = this.selection;
    if (typeof selection !== 'object' || !('prompt' in selection)) return false;
    return turn.records.some((record) => record.kind === 'user_prompt' && record.text === selection.prompt);
  }

  private line(data: Buffer, start: number, end: number, nextOffset: number): void {
    const outline = this.selection === 'all';
    if (end > start && (!this.keepingCurrent || outline)) {
      const head = data.toString('latin1', start, Math.min(end, start + HEAD_BYTES));
      if (this.keepingCurrent ? bulkLine(head) : skippableOutsideTurn(head)) {
        this.state.offset = nextOffset;
        return;
      }
    }
    // Codex ends lines with \n; a \r before it (a file that went through Windows tools) is dropped.
    const last = end > start && data[end - 1] === 13 ? end - 1 : end;
    if (last > start)
      this.record(parseRolloutLine(data.toString('utf8', start, last), this.lastAtMs), nextOffset);
    this.state.offset = nextOffset;
  }

  private record(record: RolloutRecord | null | typeof UNPARSEABLE, nextOffset: number): void {
    if (record === UNPARSEABLE) {
      this.state.unparseable += 1;
      return;
    }
    if (record === null) return;
    this.lastAtMs = record.atMs;
    if (this.startsTurn(record)) this.beginTurn(record);
    if (this.keepingCurrent && this.current && !this.current.ended) this.current.lastAtMs = record.atMs;
    if (this.keepingCurrent && (this.selection !== 'all' || OUTLINE.has(record.kind))) {
      this.current?.records.push(record);
    }
    if (record.kind === 'user_prompt') this.dropIfOtherPrompt(record.text);
    switch (record.kind) {
      case 'session_meta':
        // A forked or sub-agent file replays its parent's meta after its own: the first one is this file's.
        if (this.state.session.id === undefined) this.state.session = record.session;
        break;
      case 'turn_context':
        if (record.model) this.state.model = record.model;
        if (this.current && !this.current.turnId && record.turnId) this.current.turnId = record.turnId;
        break;
      case 'token_count':
        if (record.total) this.state.tokenTotal = record.total;
        break;
      case 'task_complete':
      case 'turn_aborted':
        if (
          this.current &&
          (!record.turnId || !this.current.turnId || record.turnId === this.current.turnId)
        ) {
          this.current.ended = true;
          this.current.end = { ...this.snapshot(), offset: nextOffset };
        }
        break;
    }
  }

  private startsTurn(record: RolloutRecord): boolean {
    const current = this.current;
    const open = current !== undefined && !current.ended;
    const sameId = (turnId: string | undefined) => !turnId || !current?.turnId || turnId === current.turnId;
    if (record.kind === 'task_started') {
      // A turn a turn_context line opened gets its task_started afterwards: the same turn.
      if (open && !this.currentStarted && sameId(record.turnId)) {
        this.currentStarted = true;
        if (record.turnId) current.turnId = record.turnId;
        return false;
      }
      return true;
    }
    if (record.kind !== 'turn_context') return false;
    this.currentContexts += 1;
    // Older builds have no task_started: a turn_context opens a turn unless it belongs to the open one
    // (Codex writes it again mid-turn, after a compaction).
    if (!open) return true;
    if (record.turnId) return !sameId(record.turnId);
    return !this.currentStarted && this.currentContexts > 1;
  }

  private beginTurn(record: RolloutRecord & { turnId?: string }): void {
    // The task_started line itself has not been applied yet: the state is the one before the turn.
    const start = this.snapshot();
    // A turn that never wrote its end (older builds never do; a crash) is over when the next one starts.
    if (this.current && !this.current.ended) {
      this.current.ended = true;
      this.current.end = start;
    }
    const turn: RolloutTurn = {
      turnId: record.turnId,
      records: [],
      ended: false,
      tokenBaseline: this.state.tokenTotal,
      modelBefore: this.state.model,
      start,
    };
    this.seenTurns += 1;
    const selection = this.selection;
    let keep: boolean;
    if (selection === 'first') keep = this.seenTurns === 1;
    else if (selection === 'last' || selection === 'all' || 'prompt' in selection) keep = true;
    else keep = record.turnId !== undefined && selection.turnIds.includes(record.turnId);
    if (selection === 'last') this.turns.length = 0;
    this.current = turn;
    this.currentStarted = record.kind === 'task_started';
    this.currentContexts = record.kind === 'turn_context' ? 1 : 0;
    this.keepingCurrent = keep;
    if (keep) this.turns.push(turn);
  }

  /** Prompt selection: a turn (other than the first, the fallback) with another prompt is let go. */
  private dropIfOtherPrompt(text: string): void {
    const selection = this.selection;
    if (typeof selection !== 'object' || !('prompt' in selection) || text === selection.prompt) return;
    const current = this.current;
    if (!this.keepingCurrent || !current || this.turns[0] === current) return;
    if (current.records.filter((record) => record.kind === 'user_prompt').length > 1) return;
    this.turns.splice(this.turns.indexOf(current), 1);
    this.keepingCurrent = false;
  }

  private snapshot(): ScanState {
    return {
      offset: this.state.offset,
      session: { ...this.state.session },
      model: this.state.model,
      tokenTotal: this.state.tokenTotal,
      unparseable: this.state.unparseable,
    };
  }
}

/** A cursor as persisted by the worker (JSON from disk): anything else is ignored, not trusted. */
export function isRolloutCursor(value: unknown): value is RolloutCursor {
  if (typeof value !== 'object' || value === null) return false;
  const cursor = value as Partial<RolloutCursor>;
  return (
    cursor.v === 1 &&
    typeof cursor.path === 'string' &&
    Number.isSafeInteger(cursor.offset) &&
    (cursor.offset as number) >= 0 &&
    typeof cursor.session === 'object' &&
    cursor.session !== null &&
    Number.isSafeInteger(cursor.unparseable)
  );
}

/** Checks that a cursor still fits the file: same name, not past its end, on a line boundary. */
export async function cursorFits(cursor: RolloutCursor, path: string): Promise<boolean> {
  if (basename(cursor.path) !== basename(path)) return false;
  if (cursor.offset === 0) return true;
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const byte = Buffer.alloc(1);
    const { bytesRead } = await handle.read(byte, 0, 1, cursor.offset - 1);
    return bytesRead === 1 && byte[0] === 10;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

export function cursorAt(path: string, state: ScanState): RolloutCursor {
  const cursor: RolloutCursor = { v: 1, path, ...state, session: { ...state.session } };
  for (const key of ['model', 'tokenTotal'] as const) if (cursor[key] === undefined) delete cursor[key];
  return cursor;
}
