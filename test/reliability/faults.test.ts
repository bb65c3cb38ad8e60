// Fault injection on the real capture pipeline (built hook, built worker, stand-in Infinium): workers
// SIGKILLed at random points, API failures for stretches, a full disk, a read-only state dir, clock jumps.
// Afterwards every turn is delivered exactly once, or waits in outbox/ or dead/ with its reason; a turn
// resent after sends whose outcome was unknown (a kill, a timeout or a lost connection mid-send) must be
// sent no more times than the history counts such sends, plus one.
// Counts are printed. Scale: FAULT_KILL_RUNS (200), FAULT_SEED (printed, to replay a run).

import { randomUUID } from 'node:crypto';
import { appendFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDecision } from '../../src/config/consent';
import { listDead, listOutbox, readHistory } from '../../src/spool';
import { spoolPaths, traceKey } from '../../src/spool/layout';
import {
  FRONT_ENDS,
  type FrontEnd,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
  waitFor,
} from '../support/capture-harness';
import { envCount, SimulatedSession, type SimulatedTurn, startPipeline } from '../support/codex-simulator';
import {
  clockShiftUnavailable,
  inertWorkerDist,
  mountReadOnly,
  mountSmallDisk,
  mountUnavailable,
  runWorkerAndKill,
  shiftedClock,
  workerIdle,
} from '../support/faults';
import { prng } from '../support/fuzz-inputs';
import type { Failure, StandIn } from '../support/infinium-stand-in';
import { runWorkerProcess } from '../support/scenario';

const AGENT = '3f1f0c2e-0000-4000-8000-0000000fa017';
const SECRET = 'ik_live_fault_secret_0123456789abcdef';

let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;
const undo: (() => void)[] = [];

beforeEach(async () => {
  ({ server, box, env } = await startPipeline(AGENT, SECRET));
});
afterEach(async () => {
  for (const step of undo.splice(0).reverse()) step();
  await workerIdle(env);
  await server.close();
  box.cleanup();
});

/** `n` simulated sessions; their hooks through `frontEnds` in turn (the shell front-end by default). */
function sessions(
  n: number,
  options: { dist?: string; tools?: number; frontEnds?: FrontEnd[] } = {},
): SimulatedSession[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new SimulatedSession({
        frontEnd: options.frontEnds?.[i % options.frontEnds.length],
        sessionId: randomUUID(),
        cwd: box.project,
        codexHome: box.env.CODEX_HOME as string,
        env,
        mode: 'lean',
        toolsPerTurn: options.tools ?? 3,
        dist: options.dist,
        onHook: (event, run) => expect(run, event).toEqual({ code: 0, stdout: '', stderr: '' }),
      }),
  );
}

/** Runs the worker (forcing due sends) until nothing is left to build or send, at most `times` runs. */
async function drain(times = 6): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await workerIdle(env);
    if (spoolNames(box.state).length === 0 && listOutbox(env).length === 0 && i > 0) return;
    await runWorkerProcess(env, ['--retry']);
  }
}

interface Accounting {
  once: number;
  resentFlagged: number;
  outbox: number;
  dead: number;
  absent: number;
}

/**
 * Where each turn ended up. `mayBeAbsent` are turns whose hook events could not be stored at all (full or
 * read-only disk): those may be missing, nothing else may.
 */
function account(turns: SimulatedTurn[], mayBeAbsent: ReadonlySet<string> = new Set()): Accounting {
  const received = new Map<string, number>();
  for (const trace of server.traces) {
    const environment = trace.body.environment as { session_id: string; turn_id: string };
    const key = traceKey(environment.session_id, environment.turn_id);
    received.set(key, (received.get(key) ?? 0) + 1);
  }
  const history = readHistory(env);
  const outbox = new Map(listOutbox(env).map((e) => [e.key, e]));
  const dead = new Map(listDead(env).map((e) => [e.key, e]));
  const result: Accounting = { once: 0, resentFlagged: 0, outbox: 0, dead: 0, absent: 0 };
  const keys = new Set<string>();
  for (const turn of turns) {
    const key = traceKey(turn.sessionId, turn.turnId);
    keys.add(key);
    const times = received.get(key) ?? 0;
    if (times === 1) result.once += 1;
    else if (times > 1) {
      // Each extra copy comes from a send whose outcome was unknown, and the history counts those.
      const sent = history.find((r) => r.key === key && r.status === 'sent');
      expect(
        sent?.unknownOutcomes ?? 0,
        `${key} received ${times} times; the history counts ${sent?.unknownOutcomes ?? 0} unknown outcomes`,
      ).toBeGreaterThanOrEqual(times - 1);
      result.resentFlagged += 1;
    } else if (outbox.has(key)) {
      expect(outbox.get(key)?.lastError, `${key} waits in the outbox without a reason`).toBeTruthy();
      result.outbox += 1;
    } else if (dead.has(key)) {
      expect(dead.get(key)?.reason, `${key} is dead without a reason`).toBeTruthy();
      result.dead += 1;
    } else {
      expect(mayBeAbsent.has(key), `${key} was lost`).toBe(true);
      result.absent += 1;
    }
  }
  // Nothing was sent that no turn produced.
  for (const key of received.keys()) expect(keys.has(key), `unexpected trace ${key}`).toBe(true);
  return result;
}

