// Issue 21 kind 7 and non-negotiable 6 (attack21c C1): a read-only Codex home, project or state folder is
// the user's to fix, so every command that would write there says so in one sentence (which folder, and
// `chmod u+w` or the variable that moves it), exits 1 and leaves nothing behind: no "unexpected", no
// cli.log. Root writes through any mode: as root (CI) the CLI runs as a throwaway local user.
import { chmodSync, existsSync, lchownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initArgs, makeSandbox, runCli, type Sandbox, snapshot } from '../support/cli-sandbox';
import { makeOtherUser, type OtherUser, otherUserUnavailable } from '../support/other-user';

const AGENT = 'ag1';
const SECRET = 'ik_live_unwritable_0000000001';
const BASE_URL = 'http://127.0.0.1:9/api/v1';
const asRoot = process.getuid?.() === 0;
const unavailable = asRoot ? otherUserUnavailable() : null;
if (unavailable) console.warn(`read-only folders: skipped (${unavailable}; root writes through any mode)`);

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The one line a refusal before any write prints for `folder` (mode 555 unless said). */
function refusal(folder: string, setting?: string, mode = '555'): RegExp {
  const elsewhere = setting ? ` or set ${setting} to a folder of your own` : '';
  return new RegExp(
    `^Error: ${literal(folder)} is not writable \\(mode ${mode}\\), so nothing was written: make it writable with \`chmod u\\+w ${literal(folder)}\`${elsewhere}, and run this again\\.\\n$`,
  );
}

