// `infinium-codex import` with real files and processes: the built CLI against the stand-in Infinium, past
// sessions placed under a temp CODEX_HOME from recorded rollouts (test/fixtures), and, for the race, the
// built hook front-end and its detached worker tracing the same session live while the import runs.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeHooksLive, markHooksLive, markSystemHooksLive } from '../../src/config/hooks-live';
import { composeSessionTrace, composeTurnTrace } from '../../src/worker/compose';
import { pastRollouts, planImport, runImport } from '../../src/worker/import';
import { feed, waitForWorkerIdle } from '../support/capture-harness';
import {
  makeSandbox,
  runCli,
  type Sandbox,
  snapshot,
  storeFallbackSecret,
  writeAllowedProjectConfig,
} from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import {
  FIXTURES,
  hookEventsFor,
  type PlacedRollout,
  placeRollout,
  TWO_TURNS,
} from '../support/past-sessions';
import { LEAN } from '../support/scenario';

const AGENT = 'agent-import';
const SECRET = 'ik_live_import_secret_0123456789';
let server: StandIn;
let box: Sandbox;

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  box = agentSandbox();
});
afterEach(async () => {
  await waitForWorkerIdle(box.stateDir);
  await server.close();
});

/** A sandbox whose project names the stand-in's agent, with its secret stored as `init --no-keyring` does. */
function agentSandbox(): Sandbox {
  const sandbox = makeSandbox();
  writeAllowedProjectConfig(sandbox, { agentId: AGENT, baseUrl: server.url });
  storeFallbackSecret(sandbox, AGENT, server.url, SECRET);
  return sandbox;
}

interface PlanJson {
  sessions: {
    sessionId: string;
    rolloutPath: string;
    turns: { number: number; turnId: string; action: string; reason: string | null; prompt: string }[];
  }[];
  toImport: number;
  skipped: Record<string, number>;
  result: { built: number; sent: number; queued: number; failed: number; tracedMeanwhile: number } | null;
}

async function importJson(...args: string[]): Promise<PlanJson> {
  const run = await runCli(box, ['import', '--since', '2026-11-01', '--json', ...args]);
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as PlanJson;
}

const turnIdsSent = () => server.traces.map((t) => (t.body.environment as { turn_id: string }).turn_id);

