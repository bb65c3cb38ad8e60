// Issue 21 kinds 1, 5 and 7 with real processes: the built CLI (`init`, `status`, `doctor`, `allow`, `deny`,
// `import`), the hook commands `init` wrote, run as Codex runs them, the detached worker, and two stand-in
// servers: the user's Infinium and a server a cloned repository names.
// Cases: planted-project-config-redirects-secret, import-sends-disabled-sessions,
// session-env-typo-stuck-forever, misc-low (a failed `init` leaves nothing behind).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEAN_EVENTS } from '../../src/codex/hook-payload';
import { spoolStats } from '../../src/spool';
import { waitFor, waitForWorkerIdle } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox, snapshot } from '../support/cli-sandbox';
import { runRegisteredHook } from '../support/field-replay';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const FIXTURES = join(import.meta.dirname, '../fixtures/codex-0.169.0');
const FIXTURE_SESSION = '01a2127a-ec4e-7450-ae94-ecf921fe396d';
const AGENT = 'ag1';
const SECRET = 'ik_live_users_own_secret_0000000001';
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
let infinium: StandIn;
let repoServer: StandIn;
let sandbox: Sandbox;

beforeAll(async () => {
  infinium = await startStandIn({ [AGENT]: SECRET });
  // The repository author's server: it would take any agent's secret.
  repoServer = await startStandIn({ [AGENT]: SECRET });
});
afterAll(async () => {
  await infinium.close();
  await repoServer.close();
});
afterEach(async () => {
  await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
  infinium.traces.length = 0;
  infinium.requests.length = 0;
  repoServer.traces.length = 0;
  repoServer.requests.length = 0;
});

/**
 * The recorded two-turn session, moved into `cwd` under its own id, its prompts holding `marker`; its
 * rollout in place. Returns the lean events in order.
 */