function report(label: string, turns: number, a: Accounting, extra = '') {
  console.log(
    `faults (${label}): ${turns} turns: ${a.once} delivered once, ${a.resentFlagged} resent after an unknown ` +
      `outcome (flagged in history), ${a.outbox} in outbox, ${a.dead} dead, ${a.absent} never stored${extra}`,
  );
}

function keyOf(turn: SimulatedTurn): string {
  return traceKey(turn.sessionId, turn.turnId);
}

const API_FAILURES: Failure[] = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'rate_limit', retryAfter: '1' },
  { kind: 'drop' },
];

describe('fault injection', () => {
  it('loses and duplicates nothing when workers are SIGKILLed at random points between new turns', async () => {
    const runs = envCount('FAULT_KILL_RUNS', 200);
    const seed = envCount('FAULT_SEED', Math.floor(Math.random() * 1_000_000));
    const random = prng(seed);
    const simulated = sessions(4, { dist: inertWorkerDist(box.dir) });
    let killedMidRun = 0;
    let apiFailures = 0;
    for (let run = 0; run < runs; run += 1) {
      if (random() < 0.5) await simulated[Math.floor(random() * simulated.length)]?.turn();
      if (random() < 0.15) {
        server.failNext(1, API_FAILURES[Math.floor(random() * API_FAILURES.length)] as Failure);
        apiFailures += 1;
      }
      // Node's start-up alone takes 100-300 ms here: delays up to 900 ms land anywhere from start-up to
      // building, sending and housekeeping.
      const outcome = await runWorkerAndKill(
        env,
        Math.floor(random() * 900),
        random() < 0.2 ? ['--retry'] : [],
      );
      if (outcome.killed) killedMidRun += 1;
    }
    for (const s of simulated) await s.end();
    server.recover();
    await drain();
    const turns = simulated.flatMap((s) => s.turns);
    const accounting = account(turns);
    expect(accounting.outbox + accounting.dead).toBe(0);
    expect(spoolNames(box.state)).toEqual([]);
    const leftovers = tempLeftovers();
    report(
      `SIGKILL, seed ${seed}`,
      turns.length,
      accounting,
      `; ${runs} worker runs, ${killedMidRun} killed mid-run, ${apiFailures} API failures injected, ` +
        `${leftovers} temp files left by killed writes`,
    );
  }, 900_000);

  it('keeps traces through stretches of 500s, 429s, dropped connections and a timeout, then sends each once', async () => {
    const simulated = sessions(3);
    const turnEach = () => Promise.all(simulated.map((s) => s.turn()));
    const stretches: Failure[] = [
      { kind: 'status', status: 500 },
      { kind: 'rate_limit', retryAfter: '2' },
      { kind: 'drop' },
    ];
    for (const failure of stretches) {
      server.goDown(failure);
      await turnEach();
      await turnEach();
      await workerIdle(env);
      server.recover();
    }
    // A server that takes longer than the client's 30 s timeout, and keeps the trace all the same.
    server.failNext(1, { kind: 'slow', delayMs: 31_000 });
    await turnEach();
    await waitFor(() => server.requests.some((r) => r.status === 0), 20_000, 'the slow request');
    await turnEach();
    for (const s of simulated) await s.end();
    await workerIdle(env);
    await drain();
    const turns = simulated.flatMap((s) => s.turns);
    const accounting = account(turns);
    expect(accounting.outbox + accounting.dead).toBe(0);
    report(
      'API 500/429/drop/timeout',
      turns.length,
      accounting,
      `; ${server.requests.filter((r) => r.status !== 201).length} requests failed or timed out`,
    );
  }, 300_000);

  it.skipIf(mountUnavailable(join('/tmp', `mount-probe-${process.pid}`)))(
    'keeps spooled turns through a full disk and delivers them once there is room again',
    async () => {
      const dist = inertWorkerDist(box.dir);
      undo.push(mountSmallDisk(box.state, 512 * 1024));
      // The new filesystem hides the secret and the consent to the project file recorded before it was
      // mounted: record them again, as init would.
      storeAgentSecret(box, { [AGENT]: SECRET });
      recordDecision(join(box.project, '.infinium', 'config.json'), 'allow', box.env);
      // A session through each front-end: on the full disk each drops its payload, silently.
      const simulated = sessions(FRONT_ENDS.length, { dist, frontEnds: FRONT_ENDS });
      for (const s of simulated) await s.turn();
      const filler = join(box.state, 'filler');
      const fill = () => {
        try {
          for (;;) appendFileSync(filler, Buffer.alloc(4096));
        } catch {
          // ENOSPC: full
        }
      };
      fill();
      // Hooks on a full disk: exit 0, print nothing; their events cannot be stored.
      const lost = new Set<string>();
      for (const s of simulated) lost.add(keyOf(await s.turn()));
      // A worker on a full disk cannot queue a trace: the raw events must stay in the spool.
      const spooled = spoolNames(box.state).length;
      expect(await runWorkerProcess(env)).toBe(0);
      expect(spoolNames(box.state).length).toBe(spooled);
      // Room for a few files only: the worker gets part way.
      rmSync(filler);
      fill();
      truncateSync(filler, statSync(filler).size - 6 * 4096);
      expect(await runWorkerProcess(env)).toBe(0);
      rmSync(filler);
      await drain();
      const turns = simulated.flatMap((s) => s.turns);
      const accounting = account(turns, lost);
      expect(accounting.once).toBeGreaterThanOrEqual(simulated.length);
      expect(accounting.outbox + accounting.dead).toBe(0);
      expect(spoolNames(box.state)).toEqual([]);
      report('disk full', turns.length, accounting);
    },
    120_000,
  );

  it.skipIf(mountUnavailable(join('/tmp', `mount-probe-ro-${process.pid}`)))(
    'keeps spooled turns while the state dir is read-only and delivers them once it is writable again',
    async () => {
      const dist = inertWorkerDist(box.dir);
      const simulated = sessions(FRONT_ENDS.length, { dist, frontEnds: FRONT_ENDS });
      for (const s of simulated) await s.turn();
      const spooled = spoolNames(box.state).length;
      const undoReadOnly = mountReadOnly(box.state);
      undo.push(undoReadOnly);
      const lost = new Set<string>();
      for (const s of simulated) lost.add(keyOf(await s.turn()));
      expect(await runWorkerProcess(env)).toBe(0);
      expect(server.traces).toHaveLength(0);
      expect(spoolNames(box.state).length).toBe(spooled);
      undo.pop()?.();
      await drain();
      const turns = simulated.flatMap((s) => s.turns);
      const accounting = account(turns, lost);
      expect(accounting.once).toBe(simulated.length);
      expect(accounting.absent).toBe(simulated.length);
      report('read-only state dir', turns.length, accounting);
    },
    120_000,
  );

  it.skipIf(clockShiftUnavailable())(
    'sends traces queued under a clock that later jumped back, and builds turns once across jumps',
    async () => {
      const dist = inertWorkerDist(box.dir);
      const simulated = sessions(2, { dist });
      // A worker a year ahead, with Infinium down: its retry times lie a year in the future.
      for (const s of simulated) await s.turn();
      server.goDown();
      await runWorkerProcess(shiftedClock(env, '+365d'));
      expect(listOutbox(env).map((e) => e.attempts)).toEqual([1, 1]);
      server.recover();
      // The clock is back and no new turn comes: a worker on time sends them without being forced.
      await runWorkerProcess(env);
      expect(listOutbox(env)).toEqual([]);
      // A worker a day behind, then one on time.
      for (const s of simulated) await s.turn();
      await runWorkerProcess(shiftedClock(env, '-1d'));
      await runWorkerProcess(env);
      expect(listOutbox(env)).toEqual([]);
      // A jump forward past the stale timeout (2 h), with turns waiting in the spool.
      for (const s of simulated) await s.turn();
      await runWorkerProcess(shiftedClock(env, '+3h'));
      await runWorkerProcess(env);
      const turns = simulated.flatMap((s) => s.turns);
      const accounting = account(turns);
      expect(accounting.once).toBe(turns.length);
      report('clock jumps +1y/-1d/+3h', turns.length, accounting);
    },
    120_000,
  );
});

/** Temp files of atomic writes cut short by a kill, anywhere in the state dir. */
function tempLeftovers(): number {
  const paths = spoolPaths(env);
  let found = 0;
  for (const dir of [paths.outbox, paths.dead, paths.sessions, paths.payloads, paths.spool]) {
    try {
      found += readdirSync(dir).filter((n) => n.endsWith('.tmp')).length;
    } catch {
      // never created
    }
  }
  return found;
}
