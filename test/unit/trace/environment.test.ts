import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClosedTurn } from '../../../src/worker/closed-turn';
import { composeTurnTrace, gitFacts } from '../../../src/worker/compose';
import { context, spooled } from './helpers';

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'git-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function repo(root: string, head: string): string {
  mkdirSync(join(root, '.git/refs/heads'), { recursive: true });
  writeFileSync(join(root, '.git/HEAD'), `${head}\n`);
  return join(root, '.git');
}

describe('gitFacts (read from .git, no git process)', () => {
  it('a branch with a loose ref, seen from a subfolder', async () => {
    const git = repo(dir, 'ref: refs/heads/feature/x');
    mkdirSync(join(git, 'refs/heads/feature'), { recursive: true });
    writeFileSync(join(git, 'refs/heads/feature/x'), `${SHA}\n`);
    mkdirSync(join(dir, 'src/deep'), { recursive: true });
    expect(await gitFacts(join(dir, 'src/deep'))).toEqual({ branch: 'feature/x', commit: SHA });
  });

  it('a branch only in packed-refs', async () => {
    const git = repo(dir, 'ref: refs/heads/main');
    writeFileSync(
      join(git, 'packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${SHA2} refs/heads/main\n`,
    );
    expect(await gitFacts(dir)).toEqual({ branch: 'main', commit: SHA2 });
  });

  it('a detached HEAD', async () => {
    repo(dir, SHA);
    expect(await gitFacts(dir)).toEqual({ commit: SHA });
  });

  it('a linked worktree (.git is a file; refs live in the common dir)', async () => {
    const main = repo(join(dir, 'main'), 'ref: refs/heads/main');
    const wtGit = join(main, 'worktrees/wt');
    mkdirSync(wtGit, { recursive: true });
    writeFileSync(join(wtGit, 'HEAD'), 'ref: refs/heads/topic\n');
    writeFileSync(join(wtGit, 'commondir'), '../..\n');
    writeFileSync(join(main, 'refs/heads/topic'), `${SHA}\n`);
    mkdirSync(join(dir, 'wt'));
    writeFileSync(join(dir, 'wt/.git'), `gitdir: ${wtGit}\n`);
    expect(await gitFacts(join(dir, 'wt'))).toEqual({ branch: 'topic', commit: SHA });
  });

  it('no repository', async () => {
    expect(await gitFacts(dir)).toEqual({});
  });
});

describe('environment', () => {
  it('names the project, the cwd relative to the project root, git, OS and connector version', async () => {
    const git = repo(dir, 'ref: refs/heads/main');
    writeFileSync(join(git, 'refs/heads/main'), `${SHA}\n`);
    mkdirSync(join(dir, 'packages/app'), { recursive: true });
    const cwd = join(dir, 'packages/app');
    const base = { session_id: 'S', transcript_path: null, cwd, turn_id: 't' };
    const turn: ClosedTurn = {
      sessionId: 'S',
      turnId: 't',
      cwd,
      transcriptPath: null,
      events: spooled(
        [
          { ...base, hook_event_name: 'UserPromptSubmit', prompt: 'hi', model: 'gpt-5.5' },
          { ...base, hook_event_name: 'Stop', last_assistant_message: 'hello' },
        ],
        0,
      ),
      ending: 'stop',
      turnNumber: 3,
    };
    const { taskData } = await composeTurnTrace(
      turn,
      context({}, { projectRoot: dir, projectName: 'monorepo' }),
      undefined,
    );
    expect(taskData.environment).toMatchObject({
      agent: 'codex-cli',
      project: 'monorepo',
      cwd: 'packages/app',
      git_branch: 'main',
      git_commit: SHA,
      model: 'gpt-5.5',
      connector_version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      os: expect.any(String),
      tool_detail: 'unavailable',
    });
    expect(JSON.stringify(taskData)).not.toContain(dir);
  });
});
