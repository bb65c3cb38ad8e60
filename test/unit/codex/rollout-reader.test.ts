import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRolloutLine } from '../../../src/codex/rollout';
import {
  cursorAt,
  cursorFits,
  emptyState,
  findSessionRollout,
  isRolloutCursor,
  locateRollout,
  RolloutScanner,
  readSessionMeta,
} from '../../../src/codex/rollout-reader';
import { RolloutWriter } from './rollout-writer';

let home: string;
let path: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'codex-home-'));
  mkdirSync(join(home, 'sessions/2026/11/25'), { recursive: true });
  path = join(
    home,
    'sessions/2026/11/25/rollout-2026-11-25T10-00-00-01a20000-0000-7000-8000-000000000001.jsonl',
  );
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function twoTurns(): RolloutWriter {
  return new RolloutWriter()
    .sessionMeta()
    .startTurn('t1', 'first')
    .exec('t1', 'c1', 'ls', { output: 'a\n', exitCode: 0 })
    .usage('t1', 'r1', { input: 10, output: 1 })
    .agentMessage('t1', 'one')
    .complete('t1', 100, 'one')
    .startTurn('t2', 'second')
    .usage('t2', 'r2', { input: 20, output: 2 })
    .agentMessage('t2', 'two')
    .complete('t2', 100, 'two');
}

describe('parseRolloutLine', () => {
  it('ignores the types it leaves out on purpose, names unknown ones, and reports non-JSON lines', () => {
    expect(
      parseRolloutLine('{"timestamp":"2026-11-25T10:00:00Z","type":"world_state","payload":{}}', 0),
    ).toBeNull();
    expect(
      parseRolloutLine(
        '{"timestamp":"2026-11-25T10:00:00Z","type":"event_msg","payload":{"type":"new_thing"}}',
        0,
      ),
    ).toEqual({ atMs: Date.parse('2026-11-25T10:00:00Z'), kind: 'unread', lineType: 'event_msg:new_thing' });
    // Only the type's identifier is kept, never free text.
    expect(
      parseRolloutLine('{"type":"response_item","payload":{"type":"sk-live 1234 \\"secret\\""}}', 0),
    ).toMatchObject({ kind: 'unread', lineType: 'response_item:sk-live?1234??secret?' });
    expect(parseRolloutLine('{"type":"event_msg"', 0)).toBeTypeOf('symbol');
    expect(parseRolloutLine('[1,2]', 0)).toBeTypeOf('symbol');
  });

  it('stamps a line without a valid timestamp with the previous time', () => {
    const record = parseRolloutLine(
      '{"type":"event_msg","payload":{"type":"task_started","turn_id":"t"}}',
      1234,
    );
    expect(record).toMatchObject({ kind: 'task_started', atMs: 1234, turnId: 't' });
  });
});

