import { describe, expect, it } from 'vitest';
import { taskDataProblems } from '../../../src/infinium/task-data';
import type { ToolActivity } from '../../../src/trace/activity';
import {
  type GitEvidence,
  type OutcomeText,
  type PlacedTool,
  patchChanges,
  turnOutcome,
} from '../../../src/trace/outcome';

const T0 = Date.parse('2026-12-07T10:00:00Z');
let callCount = 0;

function command(input: string, exitCode: number, output = '', atOffset = callCount): PlacedTool {
  callCount += 1;
  const tool: ToolActivity = {
    type: 'tool',
    callId: `c${callCount}`,
    name: 'exec_command',
    kind: 'command',
    input,
    output,
    exitCode,
    status: exitCode === 0 ? 'success' : 'failure',
    atMs: T0 + 1_000 * (atOffset + 1),
  };
  return { tool, stepNumber: atOffset + 2 };
}

function patch(body: string, atOffset: number): PlacedTool {
  return {
    tool: {
      type: 'tool',
      callId: `p${atOffset}`,
      name: 'apply_patch',
      kind: 'patch',
      input: body,
      status: 'success',
      atMs: T0 + 1_000 * (atOffset + 1),
    },
    stepNumber: atOffset + 2,
  };
}

const full: OutcomeText = { withText: true, excerpt: (text) => text };
const metadata: OutcomeText = { withText: false, excerpt: () => undefined };

const git: GitEvidence = {
  available: true,
  before: { head: 'a'.repeat(40), branch: 'main', dirty: false, atMs: T0 - 5_000 },
  after: { head: 'b'.repeat(40), branch: 'main', dirty: false, atMs: T0 + 60_000 },
  files: [
    { path: 'src/empty.ts', status: 'added', added: 30, removed: 0 },
    { path: 'src/parse.ts', status: 'modified', added: 10, removed: 7 },
    { path: 'test/parse.test.ts', status: 'modified', added: 2, removed: 0 },
  ],
  commits: [{ sha: 'a1b2c3d', subject: 'Fix the empty-input case', files: 3 }],
};

const VITEST_FAILED = ' Test Files  1 failed (1)\n      Tests  1 failed | 11 passed (12)\n';
const VITEST_PASSED = ' Test Files  1 passed (1)\n      Tests  12 passed (12)\n';