describe.skipIf(unavailable !== null)('read-only folders: one sentence, exit 1, nothing left (C1)', () => {
  let other: OtherUser | undefined;
  beforeAll(() => {
    if (asRoot) other = makeOtherUser();
  });
  afterAll(() => other?.remove());

  /** A sandbox owned by the user the CLI runs as. */
  const sandboxFor = (): Sandbox => {
    const sandbox = makeSandbox();
    const chown = (path: string) => {
      if (!other) return;
      lchownSync(path, other.uid, other.gid);
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        if (entry.isDirectory()) chown(join(path, entry.name));
        else lchownSync(join(path, entry.name), other.uid, other.gid);
      }
    };
    chown(sandbox.root);
    return sandbox;
  };
  /** A file of the user the CLI runs as, with this text and mode. */
  const userFile = (path: string, text: string, mode: number) => {
    writeFileSync(path, text);
    if (other) lchownSync(path, other.uid, other.gid);
    chmodSync(path, mode);
  };
  const run = (sandbox: Sandbox, args: string[], options: Parameters<typeof runCli>[2] = {}) =>
    runCli(sandbox, args, { ...options, ...(other ? { user: other } : {}) });
  const offlineInit = (...extra: string[]) => [...initArgs(AGENT, BASE_URL, ...extra), '--offline'];
  const envAgent = { INFINIUM_AGENT_ID: AGENT, INFINIUM_AGENT_SECRET: SECRET, INFINIUM_BASE_URL: BASE_URL };

  const expectRefused = (
    result: { code: number; stdout: string; stderr: string },
    pattern: RegExp,
    sandbox: Sandbox,
  ) => {
    expect(result.stderr).toMatch(pattern);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('✓');
    expect(existsSync(join(sandbox.stateDir, 'logs', 'cli.log'))).toBe(false);
  };

  it.each([
    ['init --all-projects', offlineInit('--all-projects')],
    ['init (this project)', offlineInit()],
    ['init --local', ['init', '--local', '--yes']],
    ['init --ci', ['init', '--ci', '--offline']],
  ])('%s with a read-only Codex home: refused before anything is written', async (_name, args) => {
    const sandbox = sandboxFor();
    const before = snapshot(sandbox.home);
    chmodSync(sandbox.codexHome, 0o555);
    try {
      const result = await run(sandbox, args, { input: SECRET, env: envAgent });
      expectRefused(result, refusal(sandbox.codexHome, 'CODEX_HOME'), sandbox);
      expect(existsSync(sandbox.stateDir)).toBe(false);
      expect(snapshot(sandbox.home)).toEqual(before);
    } finally {
      chmodSync(sandbox.codexHome, 0o755);
    }
  });

  it('init with a read-only project folder names it, and leaves no state folder', async () => {
    const sandbox = sandboxFor();
    chmodSync(sandbox.project, 0o555);
    try {
      const result = await run(sandbox, offlineInit(), { input: SECRET });
      expectRefused(result, refusal(sandbox.project), sandbox);
      expect(existsSync(sandbox.stateDir)).toBe(false);
      expect(snapshot(sandbox.codexHome)).toEqual({});
    } finally {
      chmodSync(sandbox.project, 0o755);
    }
  });

  it('init where the state folder would be made in a read-only home names the home', async () => {
    const sandbox = sandboxFor();
    chmodSync(sandbox.home, 0o555);
    try {
      const result = await run(sandbox, offlineInit('--all-projects'), { input: SECRET });
      expectRefused(result, refusal(sandbox.home, 'INFINIUM_CODEX_HOME'), sandbox);
      expect(snapshot(sandbox.codexHome)).toEqual({});
    } finally {
      chmodSync(sandbox.home, 0o755);
    }
  });

  it('uninstall and doctor --fix with a read-only Codex home write nothing, not even a backup', async () => {
    const sandbox = sandboxFor();
    expect((await run(sandbox, offlineInit('--all-projects'), { input: SECRET })).code).toBe(0);
    const before = snapshot(sandbox.codexHome);
    chmodSync(sandbox.codexHome, 0o555);
    try {
      const removed = await run(sandbox, ['uninstall']);
      expectRefused(removed, refusal(sandbox.codexHome, 'CODEX_HOME'), sandbox);
      expect(snapshot(sandbox.codexHome)).toEqual(before);
    } finally {
      chmodSync(sandbox.codexHome, 0o755);
    }

    const ci = sandboxFor();
    chmodSync(ci.codexHome, 0o555);
    try {
      const fixed = await run(ci, ['doctor', '--fix'], { env: envAgent });
      expect(fixed.code).toBe(1);
      expect(fixed.stdout).toContain(
        `! Not fixed: the hooks: ${ci.codexHome} is not writable (mode 555), so nothing was written: make it writable with \`chmod u+w ${ci.codexHome}\` or set CODEX_HOME to a folder of your own, and run this again.`,
      );
      expect(`${fixed.stdout}${fixed.stderr}`).not.toContain('unexpected');
      expect(fixed.stdout).not.toContain('Fixed:');
      expect(snapshot(ci.codexHome)).toEqual({});
    } finally {
      chmodSync(ci.codexHome, 0o755);
    }
  });

  // attack21d: a config.toml or hooks.json the user made read-only was replaced without a word.
  it('a Codex file the user made read-only (0444): refused with the fix, left as it is', async () => {
    const sandbox = sandboxFor();
    const toml = join(sandbox.codexHome, 'config.toml');
    userFile(toml, 'model = "gpt-5.5"\n', 0o444);
    const before = snapshot(sandbox.codexHome);
    const result = await run(sandbox, offlineInit('--all-projects'), { input: SECRET });
    expect(result.stderr).toBe(
      `Error: ${toml} is read-only (mode 444), so nothing was written: make it writable with \`chmod u+w ${toml}\` if it may be changed, and run this again.\n`,
    );
    expect(result.code).toBe(1);
    expect(snapshot(sandbox.codexHome)).toEqual(before);
  });

  it('a hooks.json the user cannot read: one sentence with the fix, for init and uninstall', async () => {
    const sandbox = sandboxFor();
    const hooks = join(sandbox.codexHome, 'hooks.json');
    userFile(hooks, '{"hooks":{}}\n', 0o000);
    try {
      for (const args of [offlineInit('--all-projects'), ['uninstall']]) {
        const result = await run(sandbox, args, { input: SECRET });
        expect(result.stderr).toBe(
          `Error: Cannot read ${hooks} (permission denied): make it readable with \`chmod u+r ${hooks}\`, and run this again.\n`,
        );
        expect(result.code).toBe(1);
      }
    } finally {
      chmodSync(hooks, 0o644);
    }
    // A project's settings file too.
    const project = join(sandbox.project, '.infinium', 'config.json');
    mkdirSync(join(sandbox.project, '.infinium'));
    if (other) lchownSync(join(sandbox.project, '.infinium'), other.uid, other.gid);
    userFile(project, '{"agentId":"ag1"}\n', 0o000);
    const result = await run(sandbox, ['test']);
    expect(result.stderr).toBe(
      `Error: Cannot read ${project} (permission denied): make it readable with \`chmod u+r ${project}\`, and run this again.\n`,
    );
    expect(result.code).toBe(1);
  });

  it('a write that fails later (pause in a read-only state folder) is one sentence naming the file, exit 1', async () => {
    const sandbox = sandboxFor();
    expect((await run(sandbox, offlineInit(), { input: SECRET })).code).toBe(0);
    // 0555: every command takes others' bits away (0500) and gives none, so it stays read-only.
    chmodSync(sandbox.stateDir, 0o555);
    try {
      const result = await run(sandbox, ['pause']);
      expect(result.stderr).toBe(
        `Error: Could not write ${join(sandbox.stateDir, 'paused.json')}: ${sandbox.stateDir} is not writable (mode 500); make it writable with \`chmod u+w ${sandbox.stateDir}\` or set INFINIUM_CODEX_HOME to a folder of your own, and run this again.\n`,
      );
      expect(result.code).toBe(1);
      expect(existsSync(join(sandbox.stateDir, 'logs', 'cli.log'))).toBe(false);
    } finally {
      chmodSync(sandbox.stateDir, 0o700);
    }
  });
});