describe('RolloutScanner', () => {
  it('keeps only the wanted turn and knows where it starts and ends', async () => {
    writeFileSync(path, twoTurns().text());
    const scanner = new RolloutScanner(path, emptyState(), { turnIds: ['t2'] });
    await scanner.readMore();
    const [turn] = scanner.turns;
    expect(scanner.turns).toHaveLength(1);
    expect(turn?.turnId).toBe('t2');
    expect(turn?.ended).toBe(true);
    expect(turn?.records.some((r) => r.kind === 'user_prompt' && r.text === 'second')).toBe(true);
    expect(turn?.start.session.cliVersion).toBe('0.169.0');
    expect(turn?.end?.offset).toBe(Buffer.byteLength(twoTurns().text()));
  });

  it("lists every turn in outline ('all'): where each starts and ends and its prompt, not its outputs", async () => {
    writeFileSync(path, twoTurns().text());
    const scanner = new RolloutScanner(path, emptyState(), 'all');
    await scanner.readMore();
    expect(scanner.turns.map((turn) => [turn.turnId, turn.ended])).toEqual([
      ['t1', true],
      ['t2', true],
    ]);
    const kinds = new Set(scanner.turns.flatMap((turn) => turn.records.map((record) => record.kind)));
    expect(kinds.has('user_prompt') && kinds.has('task_complete')).toBe(true);
    for (const bulk of ['tool_call', 'tool_output', 'tool_item', 'token_usage', 'agent_message'] as const)
      expect(kinds.has(bulk), bulk).toBe(false);
    // Each turn's start is a cursor the worker composes it from, token baseline included.
    const second = new RolloutScanner(path, scanner.turns[1]?.start ?? emptyState(), { turnIds: ['t2'] });
    await second.readMore();
    expect(second.turns[0]?.records.some((r) => r.kind === 'token_usage')).toBe(true);
  });

  it('leaves a torn last line for the next read, and counts garbage lines', async () => {
    const lines = twoTurns().lines;
    const last = lines.pop() as string;
    writeFileSync(
      path,
      `${lines.slice(0, 3).join('\n')}\nnot json at all\n${lines.slice(3).join('\n')}\n${last.slice(0, 30)}`,
    );
    const scanner = new RolloutScanner(path, emptyState(), { turnIds: ['t2'] });
    await scanner.readMore();
    expect(scanner.turns[0]?.ended).toBe(false);
    expect(scanner.stateNow.unparseable).toBe(1);
    appendFileSync(path, `${last.slice(30)}\n`);
    await scanner.readMore();
    expect(scanner.turns[0]?.ended).toBe(true);
    expect(scanner.stateNow.unparseable).toBe(1);
  });

  it('a turn_context written before its task_started, and again mid-turn, stays one turn', async () => {
    const w = new RolloutWriter().sessionMeta();
    w.line('turn_context', { turn_id: 't1', model: 'gpt-5.5' });
    w.startTurn('t1', 'first')
      .line('compacted', { message: 'summary' })
      .line('turn_context', { turn_id: 't1', model: 'gpt-5.5' })
      .complete('t1', 10, 'one')
      .startTurn('t2', 'second')
      .complete('t2', 10, 'two');
    writeFileSync(path, w.text());
    const scanner = new RolloutScanner(path, emptyState(), 'last');
    await scanner.readMore();
    const first = new RolloutScanner(path, emptyState(), 'first');
    await first.readMore();
    expect(first.turns[0]?.turnId).toBe('t1');
    expect(first.turns[0]?.records.filter((r) => r.kind === 'user_prompt')).toHaveLength(1);
    expect(first.turns[0]?.records.some((r) => r.kind === 'compaction')).toBe(true);
    expect(scanner.turns[0]?.turnId).toBe('t2');
  });

  it('older files: each turn_context without turn ids opens a turn', async () => {
    const w = new RolloutWriter()
      .sessionMeta({ cli_version: '0.46.0' })
      .oldTurn('first')
      .oldShell('c1', ['bash', '-lc', 'ls'], 'a\n', 0)
      .oldAgentMessage('one')
      .oldTurn('second')
      .oldAgentMessage('two');
    writeFileSync(path, w.text());
    const scanner = new RolloutScanner(path, emptyState(), 'last');
    await scanner.readMore();
    expect(scanner.turns).toHaveLength(1);
    expect(scanner.turns[0]?.records.find((r) => r.kind === 'user_prompt')).toMatchObject({ text: 'second' });
  });
});

describe('files without turn ids', () => {
  it('keep the turn with the hook prompt (and the first, as a fallback), not every turn', async () => {
    const w = new RolloutWriter().sessionMeta({ cli_version: '0.46.0' });
    for (const prompt of ['one', 'two', 'three', 'four']) w.oldTurn(prompt).oldAgentMessage(`${prompt} done`);
    writeFileSync(path, w.text());
    const scanner = new RolloutScanner(path, emptyState(), { prompt: 'three' });
    await scanner.readMore();
    const prompts = scanner.turns.map((turn) => turn.records.find((r) => r.kind === 'user_prompt'));
    expect(prompts.map((r) => r?.kind === 'user_prompt' && r.text)).toEqual(['one', 'three']);
    expect(scanner.turns.map((turn) => scanner.promptMatches(turn))).toEqual([false, true]);
    expect(scanner.turns[1]?.ended).toBe(true);
  });
});

describe('cursors', () => {
  it('fit only the same file, on a line boundary', async () => {
    const text = twoTurns().text();
    writeFileSync(path, text);
    const lineEnd = text.indexOf('\n') + 1;
    expect(await cursorFits(cursorAt(path, { ...emptyState(), offset: lineEnd }), path)).toBe(true);
    expect(await cursorFits(cursorAt(path, { ...emptyState(), offset: lineEnd + 3 }), path)).toBe(false);
    expect(
      await cursorFits(cursorAt(join(home, 'other.jsonl'), { ...emptyState(), offset: lineEnd }), path),
    ).toBe(false);
    expect(await cursorFits(cursorAt(path, { ...emptyState(), offset: text.length + 100 }), path)).toBe(
      false,
    );
  });
});

