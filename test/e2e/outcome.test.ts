// Outcome evidence with the real Codex: a turn that adds a file with apply_patch, edits another with `sed`
// in the shell, runs a test that fails, fixes the code, runs it again (it passes) and commits; then a second
// turn of the same session. The traces must carry exactly what git and the commands say.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskData } from '../../src/infinium/task-data';
import { taskData } from './support/expect-trace';
import { applyPatch, conversation, execCommand, message } from './support/model-server';
import { startWorld, type World } from './support/world';

const skipReason = inject('codexSkipReason');

const TEST_FILE = [
  "import test from 'node:test';",
  "import assert from 'node:assert';",
  "import { add, sub } from './calc.mjs';",
  "test('adds', () => assert.equal(add(2, 3), 5));",
  "test('subtracts', () => assert.equal(sub(5, 3), 2));",
];

const ADD_TEST = [
  '*** Begin Patch',
  '*** Add File: calc.test.mjs',
  ...TEST_FILE.map((l) => `+${l}`),
  '*** End Patch',
].join('\n');

const FIX_ADD = [
  '*** Begin Patch',
  '*** Update File: calc.mjs',
  '@@',
  '-export const add = (a, b) => a - b;',
  '+export const add = (a, b) => a + b;',
  '*** End Patch',
].join('\n');

function git(project: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: project,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: project },
  });
}

/** The session's snapshots as the worker keeps them (src/spool/snapshots.ts; `~` marks no session's). */
function snapshots(world: World): { by: string; tree: string }[] {
  const dir = join(world.sandbox.stateDir, 'snapshots');
  const list = readdirSync(dir).find((name) => name.endsWith('.json') && !name.startsWith('~'));
  return list
    ? (JSON.parse(readFileSync(join(dir, list), 'utf8')) as { snapshots: { by: string; tree: string }[] })
        .snapshots
    : [];
}