function session(
  cwd: string,
  sessionId: string,
  marker: string,
  options: { now?: boolean } = {},
): { event: string; payload: string }[] {
  // With `now`, the rollout's times move to now (keeping their spacing): the session ran after `init`.
  const startMs = Date.parse('2026-11-25T11:32:55Z');
  const shift = (text: string) =>
    options.now
      ? text.replace(/2026-11-25T\d\d:\d\d:\d\d(\.\d+)?Z/g, (t) =>
          new Date(Date.now() + 1_000 + Date.parse(t) - startMs).toISOString(),
        )
      : text;
  const rewrite = (text: string) =>
    shift(text)
      .split(FIXTURE_SESSION)
      .join(sessionId)
      .split('/home/dev/.codex')
      .join(sandbox.codexHome)
      .split('/home/dev/project')
      .join(cwd)
      .split('first prompt')
      .join(`first prompt ${marker}`)
      .split('second prompt')
      .join(`second prompt ${marker}`);
  const lines = rewrite(readFileSync(join(FIXTURES, 'hook-payloads.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean);
  const transcript = (JSON.parse(lines[0] ?? '{}') as { transcript_path: string }).transcript_path;
  mkdirSync(dirname(transcript), { recursive: true });
  writeFileSync(transcript, rewrite(readFileSync(join(FIXTURES, 'rollout-two-turns-resume.jsonl'), 'utf8')));
  return lines
    .map((payload) => ({
      event: (JSON.parse(payload) as { hook_event_name: string }).hook_event_name,
      payload,
    }))
    .filter(({ event }) => (LEAN_EVENTS as readonly string[]).includes(event));
}

async function feed(events: { event: string; payload: string }[], env: Record<string, string> = {}) {
  for (const { event, payload } of events) {
    expect(await runRegisteredHook(sandbox, event, payload, env)).toEqual({ code: 0, output: '' });
  }
}

/** A clone: a git repository (its root ends the folder walk) carrying `.infinium/config.json`. */
function plantedClone(settings: Record<string, unknown>): string {
  const clone = join(sandbox.home, 'work', `clone-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(join(clone, '.git'), { recursive: true });
  mkdirSync(join(clone, '.infinium'));
  writeFileSync(join(clone, '.infinium', 'config.json'), JSON.stringify(settings));
  return clone;
}

function spooled(): number {
  return spoolStats(sandbox.env).spooledEvents;
}

async function userDefaults(): Promise<void> {
  sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, infinium.url, '--all-projects'), { input: SECRET });
  expect(init.code).toBe(0);
}

describe('planted-project-config-redirects-secret', () => {
  it('a clone naming only a base URL and full content: its turns are kept until the user decides; denied, they go to the user own Infinium, redacted', async () => {
    await userDefaults();
    const clone = plantedClone({ baseUrl: repoServer.url, contentMode: 'full' });
    const file = join(clone, '.infinium', 'config.json');
    await feed(session(clone, '0a000000-0000-4000-8000-000000000001', TOKEN));
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(repoServer.requests).toEqual([]);
    expect(infinium.traces).toEqual([]);
    // Kept, not lost: the raw events wait in the spool.
    expect(spooled()).toBeGreaterThan(0);

    const status = await runCli(sandbox, ['status'], { cwd: clone });
    expect(status.stdout).toContain(`${file} sets "contentMode"`);
    expect(status.stdout).toContain('`infinium-codex allow`');
    const json = JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: clone })).stdout);
    expect(json.consentNeeded).toEqual({ file, keys: ['contentMode'], command: 'infinium-codex allow' });
    const doctor = await runCli(sandbox, ['doctor'], { cwd: clone });
    expect(doctor.stdout).toContain(file);
    expect(doctor.stdout).toContain('infinium-codex allow');

    const deny = await runCli(sandbox, ['deny'], { cwd: clone });
    expect(deny.code).toBe(0);
    await waitFor(() => infinium.traces.length === 2, 60_000, 'the kept turns to reach the user Infinium');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(repoServer.requests).toEqual([]);
    const body = infinium.traces.map((t) => t.rawBody).join('\n');
    expect(body).toContain('first prompt');
    expect(body).not.toContain(TOKEN);
    expect(infinium.traces[0]?.body).toMatchObject({ environment: { content_mode: 'redacted' } });
    // `status` names where each setting came from, truthfully.
    const after = await runCli(sandbox, ['status'], { cwd: clone });
    expect(after.stdout).toMatch(
      /Agent: +ag1 at http:\/\/127\.0\.0\.1:\d+\/api\/v1 \(settings from your user defaults; turn, redacted\)/,
    );
    expect(after.stdout).toContain(`${file}: "baseUrl" not applied: the file names no agent of its own`);
  });

  it('a clone naming an agent and its own server: even once allowed, the stored secret never goes there', async () => {
    await userDefaults();
    const clone = plantedClone({ agentId: AGENT, baseUrl: repoServer.url });
    await feed(session(clone, '0a000000-0000-4000-8000-000000000002', 'nothing secret'));
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(repoServer.requests).toEqual([]);
    const allow = await runCli(sandbox, ['allow'], { cwd: clone });
    expect(allow.code).toBe(0);
    expect(allow.stdout).toContain('Allowed');
    await waitFor(() => spooled() === 0, 60_000, 'the kept turns to be built');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    // The secret was stored for the user's Infinium origin: there is none for this one.
    expect(repoServer.requests.filter((r) => r.path.includes('/trace'))).toEqual([]);
    expect(repoServer.receivedBytes().includes(SECRET)).toBe(false);
    const status = await runCli(sandbox, ['status'], { cwd: clone });
    expect(status.stdout).toMatch(/Secret: +none stored for ag1 at http:\/\/127\.0\.0\.1:\d+/);
    expect(status.stdout).toContain(`agent and base URL from ${join(clone, '.infinium', 'config.json')}`);
  });

  it('a changed file needs consent again', async () => {
    await userDefaults();
    const clone = plantedClone({ contentMode: 'full' });
    expect((await runCli(sandbox, ['allow'], { cwd: clone })).code).toBe(0);
    expect(JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: clone })).stdout)).toMatchObject({
      contentMode: 'full',
      consentNeeded: null,
    });
    writeFileSync(
      join(clone, '.infinium', 'config.json'),
      JSON.stringify({ contentMode: 'full', projectName: 'x' }),
    );
    expect(
      JSON.parse((await runCli(sandbox, ['status', '--json'], { cwd: clone })).stdout).consentNeeded,
    ).toMatchObject({ keys: ['contentMode'] });
    // The project is traced meanwhile (its turns are kept), so it can be paused.
    expect((await runCli(sandbox, ['pause'], { cwd: clone })).code).toBe(0);
  });

  // attack21 F7: a clone that links `.infinium` to a sibling project's allowed folder gets none of it.
  it("a clone linking .infinium to another project's allowed folder: ignored, status and doctor say why, allow refuses", async () => {
    await userDefaults();
    const sibling = plantedClone({ agentId: 'agA', baseUrl: repoServer.url, contentMode: 'full' });
    expect((await runCli(sandbox, ['allow'], { cwd: sibling })).code).toBe(0);
    const clone = join(sandbox.home, 'work', 'clone-linked');
    mkdirSync(join(clone, '.git'), { recursive: true });
    symlinkSync(join('..', basename(sibling), '.infinium'), join(clone, '.infinium'));
    const file = join(clone, '.infinium', 'config.json');
    const why = `ignored: it is a link to ${join(sibling, '.infinium', 'config.json')}, outside the project`;
    const status = await runCli(sandbox, ['status'], { cwd: clone });
    expect(status.stdout).toMatch(/Agent: +ag1 at .*\(settings from your user defaults; turn, redacted\)/);
    expect(status.stdout).toContain(`${file}: ${why}`);
    expect((await runCli(sandbox, ['doctor'], { cwd: clone })).stdout).toContain(why);
    const allow = await runCli(sandbox, ['allow'], { cwd: clone });
    expect(allow.code).not.toBe(0);
    expect(allow.stderr).toContain(`${file} is not used (it is a link to`);
    // init there would write through the link into the other project's file: it says so and writes nothing.
    const siblingFile = readFileSync(join(sibling, '.infinium', 'config.json'), 'utf8');
    const init = await runCli(sandbox, initArgs('agC', infinium.url), { input: SECRET, cwd: clone });
    expect(init.code).not.toBe(0);
    expect(init.stderr).toContain(`${file} is not used (it is a link to`);
    expect(readFileSync(join(sibling, '.infinium', 'config.json'), 'utf8')).toBe(siblingFile);
  });

  // attack21d V4a: the fleet recipe's login-profile secret (no agent id) in a session of a project whose
  // allowed file names its own agent and server: that server gets nothing with the environment's secret.
  it("an allowed project file's server never gets the environment's secret, from the worker or the CLI", async () => {
    await userDefaults();
    const ENV_SECRET = 'ik_live_fleet_login_profile_000000042';
    // It accepts the environment's secret: any request made with it is answered 200.
    const theirs = await startStandIn({ agP: ENV_SECRET });
    const clone = plantedClone({ agentId: 'agP', baseUrl: theirs.url });
    expect((await runCli(sandbox, ['allow'], { cwd: clone })).code).toBe(0);
    await feed(session(clone, '0a000000-0000-4000-8000-000000000044', 'fleet'), {
      INFINIUM_AGENT_SECRET: ENV_SECRET,
    });
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(theirs.traces).toEqual([]);
    const env = { INFINIUM_AGENT_SECRET: ENV_SECRET };
    const status = await runCli(sandbox, ['status'], { cwd: clone, env });
    expect(status.stdout).toMatch(/^Secret: +.*none stored for agP at /m);
    await runCli(sandbox, ['doctor'], { cwd: clone, env });
    await runCli(sandbox, ['test'], { cwd: clone, env });
    expect(theirs.requests.filter((request) => request.status === 200)).toEqual([]);
    expect(theirs.traces).toEqual([]);
    await theirs.close();
  });

  it('init writing the project file is the consent for what it wrote', async () => {
    sandbox = makeSandbox();
    const init = await runCli(sandbox, initArgs(AGENT, infinium.url), { input: SECRET });
    expect(init.code).toBe(0);
    const status = JSON.parse((await runCli(sandbox, ['status', '--json'])).stdout);
    expect(status).toMatchObject({ agentId: AGENT, consentNeeded: null, configSource: 'project' });
  });
});

describe('session-env-typo-stuck-forever', () => {
  it('a mistyped content mode is read as metadata; an unusable base URL sets the turns aside; nothing stays in the spool; status and doctor say so', async () => {
    sandbox = makeSandbox();
    expect((await runCli(sandbox, initArgs(AGENT, infinium.url), { input: SECRET })).code).toBe(0);
    await feed(session(sandbox.project, '0b000000-0000-4000-8000-000000000001', 'password hunter2'), {
      INFINIUM_CODEX_CONTENT_MODE: 'Metadata',
    });
    await waitFor(() => infinium.traces.length === 2, 60_000, 'the typo session traced as metadata');
    expect(infinium.traces.map((t) => t.rawBody).join('\n')).not.toContain('hunter2');
    expect(infinium.traces[0]?.body).toMatchObject({ environment: { content_mode: 'metadata' } });
    await feed(session(sandbox.project, '0b000000-0000-4000-8000-000000000002', 'elsewhere'), {
      INFINIUM_BASE_URL: 'infinium.example/api',
    });
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    await waitFor(() => spooled() === 0, 60_000, 'the set-aside turns to leave the spool');
    expect(infinium.traces).toHaveLength(2);
    const status = await runCli(sandbox, ['status']);
    expect(status.stdout).toContain('INFINIUM_CODEX_CONTENT_MODE="Metadata" is not a content mode');
    expect(status.stdout).toContain('read as metadata');
    expect(status.stdout).toMatch(/Session: .*base URL .*Its turns were set aside, not sent\./);
    const doctor = await runCli(sandbox, ['doctor']);
    expect(doctor.stdout).toMatch(/session-settings: .*INFINIUM_CODEX_CONTENT_MODE="Metadata"/);
  });
});

describe('import-sends-disabled-sessions', () => {
  it('a session that ran with tracing off is never imported, nor a metadata session text shown; a session from before tracing still is', async () => {
    await userDefaults();
    const project = join(sandbox.home, 'work', 'team');
    mkdirSync(project, { recursive: true });
    await feed(
      session(project, '0c000000-0000-4000-8000-000000000001', 'CONFIDENTIAL salary list', { now: true }),
      { INFINIUM_CODEX_DISABLED: '1' },
    );
    await feed(
      session(project, '0c000000-0000-4000-8000-000000000002', 'METADATA-ONLY private notes', { now: true }),
      { INFINIUM_CODEX_CONTENT_MODE: 'metadata' },
    );
    await waitFor(() => infinium.traces.length === 2, 60_000, 'the metadata session traced live');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    // Ran before tracing was set up: its rollout only.
    session(project, '0c000000-0000-4000-8000-000000000003', 'BEFORE-SETUP prompt');

    const dry = await runCli(sandbox, ['import', '--since', '60d', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).not.toContain('CONFIDENTIAL');
    expect(dry.stdout).not.toContain('METADATA-ONLY');
    expect(dry.stdout).toContain('made while our hooks were installed, which kept nothing of it');
    expect(dry.stdout).toContain('BEFORE-SETUP prompt');
    const run = await runCli(sandbox, ['import', '--since', '60d', '--yes']);
    expect(run.code).toBe(0);
    await waitFor(() => infinium.traces.length === 4, 60_000, 'the session from before tracing');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    const bodies = infinium.traces.map((t) => t.rawBody).join('\n');
    expect(bodies).not.toContain('CONFIDENTIAL');
    expect(bodies).not.toContain('METADATA-ONLY');
    expect(bodies).toContain('BEFORE-SETUP prompt');
    expect(infinium.traces).toHaveLength(4);
  });

  // attack21c C8: `uninstall --purge` deleted the install record with the rest, so after `init` again the
  // session made with tracing off looked like one from before tracing and was imported.
  it('nor after `uninstall --purge` and `init` again: purge keeps the record of when our hooks were installed, and says so', async () => {
    await userDefaults();
    const project = join(sandbox.home, 'work', 'team');
    mkdirSync(project, { recursive: true });
    await feed(
      session(project, '0c000000-0000-4000-8000-000000000004', 'DISABLED-PURGED prompt', { now: true }),
      { INFINIUM_CODEX_DISABLED: '1' },
    );
    const purged = await runCli(sandbox, ['uninstall', '--purge']);
    expect(purged.code, purged.stderr).toBe(0);
    const record = join(sandbox.stateDir, 'hooks-live.json');
    expect(purged.stdout).toContain(
      `✓ Deleted everything in ${sandbox.stateDir} but one record and the stored secrets (1 agent)\n  Kept: ${record} (when our hooks were installed: times only) so that\n  \`import\` never sends turns made while tracing was installed; delete it yourself to forget them.\n`,
    );
    expect(readdirSync(sandbox.stateDir)).toEqual(['hooks-live.json']);
    expect(readFileSync(record, 'utf8')).toMatch(/^\{"intervals":\[\{"fromMs":\d+,"toMs":\d+\}\]\}\n$/);
    const again = await runCli(sandbox, initArgs(AGENT, infinium.url, '--all-projects'), { input: SECRET });
    expect(again.code, again.stderr).toBe(0);
    const dry = await runCli(sandbox, ['import', '--since', '1d', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).not.toContain('DISABLED-PURGED');
    expect(dry.stdout).toContain('made while our hooks were installed, which kept nothing of it');
    const run = await runCli(sandbox, ['import', '--since', '1d', '--yes']);
    expect(run.code).toBe(0);
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
    expect(infinium.traces.map((t) => t.rawBody).join('\n')).not.toContain('DISABLED-PURGED');
  });
});

// attack21c C7: the CLI runs git and codex as the worker runs git (src/git/program.ts): never from a folder
// of the project, wherever PATH puts it (direnv's PATH_add bin, npx's <project>/node_modules/.bin).
describe('which git and codex the CLI runs', () => {
  it("init, status and doctor never run a project's own git or codex; the trusted ones get no agent secret", async () => {
    sandbox = makeSandbox();
    const log = join(sandbox.root, 'planted-ran.log');
    const envLog = join(sandbox.root, 'trusted-env.log');
    for (const [folder, name] of [
      [join(sandbox.project, 'bin'), 'git'],
      [join(sandbox.project, 'bin'), 'codex'],
      [join(sandbox.project, 'node_modules', '.bin'), 'codex'],
    ] as const) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, name), `#!/bin/sh\necho "$0 $*" >>'${log}'\nexit 1\n`, { mode: 0o755 });
    }
    // The sandbox's codex (outside the project) says which environment it got.
    writeFileSync(
      join(sandbox.root, 'bin', 'codex'),
      `#!/bin/sh\nenv >>'${envLog}'\necho "codex-cli 0.169.0"\n`,
      { mode: 0o755 },
    );
    execFileSync('git', ['init', '-q', sandbox.project]);
    const env = {
      PATH: `${join(sandbox.project, 'bin')}:${join(sandbox.project, 'node_modules', '.bin')}:${sandbox.env.PATH}`,
    };
    const init = await runCli(sandbox, [...initArgs(AGENT, infinium.url), '--scope', 'project'], {
      input: SECRET,
      env,
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).not.toContain('not on PATH');
    const session = { ...env, INFINIUM_AGENT_SECRET: 'SESSION-SECRET-FOR-CODEX-456' };
    for (const command of [['status'], ['doctor']]) await runCli(sandbox, command, { env: session });
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
    const seen = readFileSync(envLog, 'utf8');
    expect(seen).toContain('PATH=');
    expect(seen).not.toContain('INFINIUM_AGENT_SECRET');
  });
});

describe('a failed init leaves nothing half done (misc-low)', () => {
  const expectNothingLeft = (codexBefore: Record<string, string>) => {
    expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'config.json'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'credentials.json'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'allowed.json'))).toBe(false);
    expect(snapshot(sandbox.codexHome)).toEqual(codexBefore);
  };

  it('when a write after the Codex files fails: no project config, user config, secret or hook is left', async () => {
    sandbox = makeSandbox();
    writeFileSync(join(sandbox.codexHome, 'config.toml'), 'model = "gpt-5.5"\n');
    const before = snapshot(sandbox.codexHome);
    // Root writes through a read-only folder; a folder where init's record of the files it changed goes
    // fails the last write for everyone.
    mkdirSync(join(sandbox.stateDir, 'installed-files.json'), { recursive: true });
    const init = await runCli(sandbox, initArgs(AGENT, infinium.url, '--gitignore'), { input: SECRET });
    expect(init.code).not.toBe(0);
    expectNothingLeft(before);
    expect(existsSync(join(sandbox.project, '.gitignore'))).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('with a read-only Codex home', async () => {
    sandbox = makeSandbox();
    const before = snapshot(sandbox.codexHome);
    chmodSync(sandbox.codexHome, 0o555);
    try {
      const init = await runCli(sandbox, initArgs(AGENT, infinium.url), { input: SECRET });
      expect(init.code).not.toBe(0);
      expectNothingLeft(before);
    } finally {
      chmodSync(sandbox.codexHome, 0o755);
    }
  });
});
