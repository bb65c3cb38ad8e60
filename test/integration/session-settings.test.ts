// Each Codex session is traced under its own settings (case env-bleed-across-sessions): real hook
// front-ends, the real detached worker and the stand-in Infinium. One session's turn keeps the worker busy
// (a slow Infinium), and the other sessions' turns end meanwhile, so the busy worker, started in another
// session's environment, builds and sends them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spoolPaths } from '../../src/spool/layout';
import { lockHeld } from '../../src/spool/lock';
import {
  codexSession,
  type FrontEnd,
  feed,
  makeSandbox,
  type Sandbox,
  storeAgentSecret,
  waitFor,
  waitForWorkerIdle,
} from '../support/capture-harness';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = '3f1f0c2e-0000-4000-8000-00000000a001';
const SECRET = 'ik_live_stored_secret_for_the_project_0001';
const OTHER_AGENT = '3f1f0c2e-0000-4000-8000-00000000b002';
const OTHER_SECRET = 'ik_live_env_only_secret_of_session_d_0002';
let server: StandIn;
let other: StandIn;
let box: Sandbox;

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  other = await startStandIn({ [OTHER_AGENT]: OTHER_SECRET });
  box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  // The project's own secret is stored, never in the env.
  storeAgentSecret(box, { [AGENT]: SECRET });
});
afterEach(async () => {
  await waitForWorkerIdle(box.state);
  await server.close();
  await other.close();
  box.cleanup();
});

/** One whole turn of a session through the hooks, in that session's environment. */
async function turn(frontEnd: FrontEnd, sessionId: string, prompt: string, env: Record<string, string>) {
  const s = codexSession(sessionId, box.project);
  const runs = await feed(
    frontEnd,
    [
      ['SessionStart', s.sessionStart()],
      ['UserPromptSubmit', s.prompt(`${sessionId}-t1`, prompt)],
      ['Stop', s.stop(`${sessionId}-t1`, 'done')],
    ],
    env,
  );
  for (const run of runs) expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
}

/** Starts a turn whose send Infinium holds for a while, and waits until the worker is at work on it. */
async function busyWorker(frontEnd: FrontEnd, sessionId: string, env: Record<string, string>, on: StandIn) {
  on.failNext(1, { kind: 'slow', delayMs: 4_000 });
  await turn(frontEnd, sessionId, 'keep the worker busy', env);
  await waitFor(() => on.requests.length > 0, 15_000, 'the slow send to start');
  expect(lockHeld(spoolPaths(box.env).lock)).toBe(true);
}

const bodyOf = (s: StandIn, sessionId: string) =>
  s.traces.find((t) => t.rawBody.includes(`${sessionId}-t1`) || JSON.stringify(t.body).includes(sessionId));

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every file under the state dir but the per-session secrets, as text. */
function stateText(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'session-secrets') walk(path);
      } else texts.push(readFileSync(path, 'latin1'));
    }
  };
  walk(box.state);
  return texts.join('\n');
}

describe.each<FrontEnd>(['sh', 'node'])('%s hooks: each session under its own settings', (frontEnd) => {
  it('env-bleed-across-sessions: a disabled session sends nothing, a metadata session no text, while a plain session keeps the worker busy', async () => {
    await busyWorker(frontEnd, 'session-a', box.env, server);
    await turn(frontEnd, 'session-b', 'bravo prompt text', { ...box.env, INFINIUM_CODEX_DISABLED: '1' });
    await turn(frontEnd, 'session-c', 'charlie prompt text', {
      ...box.env,
      INFINIUM_CODEX_CONTENT_MODE: 'metadata',
    });
    await waitFor(() => server.traces.length >= 2, 20_000, 'two traces');
    await waitForWorkerIdle(box.state, { spool: true });

    expect(server.traces.map((t) => t.rawBody.includes('bravo'))).toEqual([false, false]);
    expect(bodyOf(server, 'session-a')?.rawBody).toContain('keep the worker busy');
    const c = bodyOf(server, 'session-c');
    expect(c?.rawBody).toContain('"content_mode":"metadata"');
    expect(c?.rawBody).not.toContain('charlie prompt text');
    expect(list(spoolPaths(box.env).outbox)).toEqual([]);
  });

  it("INFINIUM_CODEX_RUN_ID and _LABEL go into their own session's traces only (runs that span sessions)", async () => {
    const run = {
      ...box.env,
      INFINIUM_CODEX_RUN_ID: 'ci-4711',
      INFINIUM_CODEX_RUN_LABEL: 'nightly eval, model B',
    };
    await busyWorker(frontEnd, 'session-r', run, server);
    await turn(frontEnd, 'session-p', 'plain prompt', box.env);
    await turn(frontEnd, 'session-s', 'second run prompt', { ...box.env, INFINIUM_CODEX_RUN_ID: 'ci-4712' });
    await waitFor(() => server.traces.length >= 3, 20_000, 'three traces');
    await waitForWorkerIdle(box.state, { spool: true });
    const environment = (id: string) => bodyOf(server, id)?.body.environment as Record<string, unknown>;
    expect(environment('session-r')).toMatchObject({ run_id: 'ci-4711', run_label: 'nightly eval, model B' });
    expect(environment('session-p')).not.toHaveProperty('run_id');
    expect(environment('session-s')).toMatchObject({ run_id: 'ci-4712' });
    expect(environment('session-s')).not.toHaveProperty('run_label');
  });

  it('env-bleed-across-sessions: agent id, base URL and secret overrides go with their session only, and the secret never lands in the spool', async () => {
    const d = {
      ...box.env,
      INFINIUM_AGENT_ID: OTHER_AGENT,
      INFINIUM_BASE_URL: other.url,
      INFINIUM_AGENT_SECRET: OTHER_SECRET,
    };
    // The busy worker runs in session D's environment; the plain session's turn must not follow it.
    await busyWorker(frontEnd, 'session-d', d, other);
    await turn(frontEnd, 'session-a', 'alpha prompt text', box.env);
    // And a session with the overrides, whose worker finds another at work.
    await turn(frontEnd, 'session-e', 'echo prompt text', d);
    await waitFor(() => server.traces.length + other.traces.length >= 3, 20_000, 'three traces');
    await waitForWorkerIdle(box.state, { spool: true });

    expect(server.traces.map((t) => t.agentId)).toEqual([AGENT]);
    expect(server.traces[0]?.rawBody).toContain('alpha prompt text');
    expect(other.traces.map((t) => t.agentId)).toEqual([OTHER_AGENT, OTHER_AGENT]);
    expect(bodyOf(other, 'session-e')?.rawBody).toContain('echo prompt text');
    expect(list(spoolPaths(box.env).dead)).toEqual([]);
    expect(stateText()).not.toContain(OTHER_SECRET);
    const kept = join(spoolPaths(box.env).sessionSecrets, 'session-e');
    expect(readFileSync(kept, 'utf8')).toBe(OTHER_SECRET);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
  });
});
