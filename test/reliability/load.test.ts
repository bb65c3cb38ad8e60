// Load: many concurrent simulated Codex sessions through the real shell hook, the real detached worker and
// the stand-in Infinium. Every turn must arrive exactly once with its token sum; afterwards the spool is
// empty and the state bounded. Figures are printed, never asserted. Counts scale with env vars:
//   LOAD_SESSIONS (20), LOAD_TURNS (50), LOAD_TOOLS (20) for the lean run,
//   LOAD_FULL_SESSIONS (4), LOAD_FULL_TURNS (5) for the full-mode run (PreToolUse/PostToolUse too).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDead, listOutbox } from '../../src/spool';
import { PAYLOADS_KEPT, PAYLOADS_SLACK } from '../../src/spool/history';
import { spoolPaths } from '../../src/spool/layout';
import { LOG_MAX_BYTES } from '../../src/spool/log';
import { type Sandbox, spoolNames, waitFor } from '../support/capture-harness';
import {
  envCount,
  type HookMode,
  percentile,
  SimulatedSession,
  type SimulatedTurn,
  startPipeline,
} from '../support/codex-simulator';
import { workerIdle } from '../support/faults';
import type { StandIn } from '../support/infinium-stand-in';
import { runWorkerProcess } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-00000000load';
const SECRET = 'ik_live_load_secret_0123456789abcdef';

let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;

beforeEach(async () => {
  ({ server, box, env } = await startPipeline(AGENT, SECRET));
});
afterEach(async () => {
  await workerIdle(env);
  await server.close();
  box.cleanup();
});

interface LoadRun {
  turns: SimulatedTurn[];
  hookMs: number[];
  hooksDoneMs: number;
  deliveredMs: number;
  lockHeldMs: number;
}

/** Runs the sessions concurrently and waits until every turn reached the stand-in (or the deadline). */
async function load(sessions: number, turns: number, tools: number, mode: HookMode): Promise<LoadRun> {
  if (mode === 'full') {
    mkdirSync(box.state, { recursive: true, mode: 0o700 });
    writeFileSync(join(box.state, 'config.json'), JSON.stringify({ capture: 'full' }));
  }
  const hookMs: number[] = [];
  const started = performance.now();
  // Workers are detached: their busy time is sampled from the lock they hold while they run.
  let lockHeldMs = 0;
  const sampleEvery = 20;
  const sampler = setInterval(() => {
    if (existsSync(spoolPaths(env).lock)) lockHeldMs += sampleEvery;
  }, sampleEvery);
  try {
    const simulated = Array.from(
      { length: sessions },
      () =>
        new SimulatedSession({
          sessionId: randomUUID(),
          cwd: box.project,
          codexHome: box.env.CODEX_HOME as string,
          env,
          mode,
          toolsPerTurn: tools,
          onHook: (event, run, ms) => {
            expect(run, event).toEqual({ code: 0, stdout: '', stderr: '' });
            hookMs.push(ms);
          },
        }),
    );
    const all = (await Promise.all(simulated.map((s) => s.run(turns)))).flat();
    const hooksDoneMs = performance.now() - started;
    await waitFor(() => server.traces.length >= all.length, 600_000, `${all.length} traces`);
    const deliveredMs = performance.now() - started;
    await workerIdle(env);
    return { turns: all, hookMs, hooksDoneMs, deliveredMs, lockHeldMs };
  } finally {
    clearInterval(sampler);
  }
}