describe('import', () => {
  it('--dry-run lists each session and its turns, and sends and writes nothing', async () => {
    const placed = placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Session ${TWO_TURNS.sessionId}`);
    expect(run.stdout).toContain(placed.path);
    expect(run.stdout).toMatch(/#1 {2}2026-11-25T11:32:55Z {2}"first prompt" {2}import/);
    expect(run.stdout).toMatch(/#2 {2}2026-11-25T11:32:59Z {2}"second prompt" {2}import/);
    expect(run.stdout).toContain('Would import 2 turns of 1 session.');
    const plan = await importJson('--dry-run');
    expect(plan.sessions[0]?.turns.map((t) => t.turnId)).toEqual([...TWO_TURNS.turnIds]);
    expect(server.traces).toHaveLength(0);
    // Only what the test wrote itself: no outbox, history, session state or lock.
    expect(Object.keys(snapshot(box.stateDir)).sort()).toEqual(['allowed.json', 'credentials.json']);
  });

  it('sends each turn once with the live keys, marked as imported; a second run sends nothing', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Imported 2 turns: 2 sent, 0 queued, 0 failed.');
    expect(turnIdsSent().sort()).toEqual([...TWO_TURNS.turnIds].sort());
    for (const trace of server.traces) {
      expect(trace.body.environment).toMatchObject({ imported: true, session_id: TWO_TURNS.sessionId });
      expect((trace.body.steps as unknown[]).length).toBeGreaterThan(1);
    }
    expect(String(server.traces[0]?.body.input_summary)).toBe('first prompt');
    // history, as for live traces, under the live key <session>~<turn id>
    const history = await runCli(box, ['history', '--json']);
    const keys = (JSON.parse(history.stdout) as { key: string; status: string }[]).map((r) => r.key);
    expect(keys.sort()).toEqual(TWO_TURNS.turnIds.map((id) => `${TWO_TURNS.sessionId}~${id}`).sort());

    const again = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to import. Skipped: 2 turns (1 session) already traced.');
    expect(server.traces).toHaveLength(2);
  });

  it('an import racing the live worker on the same sessions gives exactly one trace per turn', async () => {
    const sessions = ['0a', '0b', '0c'].map((n) =>
      placeRollout(box.codexHome, box.project, TWO_TURNS.rollout, {
        sessionId: `01a2127a-ec4e-7450-ae94-ecf921fe39${n}`,
      }),
    );
    const live = sessions.map((placed) =>
      feed(
        'sh',
        hookEventsFor(TWO_TURNS.hooks, box.codexHome, box.project, LEAN, {
          recorded: TWO_TURNS.sessionId,
          placed: placed.sessionId,
        }),
        box.env,
      ),
    );
    const imported = runCli(box, ['import', '--since', '2026-11-01', '--yes', '--json']);
    await Promise.all(live);
    const run = await imported;
    expect(run.stderr).toBe('');
    await waitForWorkerIdle(box.stateDir, { spool: true, timeoutMs: 60_000 });
    const sent = server.traces.map((t) => {
      const environment = t.body.environment as { session_id: string; turn_id: string };
      return `${environment.session_id}~${environment.turn_id}`;
    });
    expect(sent).toHaveLength(6);
    expect(new Set(sent).size).toBe(6);
    const result = (JSON.parse(run.stdout) as PlanJson).result;
    // What the import says it sent is what it sent; the rest the live worker did.
    const importedCount = server.traces.filter(
      (t) => (t.body.environment as { imported?: boolean }).imported,
    ).length;
    expect(result?.sent ?? 0).toBe(importedCount);
  });

  // The same recorded session traced live through its lean hooks in one sandbox and imported in another:
  // the traces are equal but for what only hooks say (a sub-agent's type: its rollout names none).
  it.each([
    'codex-0.169.0/scenarios/subagent',
    'codex-0.169.0/scenarios/subagent-v2',
    'codex-0.169.0/scenarios/mcp-call',
    'codex-0.169.0/scenarios/compaction',
    'codex-0.171.0/scenarios/ten-commands',
    'codex-0.171.0/scenarios/failing-command',
    'codex-0.171.0/scenarios/apply-patch',
    'codex-0.171.0/scenarios/interrupt',
  ])('builds the trace the live worker builds from the rollout: %s', async (scenario) => {
    const place = (sandbox: Sandbox) => {
      const files = readdirSync(join(FIXTURES, scenario)).filter((name) => /rollout.*\.jsonl$/.test(name));
      // Sub-agents' files first: the root rollout is the one returned.
      return files
        .sort((x, y) => Number(x === 'rollout.jsonl') - Number(y === 'rollout.jsonl'))
        .map((name) => placeRollout(sandbox.codexHome, sandbox.project, `${scenario}/${name}`))
        .at(-1) as PlacedRollout;
    };
    const live = agentSandbox();
    const root = place(live);
    await feed('sh', hookEventsFor(`${scenario}/hooks.jsonl`, live.codexHome, live.project, LEAN), live.env);
    await waitForWorkerIdle(live.stateDir, { spool: true, timeoutMs: 60_000 });
    const liveTraces = server.traces.map((t) => t.body);
    expect(liveTraces.length).toBeGreaterThan(0);

    place(box);
    const plan = await importJson('--dry-run');
    expect(plan.sessions.map((s) => s.sessionId)).toEqual([root.sessionId]);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.stderr).toBe('');
    const imported = server.traces.slice(liveTraces.length).map((t) => t.body);
    // The file evidence differs by design: the live worker saw the turn's tree, import sees today's.
    const comparable = (trace: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify({
          ...trace,
          current_datetime: undefined,
          outcome: undefined,
          description: String(trace.description).replace(/\nFile changes unknown: [^\n]*$/, ''),
          environment: { ...(trace.environment as object), imported: undefined, outcome: undefined },
        }).replace(/Sub-agent default \(/g, 'Sub-agent agent ('),
      );
    expect(imported.map(comparable)).toEqual(liveTraces.map(comparable));
    for (const trace of imported) {
      expect(trace.environment).toMatchObject({
        imported: true,
        outcome: {
          evidence: 'unavailable',
          reason: 'traced afterwards by import: the working tree has changed since the turn',
        },
      });
    }
    if (scenario.includes('subagent')) {
      const steps = (imported[0]?.steps ?? []) as { action: string }[];
      expect(steps.some((step) => step.action === 'subagent')).toBe(true);
    }
  });

  it('skips and counts sessions of a folder without an agent', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const other = join(box.home, 'work', 'unconfigured');
    mkdirSync(other, { recursive: true });
    placeRollout(box.codexHome, other, TWO_TURNS.rollout, {
      sessionId: '01a2127a-ec4e-7450-ae94-0000000000aa',
    });
    const plan = await importJson('--dry-run');
    expect(plan.toImport).toBe(2);
    expect(plan.skipped.noAgent).toBe(2);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Imported 2 turns: 2 sent, 0 queued, 0 failed. Skipped: 2 turns (1 session) no agent configured for its folder.',
    );
    expect(server.traces).toHaveLength(2);
  });

  it('skips and counts the turns of a paused project', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    expect((await runCli(box, ['pause'])).code).toBe(0);
    expect((await importJson('--dry-run')).skipped.paused).toBe(2);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to import. Skipped: 2 turns (1 session) project paused.');
    expect(server.traces).toHaveLength(0);
  });

  // attack21 F1: a session with tracing off under an install since removed (init --local, then uninstall
  // and init again) or under the machine's hooks (init --system) is never imported.
  it('skips the turns made under an earlier install, uninstalled since, and under the machine-wide hooks', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    markHooksLive(box.env, Date.parse('2026-11-25T00:00:00Z'));
    closeHooksLive(box.env, Date.parse('2026-11-26T00:00:00Z'));
    markHooksLive(box.env, Date.parse('2026-12-01T00:00:00Z'));
    expect((await importJson('--dry-run')).skipped.unrecorded).toBe(2);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to import.');
    expect(server.traces).toHaveLength(0);

    rmSync(join(box.stateDir, 'hooks-live.json'));
    const system = join(box.root, 'etc-infinium');
    box.env.INFINIUM_CODEX_SYSTEM_DIR = system;
    markSystemHooksLive(box.env, Date.parse('2026-11-20T00:00:00Z'));
    expect((await importJson('--dry-run')).skipped.unrecorded).toBe(2);
  });

  it('with per-session granularity sends the session as one trace, under the live key, once', async () => {
    writeAllowedProjectConfig(box, { agentId: AGENT, baseUrl: server.url, granularity: 'session' });
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.stdout).toContain('Imported 2 turns as 1 trace: 1 sent, 0 queued, 0 failed.');
    expect(server.traces).toHaveLength(1);
    const trace = server.traces[0]?.body as { name: string; environment: Record<string, unknown> };
    expect(trace.name).toBe(`demo: Codex session ${TWO_TURNS.sessionId} (2 turns)`);
    expect(trace.environment.turn_id).toBeUndefined();
    const history = JSON.parse((await runCli(box, ['history', '--json'])).stdout) as { key: string }[];
    expect(history.map((r) => r.key)).toEqual([`${TWO_TURNS.sessionId}~session-1`]);
    const again = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(again.stdout).toContain('Nothing to import. Skipped: 2 turns (1 session) already traced.');
    expect(server.traces).toHaveLength(1);
  });

  it('--since keeps the turns that started at or after it; --project the sessions inside it', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const between = await importJson('--dry-run', '--since', '2026-11-25T11:32:59Z');
    expect(between.sessions[0]?.turns.map((t) => t.number)).toEqual([2]);
    expect((await importJson('--dry-run', '--since', '2026-11-26')).sessions).toEqual([]);
    const elsewhere = join(box.home, 'elsewhere');
    mkdirSync(elsewhere);
    expect((await importJson('--dry-run', '--project', elsewhere)).sessions).toEqual([]);
    expect((await importJson('--dry-run', '--project', box.home)).sessions).toHaveLength(1);
  });

  it('does not import a turn still in progress, and says so', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout, { openLastTurn: true });
    const dry = await runCli(box, ['import', '--since', '2026-11-01', '--dry-run']);
    expect(dry.stdout).toMatch(/#2 .* skip: in progress/);
    const run = await runCli(box, ['import', '--since', '2026-11-01', '--yes']);
    expect(run.stdout).toContain('Imported 1 turn: 1 sent');
    expect(run.stdout).toContain('1 turn (1 session) in progress');
    expect(turnIdsSent()).toEqual([TWO_TURNS.turnIds[0]]);
  });

  it('refuses in a pipe without --yes, and bad input, with one sentence and a non-zero exit', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const piped = await runCli(box, ['import', '--since', '2026-11-01']);
    expect(piped.code).toBe(2);
    expect(piped.stderr.trim().split('\n')).toHaveLength(1);
    expect(piped.stderr).toContain('pass --yes');
    expect(server.traces).toHaveLength(0);
    expect(existsSync(join(box.stateDir, 'outbox'))).toBe(false);
    const json = await runCli(box, ['import', '--since', '2026-11-01', '--json']);
    expect(json.code).toBe(2);
    expect(json.stdout).toBe('');
    expect(json.stderr).toContain('pass --yes as well');

    for (const [args, message] of [
      [['--since', 'last week'], '--since takes a date'],
      [['--since', '2026-02-30'], '--since takes a date'],
      [['--since', '7d', '--project', join(box.home, 'nope')], 'there is no such folder'],
    ] as const) {
      const bad = await runCli(box, ['import', ...args, '--dry-run']);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toContain(message);
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    }
    const noSessions = await runCli(box, ['import', '--since', '7d'], {
      env: { CODEX_HOME: join(box.home, 'no-codex') },
    });
    expect(noSessions.code).toBe(1);
    expect(noSessions.stderr).toContain('There are no Codex sessions in');
  });
});

// The two moments an import and a live worker can meet, each made to happen: the plan is made without the
// lock, so a live worker may build a turn between the plan and the import's build; and a live worker may
// see a turn's hook events after the import built it.
describe('import and the live worker, at the moments they meet', () => {
  const composer = { composeTurnTrace, composeSessionTrace };
  const plan = async () => planImport(box.env, (await pastRollouts(box.env)) ?? [], { sinceMs: 0 });
  const live = async () => {
    await feed('sh', hookEventsFor(TWO_TURNS.hooks, box.codexHome, box.project, LEAN), box.env);
    await waitForWorkerIdle(box.stateDir, { spool: true, timeoutMs: 60_000 });
  };

  it('a turn the live worker built after the plan is not built again by the import', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const planned = await plan();
    expect(planned.sessions[0]?.turns.map((t) => t.action)).toEqual(['import', 'import']);
    await live();
    expect(server.traces).toHaveLength(2);
    const result = await runImport(box.env, planned, { composer, startWorker: () => undefined });
    expect(result).toMatchObject({ built: 0, sent: 0, tracedMeanwhile: 2 });
    expect(server.traces).toHaveLength(2);
  });

  it('a turn the import built is already built for the live worker that sees its hook events next', async () => {
    placeRollout(box.codexHome, box.project, TWO_TURNS.rollout);
    const result = await runImport(box.env, await plan(), { composer, startWorker: () => undefined });
    expect(result).toMatchObject({ built: 2, sent: 2, tracedMeanwhile: 0 });
    await live();
    expect(server.traces).toHaveLength(2);
    expect(server.traces.every((t) => (t.body.environment as { imported?: boolean }).imported)).toBe(true);
    // The live worker took the turns' events as built: nothing left in the spool or the outbox.
    expect(readdirSync(join(box.stateDir, 'spool')).filter((name) => name.endsWith('.json'))).toEqual([
      'stats.json',
    ]);
    expect(readdirSync(join(box.stateDir, 'outbox'))).toEqual([]);
  });
});
