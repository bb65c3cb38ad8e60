// The pure parts of `import`: --since, the folder filter, and which past sessions and turns a plan holds.
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPastSession } from '../../../src/codex/rollout-sessions';
import { recordDecision } from '../../../src/config/consent';
import { insideFolder } from '../../../src/config/paths';
import { parseSince, pastRollouts, planImport } from '../../../src/worker/import';
import { placeRollout, TWO_TURNS } from '../../support/past-sessions';

const NOW = Date.parse('2026-11-30T10:00:00Z');

describe('parseSince', () => {
  it('takes days, dates (midnight UTC) and date-times', () => {
    expect(parseSince('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSince('0d', NOW)).toBe(NOW);
    expect(parseSince('2026-11-01', NOW)).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(parseSince('2026-11-25T11:32:59Z', NOW)).toBe(Date.parse('2026-11-25T11:32:59Z'));
    expect(parseSince('2026-11-25T11:32+02:00', NOW)).toBe(Date.parse('2026-11-25T09:32:00Z'));
    expect(parseSince(' 2026-11-01 ', NOW)).toBe(Date.parse('2026-11-01T00:00:00Z'));
  });

  it('refuses anything else, days that do not exist included', () => {
    for (const text of [
      '',
      'd',
      '7',
      '-7d',
      '7 days',
      'last week',
      '2026-02-30',
      '2026-13-01',
      '26-11-01',
      '2026-11-01T25:00',
    ])
      expect(parseSince(text, NOW), text).toBeNull();
  });
});

describe('insideFolder', () => {
  it('is the folder itself or one inside it, never a sibling with the same start', () => {
    expect(insideFolder('/home/me/work/demo', '/home/me/work/demo')).toBe(true);
    expect(insideFolder('/home/me/work/demo/', '/home/me/work/demo/src/lib')).toBe(true);
    expect(insideFolder('/home/me/work', '/home/me/work/demo')).toBe(true);
    expect(insideFolder('/home/me/work/demo', '/home/me/work/demo-2')).toBe(false);
    expect(insideFolder('/home/me/work/demo', '/home/me/work')).toBe(false);
    expect(insideFolder('/', '/anything')).toBe(true);
  });
});

describe('past sessions and the plan', () => {
  let root: string;
  let env: Record<string, string>;
  let project: string;
  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'icx-import-')));
    project = join(root, 'project');
    mkdirSync(join(project, '.infinium'), { recursive: true });
    writeFileSync(join(project, '.infinium', 'config.json'), JSON.stringify({ agentId: 'agent-1' }));
    env = { HOME: root, CODEX_HOME: join(root, 'codex'), INFINIUM_CODEX_HOME: join(root, 'state') };
    recordDecision(join(project, '.infinium', 'config.json'), 'allow', env);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a rollout into its turns: ids, times, prompts, folder, end', async () => {
    const placed = placeRollout(env.CODEX_HOME as string, project, TWO_TURNS.rollout, { openLastTurn: true });
    const read = await readPastSession(placed.path);
    expect(read?.session.id).toBe(TWO_TURNS.sessionId);
    expect(read?.cwd).toBe(project);
    expect(
      read?.turns.map(({ start: _start, ...turn }) => ({
        ...turn,
        startedAt: new Date(turn.startedAtMs).toISOString(),
      })),
    ).toMatchObject([
      {
        number: 1,
        turnId: TWO_TURNS.turnIds[0],
        prompt: 'first prompt',
        cwd: project,
        end: 'complete',
        startedAt: '2026-11-25T11:32:55.666Z',
      },
      {
        number: 2,
        turnId: TWO_TURNS.turnIds[1],
        prompt: 'second prompt',
        cwd: project,
        end: 'open',
        startedAt: '2026-11-25T11:32:59.984Z',
      },
    ]);
  });

  it('finds rollouts in sessions/ and archived_sessions/, and none without either', async () => {
    expect(await pastRollouts(env)).toBeNull();
    const live = placeRollout(env.CODEX_HOME as string, project, TWO_TURNS.rollout);
    const archived = join(env.CODEX_HOME as string, 'archived_sessions');
    mkdirSync(archived, { recursive: true });
    writeFileSync(join(archived, 'rollout-2026-11-20T08-00-00-x.jsonl'), '');
    writeFileSync(join(archived, 'notes.txt'), '');
    expect(await pastRollouts(env)).toEqual([
      join(archived, 'rollout-2026-11-20T08-00-00-x.jsonl'),
      live.path,
    ]);
  });

  it('holds the sessions with a turn since the time, inside the project, each session once', async () => {
    const files = [
      placeRollout(env.CODEX_HOME as string, project, TWO_TURNS.rollout).path,
      placeRollout(env.CODEX_HOME as string, join(root, 'other'), TWO_TURNS.rollout, {
        sessionId: '01a2127a-ec4e-7450-ae94-0000000000bb',
      }).path,
    ];
    // The same session archived too: read once.
    const plan = await planImport(env, [...files, files[0] as string], {
      sinceMs: Date.parse('2026-11-25T11:32:59Z'),
    });
    expect(
      plan.sessions.map((s) => [s.sessionId, s.turns.map((t) => [t.number, t.action, t.reason])]),
    ).toEqual([
      [TWO_TURNS.sessionId, [[2, 'import', undefined]]],
      ['01a2127a-ec4e-7450-ae94-0000000000bb', [[2, 'skip', 'no_agent']]],
    ]);
    const linked = join(root, 'linked');
    symlinkSync(project, linked);
    const throughLink = await planImport(env, files, { sinceMs: 0, project: linked });
    expect(throughLink.sessions.map((s) => s.sessionId)).toEqual([TWO_TURNS.sessionId]);
    const inProject = await planImport(env, files, { sinceMs: 0, project });
    expect(inProject.sessions.map((s) => s.sessionId)).toEqual([TWO_TURNS.sessionId]);
    expect(inProject.sessions[0]?.turns[0]?.key).toBe(`${TWO_TURNS.sessionId}~${TWO_TURNS.turnIds[0]}`);
  });

  it('does not read a file last written before --since', async () => {
    const old = join(env.CODEX_HOME as string, 'sessions', 'rollout-2025-01-01T00-00-00-x.jsonl');
    mkdirSync(join(old, '..'), { recursive: true });
    writeFileSync(old, 'not a rollout\n');
    utimesSync(old, new Date('2025-01-02T00:00:00Z'), new Date('2025-01-02T00:00:00Z'));
    expect((await planImport(env, [old], { sinceMs: Date.parse('2025-01-01T00:00:00Z') })).unreadable).toBe(
      1,
    );
    expect((await planImport(env, [old], { sinceMs: Date.parse('2025-01-03T00:00:00Z') })).unreadable).toBe(
      0,
    );
  });

  it('skips turns whose keys this machine knows: history, kept bodies, and numbered keys of old Codex', async () => {
    const placed = placeRollout(env.CODEX_HOME as string, project, TWO_TURNS.rollout);
    const state = env.INFINIUM_CODEX_HOME as string;
    const [first, second] = TWO_TURNS.turnIds;
    mkdirSync(join(state, 'history', 'payloads'), { recursive: true });
    writeFileSync(
      join(state, 'history', 'history.jsonl'),
      `${JSON.stringify({ key: `${TWO_TURNS.sessionId}~${first}` })}\n`,
    );
    writeFileSync(join(state, 'history', 'payloads', `${TWO_TURNS.sessionId}~${second}.json`), '{}');
    const reasons = async () =>
      (await planImport(env, [placed.path], { sinceMs: 0 })).sessions[0]?.turns.map((t) => t.reason);
    expect(await reasons()).toEqual(['traced', 'traced']);
    rmSync(join(state, 'history'), { recursive: true });
    // Traced live by Codex 0.114-0.116 (no turn id in its hooks): numbered keys that cannot be matched.
    mkdirSync(join(state, 'history'));
    writeFileSync(
      join(state, 'history', 'history.jsonl'),
      `${JSON.stringify({ key: `${TWO_TURNS.sessionId}~t1` })}\n`,
    );
    expect(await reasons()).toEqual(['traced_without_ids', 'traced_without_ids']);
  });
});