describe.skipIf(skipReason !== '')('real Codex: what came of a turn', () => {
  let world: World;
  let project: string;
  beforeAll(async () => {
    world = await startWorld({ capture: 'lean' });
    project = world.sandbox.project;
    git(project, 'init', '-q', '-b', 'main');
    git(project, 'config', 'user.email', 'dev@example.com');
    git(project, 'config', 'user.name', 'Dev');
    writeFileSync(
      join(project, 'calc.mjs'),
      'export const add = (a, b) => a - b;\nexport const sub = (a, b) => a - b;\n',
    );
    writeFileSync(join(project, 'README.md'), '# Calculator\n\nAdds and subtracts.\n');
    writeFileSync(join(project, '.gitignore'), '.infinium/\n');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'Start');
  });
  afterAll(async () => {
    await world?.close();
  });

  let first: TaskData;

  it('gives the exact files, line counts, check verdicts and commit of the turn', async () => {
    const headBefore = git(project, 'rev-parse', 'HEAD').trim();
    const replies = [
      {
        items: [applyPatch('o_patch_1', ADD_TEST)],
        usage: { input: 1000, output: 40 },
        // The model thinks until the worker the SessionStart hook started has taken its snapshot, as a real
        // model's first answer takes far longer than that; then the evidence can be complete.
        holdUntil: () => existsSync(join(world.sandbox.stateDir, 'snapshots')) && snapshots(world).length > 0,
      },
      {
        items: [
          execCommand('o_sed_1', "sed -i 's/Adds and subtracts./Adds and subtracts numbers./' README.md"),
        ],
        usage: { input: 1100, output: 30 },
      },
      { items: [execCommand('o_test_1', 'node --test')], usage: { input: 1200, output: 20 } },
      { items: [applyPatch('o_patch_2', FIX_ADD)], usage: { input: 1300, output: 30 } },
      { items: [execCommand('o_test_2', 'node --test')], usage: { input: 1400, output: 20 } },
      {
        items: [execCommand('o_commit_1', 'git add -A && git commit -q -m "Test and fix add"')],
        usage: { input: 1500, output: 25 },
      },
      { items: [message('Added tests, fixed add and committed.')], usage: { input: 1600, output: 15 } },
    ];
    await world.exec('Add tests for calc and fix what fails, then commit.', conversation(replies));
    const [trace] = await world.nextTraces(1);
    first = taskData(trace);
    const sha = git(project, 'rev-parse', '--short', 'HEAD').trim();
    const outcome = first.environment?.outcome;
    expect(outcome).toMatchObject({
      evidence: 'complete',
      files_source: 'git',
      git: {
        head_before: headBefore,
        head_after: git(project, 'rev-parse', 'HEAD').trim(),
        branch_before: 'main',
        branch_after: 'main',
        dirty_before: false,
        dirty_after: false,
      },
      files_changed: 3,
      lines_added: 7,
      lines_removed: 2,
      commits: [{ sha, subject: 'Test and fix add', files: 3 }],
      pushed: false,
      checks_final: { test: 'passed' },
    });
    expect(outcome?.files?.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'calc.mjs', status: 'modified', added: 1, removed: 1 },
      { path: 'calc.test.mjs', status: 'added', added: 5, removed: 0 },
      { path: 'README.md', status: 'modified', added: 1, removed: 1 },
    ]);
    const testSteps = (first.steps ?? [])
      .filter((step) => step.input === 'node --test')
      .map((s) => s.step_number);
    expect(outcome?.checks).toEqual([
      {
        kind: 'test',
        command: 'node --test',
        step_number: testSteps[0],
        exit_code: 1,
        status: 'failed',
        passed: 1,
        failed: 1,
        skipped: 0,
      },
      {
        kind: 'test',
        command: 'node --test',
        step_number: testSteps[1],
        exit_code: 0,
        status: 'passed',
        passed: 2,
        failed: 0,
        skipped: 0,
      },
    ]);
    expect(first.outcome).toBe(
      `Changed 3 files (+7 −2). Tests: \`node --test\` failed, then passed (2 passed). Committed ${sha} "Test and fix add".`,
    );
    expect(first.description.endsWith(`\n${first.outcome}`)).toBe(true);
    expect(first.development).toEqual({ programming_language: 'JavaScript', framework_used: 'node:test' });
    // The user's repository: nothing of ours in its index, refs or stash, no lock left.
    expect(git(project, 'status', '--porcelain')).toBe('');
    expect(git(project, 'stash', 'list')).toBe('');
    expect(git(project, 'for-each-ref', '--format=%(refname)').trim()).toBe('refs/heads/main');
    expect(existsSync(join(project, '.git', 'index.lock'))).toBe(false);
  });

  it('measures the next turn of the session from where the first ended', async () => {
    const replies = [
      {
        items: [execCommand('o2_echo_1', "printf 'More.\\n' >> README.md")],
        usage: { input: 1700, output: 20 },
        // The resumed session's SessionStart snapshot, before the turn's first tool call.
        holdUntil: () => snapshots(world).filter((snapshot) => snapshot.by.startsWith('start:')).length >= 2,
      },
      { items: [message('Added a line.')], usage: { input: 1800, output: 10 } },
    ];
    await world.exec('Add a line to the README.', conversation(replies), { resume: true });
    const [trace] = await world.nextTraces(1);
    const second = taskData(trace);
    expect(second.environment?.session_id).toBe(first.environment?.session_id);
    expect(second.environment?.outcome).toMatchObject({
      evidence: 'complete',
      git: {
        head_before: first.environment?.outcome?.git.head_after,
        dirty_before: false,
        dirty_after: true,
      },
      files_changed: 1,
      lines_added: 1,
      lines_removed: 0,
      files: [{ path: 'README.md', status: 'modified', added: 1, removed: 0 }],
      commits: [],
      checks: [],
      checks_final: {},
    });
    expect(second.outcome).toBe('Changed 1 file (+1 −0).');
    // The first turn's end snapshot is the tree the second turn started from (the resumed session's own
    // start snapshot found the same tree: nothing changed between the turns).
    const kept = snapshots(world);
    const firstEnd = kept.find(
      (snapshot) => snapshot.by.startsWith('end:') && snapshot.by !== kept.at(-1)?.by,
    );
    const secondStart = kept.filter((snapshot) => snapshot.by.startsWith('start:')).at(-1);
    expect(firstEnd?.tree).toBeDefined();
    expect(secondStart?.tree).toBe(firstEnd?.tree);
  });
});