function expectEachTurnOnce(turns: SimulatedTurn[], tools: number) {
  expect(server.traces).toHaveLength(turns.length);
  const received = new Map<string, Record<string, unknown>>();
  for (const trace of server.traces) {
    const general = trace.body.environment as { session_id?: string; turn_id?: string } | undefined;
    const key = `${general?.session_id}/${general?.turn_id}`;
    expect(received.has(key), `${key} received twice`).toBe(false);
    received.set(key, trace.body);
  }
  let tokens = 0;
  let expectedTokens = 0;
  for (const turn of turns) {
    const body = received.get(`${turn.sessionId}/${turn.turnId}`);
    expect(body, `${turn.sessionId}/${turn.turnId} not received`).toBeDefined();
    const usage = body?.llm_usage as { total_tokens?: number } | undefined;
    expect(usage?.total_tokens, turn.turnId).toBe(turn.totalTokens);
    const calls = ((body?.steps ?? []) as { action: string }[]).filter((s) => s.action === 'tool_call');
    expect(calls, turn.turnId).toHaveLength(tools);
    tokens += usage?.total_tokens ?? 0;
    expectedTokens += turn.totalTokens;
  }
  expect(tokens).toBe(expectedTokens);
  return tokens;
}

/** After the run: nothing left in the spool, the outbox or dead/, and every state file within its bound. */
function expectCleanAndBounded(sessions: number) {
  const paths = spoolPaths(env);
  expect(spoolNames(box.state)).toEqual([]);
  expect(readdirSync(paths.spoolTmp)).toEqual([]);
  expect(listOutbox(env)).toEqual([]);
  expect(listDead(env)).toEqual([]);
  expect(existsSync(paths.rerun)).toBe(false);
  expect(readdirSync(paths.sessions)).toHaveLength(sessions);
  for (const name of readdirSync(paths.sessions)) {
    // The per-session state keeps a bounded list of built turns, no text.
    expect(statSync(join(paths.sessions, name)).size).toBeLessThan(64 * 1024);
  }
  expect(readdirSync(paths.payloads).length).toBeLessThanOrEqual(PAYLOADS_KEPT + PAYLOADS_SLACK);
  for (const log of [paths.workerLog, paths.hookLog]) {
    if (existsSync(log)) expect(statSync(log).size).toBeLessThanOrEqual(LOG_MAX_BYTES + 4096);
  }
}

function report(label: string, run: LoadRun, tokens: number) {
  const p50 = percentile(run.hookMs, 50).toFixed(1);
  const p99 = percentile(run.hookMs, 99).toFixed(1);
  console.log(
    `load (${label}): ${run.turns.length} turns, ${run.hookMs.length} hook runs, hook p50 ${p50} ms p99 ${p99} ms, ` +
      `hooks done in ${(run.hooksDoneMs / 1000).toFixed(1)} s, all delivered at ${(run.deliveredMs / 1000).toFixed(1)} s, ` +
      `workers held the lock ${(run.lockHeldMs / 1000).toFixed(1)} s in total, ${tokens} tokens`,
  );
}

describe('load', () => {
  it('delivers every turn of many concurrent lean-mode sessions exactly once', async () => {
    const sessions = envCount('LOAD_SESSIONS', 20);
    const turns = envCount('LOAD_TURNS', 50);
    const tools = envCount('LOAD_TOOLS', 20);
    const run = await load(sessions, turns, tools, 'lean');
    expect(run.turns).toHaveLength(sessions * turns);
    // Each turn: UserPromptSubmit and Stop; each session: SessionEnd.
    expect(run.hookMs).toHaveLength(sessions * (2 * turns + 1));
    const tokens = expectEachTurnOnce(run.turns, tools);
    // A worker run by hand afterwards finds nothing left to send.
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(run.turns.length);
    expectCleanAndBounded(sessions);
    report('lean', run, tokens);
  }, 900_000);

  it('delivers every turn exactly once in full mode (PreToolUse/PostToolUse too)', async () => {
    const sessions = envCount('LOAD_FULL_SESSIONS', 4);
    const turns = envCount('LOAD_FULL_TURNS', 5);
    const tools = envCount('LOAD_TOOLS', 20);
    const run = await load(sessions, turns, tools, 'full');
    expect(run.hookMs).toHaveLength(sessions * ((2 + 2 * tools) * turns + 1));
    const tokens = expectEachTurnOnce(run.turns, tools);
    await runWorkerProcess(env);
    expect(server.traces).toHaveLength(run.turns.length);
    expectCleanAndBounded(sessions);
    report('full', run, tokens);
  }, 900_000);
});