describe('turn outcome', () => {
  it('says what changed, how the checks ended and what was committed', () => {
    callCount = 0;
    const tools = [
      command('npm test', 1, VITEST_FAILED),
      command("sed -i 's/a/b/' src/parse.ts", 0),
      command('npm test', 0, VITEST_PASSED),
      command('npx tsc --noEmit', 0),
      command('git commit -am "Fix the empty-input case"', 0),
      command('git push -u origin fix', 0),
      command('gh pr create --fill', 0, 'https://github.com/acme/app/pull/42\n'),
    ];
    const outcome = turnOutcome(tools, git, full);
    expect(outcome.sentence).toBe(
      'Changed 3 files (+42 −7). Tests: `npm test` failed, then passed (12 passed). Type check: `npx tsc --noEmit` passed. ' +
        'Committed a1b2c3d "Fix the empty-input case". Pushed. Opened pull request https://github.com/acme/app/pull/42.',
    );
    expect(outcome.evidence).toMatchObject({
      evidence: 'complete',
      files_source: 'git',
      files_changed: 3,
      lines_added: 42,
      lines_removed: 7,
      commits: [{ sha: 'a1b2c3d', subject: 'Fix the empty-input case', files: 3 }],
      pushed: true,
      pull_request_url: 'https://github.com/acme/app/pull/42',
      checks_final: { test: 'passed', typecheck: 'passed' },
      git: {
        head_before: 'a'.repeat(40),
        head_after: 'b'.repeat(40),
        branch_before: 'main',
        dirty_after: false,
      },
    });
    expect(outcome.evidence.checks).toEqual([
      {
        kind: 'test',
        command: 'npm test',
        step_number: 2,
        exit_code: 1,
        status: 'failed',
        passed: 11,
        failed: 1,
        skipped: 0,
      },
      {
        kind: 'test',
        command: 'npm test',
        step_number: 4,
        exit_code: 0,
        status: 'passed',
        passed: 12,
        failed: 0,
        skipped: 0,
      },
      { kind: 'typecheck', command: 'npx tsc --noEmit', step_number: 5, exit_code: 0, status: 'passed' },
    ]);
    expect(outcome.development).toEqual({ programming_language: 'TypeScript', framework_used: 'vitest' });
  });

  it('keeps counts and drops paths, commands, subjects and URLs in metadata mode', () => {
    callCount = 0;
    const outcome = turnOutcome(
      [
        command('npx vitest run', 1, VITEST_FAILED),
        command('gh pr create', 0, 'https://github.com/a/b/pull/1'),
      ],
      git,
      metadata,
    );
    expect(outcome.evidence.files).toBeUndefined();
    expect(outcome.evidence.files_changed).toBe(3);
    expect(outcome.evidence.pull_request_url).toBeUndefined();
    expect(outcome.evidence.commits).toEqual([{ sha: 'a1b2c3d', files: 3 }]);
    expect(outcome.evidence.checks[0]?.command).toBe('vitest');
    expect(outcome.sentence).toBe(
      'Changed 3 files (+42 −7). Tests: `vitest` failed (11 passed, 1 failed). Committed a1b2c3d.',
    );
  });

  it('says partial when the start snapshot came after the first tool call', () => {
    callCount = 0;
    const late: GitEvidence = { ...git, before: { ...git.before, atMs: T0 + 1_500 } } as GitEvidence;
    const outcome = turnOutcome([command('ls', 0), command('make', 0)], late, full);
    expect(outcome.evidence.evidence).toBe('partial');
    expect(outcome.evidence.reason).toMatch(/after the turn's first tool call/);
  });

  it('falls back to the patches the rollout records when git is unavailable', () => {
    const patches = [
      patch(
        '*** Begin Patch\n*** Add File: src/new.py\n+a\n+b\n*** Update File: src/old.py\n@@\n-x\n+y\n+z\n*** End Patch',
        0,
      ),
      patch(
        '*** Begin Patch\n*** Update File: src/old.py\n*** Move to: src/renamed.py\n@@\n-q\n*** Delete File: src/gone.py\n*** End Patch',
        1,
      ),
    ];
    const outcome = turnOutcome(
      patches,
      { available: false, reason: 'the folder is not in a git repository' },
      full,
    );
    expect(outcome.evidence).toMatchObject({
      evidence: 'unavailable',
      reason: 'the folder is not in a git repository',
      files_source: 'rollout_patches',
      files_changed: 3,
      lines_added: 4,
      lines_removed: 2,
    });
    expect(outcome.sentence).toBe('Changed 3 files (+4 −2) by its patches (git evidence unavailable).');
    expect(outcome.development).toEqual({ programming_language: 'Python' });
  });

  it('says no files changed on a turn that changed nothing, and nothing of checks it did not run', () => {
    const outcome = turnOutcome([], { ...git, files: [], commits: [] } as GitEvidence, full);
    expect(outcome.sentence).toBe('Changed no files.');
    expect(outcome.evidence).toMatchObject({ files_changed: 0, checks: [], checks_final: {}, pushed: false });
    expect(outcome.development).toBeUndefined();
  });

  it('lists at most 200 files and counts the rest; the body passes the API rules', () => {
    const many: GitEvidence = {
      ...git,
      files: Array.from({ length: 250 }, (_, i) => ({
        path: `f${i}.go`,
        status: 'added' as const,
        added: 1,
        removed: 0,
      })),
    } as GitEvidence;
    const outcome = turnOutcome([], many, full);
    expect(outcome.evidence.files).toHaveLength(200);
    expect(outcome.evidence.files_not_listed).toBe(50);
    const body = {
      name: 'x',
      description: 'y',
      current_datetime: '2026-12-07T10:00:00Z',
      duration: 1,
      outcome: outcome.sentence,
      development: outcome.development,
      environment: { agent: 'codex-cli' as const, outcome: outcome.evidence },
    };
    expect(taskDataProblems(JSON.parse(JSON.stringify(body)))).toEqual([]);
    expect(
      taskDataProblems({
        ...body,
        environment: { agent: 'codex-cli', outcome: { ...outcome.evidence, lines_added: -1 } },
      }),
    ).toEqual(['environment.outcome.lines_added must be a whole number >= 0']);
  });

  it('reads a coverage total into development.test_coverage', () => {
    callCount = 0;
    const outcome = turnOutcome(
      [command('npx jest --coverage', 0, 'All files |   85.71 |  50 |\nTests:       3 passed, 3 total\n')],
      git,
      full,
    );
    expect(outcome.development).toEqual({
      programming_language: 'TypeScript',
      framework_used: 'jest',
      test_coverage: 85.71,
    });
  });
});

describe('patch changes', () => {
  it('counts a file patched twice once', () => {
    expect(
      patchChanges([
        '*** Begin Patch\n*** Update File: a.ts\n@@\n-1\n+2\n*** End Patch',
        '*** Begin Patch\n*** Update File: a.ts\n@@\n+3\n*** End Patch',
      ]),
    ).toEqual([{ path: 'a.ts', status: 'modified', added: 2, removed: 1 }]);
  });
});