describe('locateRollout', () => {
  it('finds a rollout that moved to archived_sessions/', async () => {
    writeFileSync(path, twoTurns().text());
    mkdirSync(join(home, 'archived_sessions'));
    const archived = join(home, 'archived_sessions', path.split('/').pop() as string);
    renameSync(path, archived);
    expect(await locateRollout(path)).toBe(archived);
  });

  it('returns null when the rollout is nowhere', async () => {
    expect(await locateRollout(path)).toBeNull();
  });
});

// transcript-path-null (test/fixtures/field): Codex names no rollout, the file name carries the session id.
describe('findSessionRollout', () => {
  const id = '01a21000-0000-7000-8000-000000000104';
  it('finds the session by the id in the file name, newest day first, then among the archived', async () => {
    const older = join(home, 'sessions/2026/10/01', `rollout-2026-10-01T09-00-00-${id}.jsonl`);
    const newer = join(home, 'sessions/2026/11/25', `rollout-2026-11-25T10-00-00-${id}.jsonl`);
    mkdirSync(join(home, 'sessions/2026/10/01'), { recursive: true });
    writeFileSync(older, '');
    expect(await findSessionRollout(id, home)).toBe(older);
    writeFileSync(newer, '');
    writeFileSync(join(home, 'sessions/2026/11/25', 'rollout-2026-11-25T10-00-00-other.jsonl'), '');
    expect(await findSessionRollout(id, home)).toBe(newer);
    rmSync(join(home, 'sessions'), { recursive: true });
    mkdirSync(join(home, 'archived_sessions'));
    const archived = join(home, 'archived_sessions', `rollout-2026-11-25T10-00-00-${id}.jsonl`);
    writeFileSync(archived, '');
    expect(await findSessionRollout(id, home)).toBe(archived);
  });

  it('returns null for an ephemeral session, and never globs with a strange id', async () => {
    expect(await findSessionRollout(id, home)).toBeNull();
    expect(await findSessionRollout('../*', home)).toBeNull();
  });
});

describe('long lines', () => {
  it('reads a line far longer than a read chunk', async () => {
    const big = 'x'.repeat(9 << 20);
    const w = new RolloutWriter()
      .sessionMeta()
      .startTurn('t1', 'print a lot')
      .exec('t1', 'c1', 'cat big', { output: big, exitCode: 0 })
      .complete('t1', 100, 'done');
    writeFileSync(path, w.text());
    const scanner = new RolloutScanner(path, emptyState(), { turnIds: ['t1'] });
    await scanner.readMore();
    const item = scanner.turns[0]?.records.find((r) => r.kind === 'tool_item');
    expect(item?.kind === 'tool_item' && item.item.type === 'command' && item.item.output?.length).toBe(
      big.length,
    );
    expect(scanner.turns[0]?.ended).toBe(true);
    expect(scanner.stateNow.offset).toBe(Buffer.byteLength(w.text()));
  });
});

describe('readSessionMeta', () => {
  it('reads a session_meta line longer than a read chunk, multi-byte text across its ends included', async () => {
    const text = `${'é'.repeat(50_001)}€`.repeat(3);
    const lines = twoTurns().text().split('\n');
    const meta = new RolloutWriter().sessionMeta({ base_instructions: { text } }).text();
    writeFileSync(path, meta + lines.slice(1).join('\n'));
    const read = await readSessionMeta(path);
    expect(read?.session.id).toBe('01a20000-0000-7000-8000-000000000001');
    expect(read?.cwd).toBe('/home/dev/project');
  });

  it('is null while the first line is not whole, and for a first line over 1 MB', async () => {
    const meta = new RolloutWriter().sessionMeta().text();
    writeFileSync(path, meta.slice(0, -1));
    expect(await readSessionMeta(path)).toBeNull();
    appendFileSync(path, '\n');
    expect((await readSessionMeta(path))?.session.id).toBe('01a20000-0000-7000-8000-000000000001');
    const huge = new RolloutWriter().sessionMeta({ base_instructions: { text: 'x'.repeat(1 << 20) } });
    writeFileSync(path, huge.text());
    expect(await readSessionMeta(path)).toBeNull();
  });
});

describe('isRolloutCursor', () => {
  it('accepts what cursorAt makes and rejects damaged JSON', () => {
    const good = cursorAt(path, { ...emptyState(), offset: 10 });
    expect(isRolloutCursor(JSON.parse(JSON.stringify(good)))).toBe(true);
    for (const bad of [
      null,
      'x',
      {},
      { ...good, v: 2 },
      { ...good, offset: -1 },
      { ...good, offset: '10' },
      { ...good, session: null },
    ]) {
      expect(isRolloutCursor(bad)).toBe(false);
    }
  });
});
