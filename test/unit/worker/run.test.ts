import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endPause, startPause, writePauseState } from '../../../src/config/pause';
import { OUTBOX_RETRY } from '../../../src/infinium/retry';
import { listDead, listOutbox, readHistory, requeueDead, spoolStats } from '../../../src/spool';
import { spoolPaths, traceKey } from '../../../src/spool/layout';
import { writeOutboxEntry } from '../../../src/spool/outbox';
import { envTrailer } from '../../../src/spool/session-env';
import { storeSessionSecret } from '../../../src/spool/session-secrets';
import { deliverOutbox, recoverOutbox } from '../../../src/worker/deliver';
import { type Composer, MAX_BUILD_ATTEMPTS, runWorker, type TurnStatus } from '../../../src/worker/run';
import {
  codexSession,
  makeSandbox,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
  writeProjectConfig,
} from '../../support/capture-harness';
import { fakeComposer } from '../../support/fake-compose';
import { type StandIn, startStandIn } from '../../support/infinium-stand-in';

const AGENT = 'agent-0001';
const SECRET = 'sk-test-secret-value';
let server: StandIn;
let box: Sandbox;
let env: Record<string, string>;
let seq = 0;
let clock = Date.now() - 60_000;

/** Writes a spool entry the way the hooks do, with its arrival stamp (mtime) strictly increasing. */
function spool(
  payload: string,
  event = (JSON.parse(payload) as { hook_event_name: string }).hook_event_name,
  sessionEnv: Record<string, string> = {},
) {
  const dir = join(box.state, 'spool');
  mkdirSync(dir, { recursive: true });
  seq += 1;
  clock += 100;
  const file = join(dir, `${process.pid}-${seq}.${event}.json`);
  const trailer = envTrailer(sessionEnv);
  writeFileSync(file, trailer ? Buffer.concat([Buffer.from(payload), trailer]) : payload);
  utimesSync(file, new Date(clock), new Date(clock));
}

/** The agent's stored secret, or none. */
const storeSecret = (secret: string | null) => storeAgentSecret(box, secret ? { [AGENT]: secret } : {});

beforeEach(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  env = { ...box.env };
  storeSecret(SECRET);
});
afterEach(async () => {
  await server.close();
  box.cleanup();
});

const run = (composer: Composer = fakeComposer, extra: Partial<Parameters<typeof runWorker>[1]> = {}) =>
  runWorker(env, { composer, ...extra });

describe('the worker', () => {
  it('builds, sends and records each closed turn once, and deletes its raw payloads', async () => {
    const s = codexSession('s1', box.project);
    spool(s.sessionStart());
    spool(s.prompt('t1', 'list files'));
    spool(s.stop('t1', 'done'));
    spool(s.prompt('t2', 'open turn'));
    await run();
    expect(server.traces).toHaveLength(1);
    expect(server.traces[0]?.body.input_summary).toBe('list files');
    expect(spoolNames(box.state)).toEqual([expect.stringMatching(/\.UserPromptSubmit\.json$/)]);
    const [record] = readHistory(env);
    expect(record).toMatchObject({
      status: 'sent',
      turn: 't1',
      turnNumber: 1,
      traceId: server.traces[0]?.traceId,
      steps: 3,
    });
    expect(JSON.parse(readFileSync(record?.payloadPath as string, 'utf8'))).toEqual(server.traces[0]?.body);
    await run();
    expect(server.traces).toHaveLength(1);
    spool(s.stop('t2', 'ok'));
    await run();
    expect(server.traces.map((t) => t.body.name)).toEqual(['Turn 1 of s1', 'Turn 2 of s1']);
    expect(listOutbox(env)).toEqual([]);
  });

  it('keeps a trace in the outbox with a later attempt when Infinium is down, and sends it once when due', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    server.goDown();
    let now = Date.now();
    await run(fakeComposer, { now: () => now, random: () => 0 });
    const [queued] = listOutbox(env);
    expect(queued).toMatchObject({ attempts: 1, nextAttemptAtMs: now + 15_000 });
    expect(queued?.lastError).toContain('HTTP 503');
    server.recover();
    await run(fakeComposer, { now: () => now });
    expect(server.traces).toHaveLength(0);
    now += 15_001;
    await run(fakeComposer, { now: () => now });
    await run(fakeComposer, { now: () => now });
    expect(server.traces).toHaveLength(1);
    expect(readHistory(env)[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('parks a trace rejected with 401 in dead/ with the reason, and retry --dead requeues it', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    storeSecret('wrong');
    await run();
    const [dead] = listDead(env);
    expect(dead?.reason).toContain('HTTP 401');
    expect(dead?.reason).not.toContain('wrong');
    expect(readHistory(env)[0]).toMatchObject({ status: 'dead' });
    expect(spoolStats(env)).toMatchObject({ dead: 1, outbox: 0 });
    storeSecret(SECRET);
    expect(requeueDead(env)).toBe(1);
    expect(await deliverOutbox(env, { force: true })).toMatchObject({ sent: 1, busy: false });
    expect(server.traces).toHaveLength(1);
    expect(listDead(env)).toEqual([]);
  });

  it('waits with reason "no secret" (not dead) when no secret can be loaded', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    storeSecret(null);
    await run();
    expect(listOutbox(env)).toMatchObject([{ lastError: 'no secret', attempts: 0 }]);
    expect(spoolStats(env)).toMatchObject({ outboxNoSecret: 1, dead: 0 });
    storeSecret(SECRET);
    await run();
    expect(server.traces).toHaveLength(1);
  });

  it("sends each turn with its own session's secret, never the worker's (env-bleed-across-sessions)", async () => {
    const own = codexSession('s-own', box.project);
    const plain = codexSession('s-plain', box.project);
    const withSecret = { INFINIUM_AGENT_SECRET: 'ik_session_secret' };
    spool(own.prompt('t1', 'x'), undefined, withSecret);
    spool(own.stop('t1', 'y'), undefined, withSecret);
    spool(plain.prompt('t1', 'x'));
    spool(plain.stop('t1', 'y'));
    storeSecret(null);
    // The worker runs in another session's environment: its secret is for that session only.
    env.INFINIUM_AGENT_SECRET = SECRET;
    await run();
    expect(server.traces).toHaveLength(0);
    expect(listOutbox(env).map((e) => [e.sessionId, e.secret, e.lastError])).toEqual([
      ['s-own', 'session', 'no secret'],
      ['s-plain', 'stored', 'no secret'],
    ]);
    storeSessionSecret(spoolPaths(env), 's-own', SECRET);
    storeSecret(SECRET);
    await run();
    expect(server.traces).toHaveLength(2);
  });

  it('drops turns with no agent configured, and turns of paused projects, without sending them', async () => {
    const elsewhere = join(box.dir, 'other');
    mkdirSync(elsewhere);
    const s = codexSession('s-other', elsewhere);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    writePauseState({ all: false, projects: [box.project] }, env);
    const p = codexSession('s-paused', box.project);
    spool(p.prompt('t1', 'x'));
    spool(p.stop('t1', 'y'));
    await run();
    expect(server.requests).toHaveLength(0);
    expect(spoolNames(box.state)).toEqual([]);
    expect(spoolStats(env)).toMatchObject({ turnsDropped: 2, outbox: 0 });
  });

  it('skips and counts a corrupt spool entry, keeping the other events of the turn', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool('{"session_id": "s1", "hook_event_name": "PreTool', 'PreToolUse');
    spool(s.stop('t1', 'y'));
    const [pass] = await run();
    expect(pass?.corrupt).toBe(1);
    expect(server.traces).toHaveLength(1);
    expect(server.traces[0]?.body.steps).toHaveLength(2);
    expect(readdirSync(join(box.state, 'spool', 'corrupt'))).toHaveLength(1);
    expect(spoolStats(env).corruptSkipped).toBe(1);
  });

  it('never builds a turn twice when a crash came after its outbox write', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    let composed = 0;
    const counting: Composer = {
      composeTurnTrace: async (turn, ctx, cursor) => {
        composed += 1;
        return fakeComposer.composeTurnTrace(turn, ctx, cursor);
      },
      composeSessionTrace: fakeComposer.composeSessionTrace,
    };
    // What a worker killed between the outbox write and the session-state write leaves behind.
    const built = await fakeComposer.composeTurnTrace(
      {
        sessionId: 's1',
        turnId: 't1',
        cwd: box.project,
        transcriptPath: null,
        events: [],
        ending: 'stop',
        turnNumber: 1,
      },
      { config: {} as never, capture: 'lean', nowMs: Date.now(), rolloutSettleMs: 0 },
      undefined,
    );
    writeOutboxEntry(spoolPaths(env), {
      key: traceKey('s1', 't1'),
      sessionId: 's1',
      turnKey: 't1',
      turnNumber: 1,
      agentId: AGENT,
      baseUrl: server.url,
      projectName: 'project',
      cwd: box.project,
      builtAtMs: Date.now(),
      taskData: built.taskData,
      cursorAfter: built.cursor,
      attempts: 0,
      nextAttemptAtMs: 0,
    });
    await run(counting);
    expect(composed).toBe(0);
    expect(server.traces).toHaveLength(1);
    expect(spoolNames(box.state)).toEqual([]);
  });

  it('resends a trace whose send was cut short by a crash, and says so in the history', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    server.goDown();
    await run(fakeComposer, { random: () => 0 });
    const [entry] = listOutbox(env);
    writeOutboxEntry(spoolPaths(env), {
      ...(entry as NonNullable<typeof entry>),
      sendingSinceMs: Date.now(),
    });
    server.recover();
    await run();
    expect(server.traces).toHaveLength(1);
    expect(readHistory(env)[0]).toMatchObject({
      status: 'sent',
      unknownOutcomes: 1,
      attempts: 2,
    });
  });

  it('builds one trace for the whole session at SessionEnd when granularity is session', async () => {
    writeProjectConfig(box, { agentId: AGENT, baseUrl: server.url, granularity: 'session' });
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'first'));
    spool(s.stop('t1', 'a'));
    await run();
    expect(server.traces).toHaveLength(0);
    spool(s.prompt('t2', 'second'));
    spool(s.stop('t2', 'b'));
    spool(s.sessionEnd());
    await run();
    expect(server.traces.map((t) => t.body.name)).toEqual(['Turn 1+2 of s1']);
    expect(spoolNames(box.state)).toEqual([]);
  });

  it('leaves its work to a worker already running, which picks it up before it exits', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inCompose = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow: Composer = {
      composeTurnTrace: async (turn, ctx, cursor) => {
        entered();
        await gate;
        return fakeComposer.composeTurnTrace(turn, ctx, cursor);
      },
      composeSessionTrace: fakeComposer.composeSessionTrace,
    };
    const first = run(slow);
    await inCompose;
    spool(s.prompt('t2', 'x'));
    spool(s.stop('t2', 'y'));
    expect(await run()).toEqual([]);
    release();
    expect((await first).map((p) => p.built)).toEqual([1, 1]);
    expect(server.traces.map((t) => t.body.name)).toEqual(['Turn 1 of s1', 'Turn 2 of s1']);
  });

  it('sets a turn aside after repeated build failures, so later turns of the session still go out', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'poison'));
    spool(s.stop('t1', 'y'));
    spool(s.prompt('t2', 'fine'));
    spool(s.stop('t2', 'ok'));
    const picky: Composer = {
      composeTurnTrace: async (turn, ctx, cursor) => {
        if (turn.turnId === 't1') throw new Error('cannot read this turn');
        return fakeComposer.composeTurnTrace(turn, ctx, cursor);
      },
      composeSessionTrace: fakeComposer.composeSessionTrace,
    };
    for (let attempt = 1; attempt < MAX_BUILD_ATTEMPTS; attempt += 1) {
      await run(picky);
      expect(server.traces).toHaveLength(0);
      expect(spoolNames(box.state)).toHaveLength(4);
    }
    const [pass] = await run(picky);
    expect(pass).toMatchObject({ failed: 1, built: 1, sent: 1 });
    expect(server.traces.map((t) => t.body.input_summary)).toEqual(['fine']);
    expect(readdirSync(join(box.state, 'spool', 'corrupt'))).toHaveLength(2);
    expect(spoolStats(env).turnsFailed).toBe(1);
    expect(readFileSync(join(box.state, 'logs', 'worker.log'), 'utf8')).toContain('cannot read this turn');
  });

  it('gives up on a trace after the last attempt the outbox policy allows, with the reason', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    server.goDown();
    await run();
    const [entry] = listOutbox(env);
    writeOutboxEntry(spoolPaths(env), {
      ...(entry as NonNullable<typeof entry>),
      attempts: OUTBOX_RETRY.maxAttempts - 1,
      nextAttemptAtMs: 0,
    });
    await run();
    expect(listOutbox(env)).toEqual([]);
    expect(listDead(env)[0]?.reason).toMatch(
      new RegExp(`gave up after ${OUTBOX_RETRY.maxAttempts} attempts: .*HTTP 503`),
    );
  });

  describe('waits for the rollout to confirm a turn', () => {
    /** The fake composer plus a rollout whose verdict per turn id the test sets. */
    function confirming(verdicts: Map<string, TurnStatus>): Composer {
      return {
        ...fakeComposer,
        async rolloutTurnStatus(turn) {
          return verdicts.get(turn.turnId ?? '') ?? { state: 'none' };
        },
      };
    }

    it('builds a Stop turn only once task_complete is in the rollout, later turns after it', async () => {
      const s = codexSession('s1', box.project);
      spool(s.prompt('t1', 'a'));
      spool(s.stop('t1', 'first part'));
      spool(s.prompt('t2', 'b'));
      spool(s.stop('t2', 'done'));
      const verdicts = new Map<string, TurnStatus>([
        ['t1', { state: 'open', changedAtMs: clock }],
        ['t2', { state: 'ended' }],
      ]);
      const passes = await run(confirming(verdicts), { waitForRollout: false, now: () => clock + 10 });
      expect(passes[0]?.unconfirmed).toBe(1);
      expect(server.traces).toHaveLength(0);
      expect(spoolNames(box.state)).toHaveLength(4);
      // The rollout confirms it while the detached worker keeps looking.
      setTimeout(() => verdicts.set('t1', { state: 'ended' }), 300);
      await run(confirming(verdicts), { now: () => clock + 10 });
      expect(server.traces.map((t) => t.body.name).sort()).toEqual(['Turn 1 of s1', 'Turn 2 of s1']);
    });

    it('builds an unconfirmed turn with what is known once the wait is over', async () => {
      const s = codexSession('s1', box.project);
      spool(s.prompt('t1', 'a'));
      spool(s.stop('t1', 'done'));
      const verdicts = new Map<string, TurnStatus>([['t1', { state: 'open', changedAtMs: clock }]]);
      await run(confirming(verdicts), { confirmMs: 1_000, now: () => clock + 10_000 });
      expect(server.traces.map((t) => t.body.description)).toEqual(['t1:stop']);
    });

    it('does not send a prompt that never became a turn in a readable rollout, nor count it; a lost turn is sent', async () => {
      const s = codexSession('s1', box.project);
      spool(s.prompt('ghost', 'a'));
      spool(s.prompt('t1', 'b'));
      spool(s.stop('t1', 'done'));
      // A turn Codex said ran (its Stop came) is still sent when a rewritten rollout lost it.
      spool(s.prompt('lost', 'c'));
      spool(s.stop('lost', 'done'));
      const verdicts = new Map<string, TurnStatus>([
        ['ghost', { state: 'absent' }],
        ['t1', { state: 'ended' }],
        ['lost', { state: 'absent' }],
      ]);
      await run(confirming(verdicts), { confirmMs: 1_000, now: () => clock + 10_000 });
      expect(server.traces.map((t) => t.body.name).sort()).toEqual(['Turn 1 of s1', 'Turn 2 of s1']);
      expect(spoolNames(box.state)).toEqual([]);
    });

    it('a confirmed turn does not wait behind an earlier prompt the rollout does not hold', async () => {
      const s = codexSession('s1', box.project);
      spool(s.prompt('ghost', 'a'));
      spool(s.prompt('t1', 'b'));
      spool(s.stop('t1', 'done'));
      const verdicts = new Map<string, TurnStatus>([
        ['ghost', { state: 'absent' }],
        ['t1', { state: 'ended' }],
      ]);
      // Well inside the 30 s an absent prompt is otherwise given: the later turn is over in the rollout.
      const [pass] = await run(confirming(verdicts), { waitForRollout: false, now: () => clock + 10 });
      expect(pass?.unconfirmed).toBe(0);
      expect(server.traces.map((t) => t.body.name)).toEqual(['Turn 1 of s1']);
      expect(spoolNames(box.state)).toEqual([]);
    });

    it('builds an open turn as soon as its rollout records the abort, with no Interrupt hook', async () => {
      const s = codexSession('s1', box.project);
      spool(s.prompt('t1', 'a'));
      const verdicts = new Map<string, TurnStatus>([['t1', { state: 'ended', aborted: true }]]);
      await run(confirming(verdicts));
      expect(server.traces.map((t) => t.body.description)).toEqual(['t1:interrupt']);
    });
  });

  // redos-lock-takeover-duplicate: a holder that was taken over while its build ran (frozen, then back)
  // must commit nothing: no outbox write, no send, the raw events left for the new holder.
  it('redos-lock-takeover-duplicate: a worker that lost the lock during a build queues and sends nothing', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    const lock = spoolPaths(env).lock;
    const takenOver: Composer = {
      composeTurnTrace: async (turn, ctx, cursor) => {
        writeFileSync(lock, JSON.stringify({ pid: process.pid, token: 'the-second-worker' }));
        return fakeComposer.composeTurnTrace(turn, ctx, cursor);
      },
      composeSessionTrace: fakeComposer.composeSessionTrace,
    };
    expect(await run(takenOver)).toEqual([]);
    expect(server.requests).toHaveLength(0);
    expect(listOutbox(env)).toEqual([]);
    expect(spoolNames(box.state)).toHaveLength(2);
    expect(JSON.parse(readFileSync(lock, 'utf8')).token).toBe('the-second-worker');
    expect(readFileSync(join(box.state, 'logs', 'worker.log'), 'utf8')).toContain(
      'took the worker lock over',
    );
    rmSync(lock);
    await run();
    expect(server.traces).toHaveLength(1);
  });

  it('redos-lock-takeover-duplicate: a worker that lost the lock before a send does not send', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    server.goDown();
    await run(fakeComposer, { random: () => 0 });
    server.recover();
    const lock = spoolPaths(env).lock;
    // The outbox is read, then the lock is taken over before the entry's send.
    let reads = 0;
    const now = () => {
      reads += 1;
      if (reads === 2) writeFileSync(lock, JSON.stringify({ pid: process.pid, token: 'the-second-worker' }));
      return Date.now() + OUTBOX_RETRY.maxDelayMs;
    };
    await run(fakeComposer, { now });
    expect(server.traces).toHaveLength(0);
    expect(listOutbox(env)).toMatchObject([{ attempts: 1 }]);
    expect(listOutbox(env)[0]?.sendingSinceMs).toBeUndefined();
  });

  // accepted-trace-moved-to-dead: once Infinium has accepted a trace, a local write error is bookkeeping.
  it('accepted-trace-moved-to-dead: a payload copy that cannot be written leaves the trace sent, never dead', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    // Not a directory where the payload copies go: every write there fails, as on a read-only mount.
    mkdirSync(join(box.state, 'history'), { recursive: true });
    writeFileSync(join(box.state, 'history', 'payloads'), 'in the way');
    const [pass] = await run();
    expect(pass).toMatchObject({ sent: 1, dead: 0 });
    expect(listDead(env)).toEqual([]);
    expect(listOutbox(env)).toEqual([]);
    expect(readHistory(env)).toMatchObject([{ status: 'sent', traceId: server.traces[0]?.traceId }]);
    expect(readFileSync(join(box.state, 'logs', 'worker.log'), 'utf8')).toContain(
      'was accepted by Infinium, but the copy of its payload could not be written',
    );
    // What the history and doctor advise for dead traces sends nothing again.
    expect(requeueDead(env)).toBe(0);
    await deliverOutbox(env, { force: true });
    await run();
    expect(server.traces).toHaveLength(1);
  });

  it('accepted-trace-moved-to-dead: with no room for even a history line, the acceptance is kept by a rename and recorded later', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    const historyFile = join(box.state, 'history', 'history.jsonl');
    mkdirSync(historyFile, { recursive: true });
    const [pass] = await run();
    expect(pass).toMatchObject({ sent: 1, dead: 0 });
    expect(listDead(env)).toEqual([]);
    expect(listOutbox(env)).toEqual([]);
    expect(readdirSync(join(box.state, 'outbox'))).toEqual([expect.stringContaining('.accepted-')]);
    // Still no history: runs after it send nothing again, and keep the mark.
    await run(fakeComposer, { force: true });
    expect(server.traces).toHaveLength(1);
    rmSync(historyFile, { recursive: true });
    await run();
    expect(server.traces).toHaveLength(1);
    expect(readHistory(env)).toMatchObject([{ status: 'sent', traceId: server.traces[0]?.traceId }]);
    expect(readdirSync(join(box.state, 'outbox'))).toEqual([]);
    const [record] = readHistory(env);
    expect(JSON.parse(readFileSync(record?.payloadPath as string, 'utf8'))).toEqual(server.traces[0]?.body);
  });

  // queued-traces-keep-old-agent-and-url: fixing the agent id or the base URL must rescue what was queued.
  it('queued-traces-keep-old-agent-and-url: retry --dead sends dead traces to the agent and URL now configured', async () => {
    writeProjectConfig(box, { agentId: 'wrongid', baseUrl: `${server.url}/wrong/prefix` });
    storeAgentSecret(box, { [AGENT]: SECRET, wrongid: SECRET });
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    await run();
    expect(listDead(env)).toMatchObject([{ agentId: 'wrongid' }]);
    writeProjectConfig(box, { agentId: AGENT, baseUrl: server.url });
    const recovery = await recoverOutbox(env, { dead: true });
    expect(await deliverOutbox(env, { force: true })).toMatchObject({ sent: 1, dead: 0 });
    expect(recovery).toEqual({
      requeued: 1,
      retargeted: [
        {
          from: { agentId: 'wrongid', baseUrl: `${server.url}/wrong/prefix` },
          to: { agentId: AGENT, baseUrl: server.url },
          count: 1,
        },
      ],
    });
    expect(server.traces.map((t) => t.agentId)).toEqual([AGENT]);
    expect(readHistory(env)[0]).toMatchObject({ status: 'sent', agentId: AGENT });
  });

  it('queued-traces-keep-old-agent-and-url: leaves a queued trace alone when its project names no agent now', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    server.goDown();
    await run();
    rmSync(join(box.project, '.infinium'), { recursive: true });
    server.recover();
    expect(await recoverOutbox(env)).toEqual({ requeued: 0, retargeted: [] });
    expect(await deliverOutbox(env, { force: true })).toMatchObject({ sent: 1 });
    expect(server.traces.map((t) => t.agentId)).toEqual([AGENT]);
  });

  // attack21 F2: a session's own destination (and its own secret) is never moved by another shell's retry.
  it('retry keeps a trace where its session chose to send it, whatever the retrying shell names', async () => {
    const down = 'http://127.0.0.1:9/api/v1';
    const s = codexSession('s-own', box.project);
    const own = { INFINIUM_AGENT_ID: 'agX', INFINIUM_BASE_URL: down, INFINIUM_AGENT_SECRET: 'set' };
    spool(s.prompt('t1', 'private staging prompt'), undefined, own);
    spool(s.stop('t1', 'y'), undefined, own);
    storeSessionSecret(spoolPaths(env), 's-own', 'SESSIONSECRET-XYZ-987654321');
    const plain = codexSession('s-plain', box.project);
    spool(plain.prompt('t1', 'x'));
    spool(plain.stop('t1', 'y'));
    server.goDown();
    await run();
    server.recover();
    expect(listOutbox(env).map((e) => [e.sessionId, e.agentId, e.baseUrl])).toEqual([
      ['s-own', 'agX', down],
      ['s-plain', AGENT, server.url],
    ]);
    // The shell that retries names an agent of its own: it decides for neither trace.
    const shell = { ...env, INFINIUM_AGENT_ID: 'shell-agent', INFINIUM_BASE_URL: `${server.url}/shell` };
    expect(await recoverOutbox(shell)).toEqual({ requeued: 0, retargeted: [] });
    await deliverOutbox(env, { force: true });
    // Only the plain session's trace reached this server, with the stored secret (a wrong one is a 401).
    expect(server.requests.map((r) => r.status)).not.toContain(401);
    expect(server.traces.map((t) => t.agentId)).toEqual([AGENT]);
    expect(listOutbox(env).map((e) => [e.agentId, e.baseUrl])).toEqual([['agX', down]]);
  });

  it("retry never carries a session's own secret to the agent its project names now", async () => {
    // The user's own server (a session's secret goes to no other: loadConfigSecret), a wrong agent id.
    writeProjectConfig(box, { agentId: 'wrongid', baseUrl: server.url });
    const s = codexSession('s-own', box.project);
    spool(s.prompt('t1', 'x'), undefined, { INFINIUM_AGENT_SECRET: 'set' });
    spool(s.stop('t1', 'y'), undefined, { INFINIUM_AGENT_SECRET: 'set' });
    storeSessionSecret(spoolPaths(env), 's-own', 'SESSIONSECRET-XYZ-987654321');
    await run();
    expect(listDead(env)).toMatchObject([{ agentId: 'wrongid', secret: 'session' }]);
    writeProjectConfig(box, { agentId: AGENT, baseUrl: server.url });
    const recovery = await recoverOutbox(env, { dead: true });
    expect(recovery?.retargeted).toEqual([
      {
        from: { agentId: 'wrongid', baseUrl: server.url },
        to: { agentId: AGENT, baseUrl: server.url },
        count: 1,
        refused: expect.stringContaining('its own secret'),
      },
    ]);
    await deliverOutbox(env, { force: true });
    expect(server.traces).toEqual([]);
  });

  // attack21 F2b: a trace built under `full` never goes unchanged to a destination that takes less.
  it('retry refuses to re-target a trace to a destination whose content mode is narrower', async () => {
    writeProjectConfig(box, {
      agentId: 'wrongid',
      baseUrl: `${server.url}/wrong/prefix`,
      contentMode: 'full',
    });
    storeAgentSecret(box, { [AGENT]: SECRET, wrongid: SECRET });
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'x'));
    spool(s.stop('t1', 'y'));
    await run();
    expect(listDead(env)).toMatchObject([{ agentId: 'wrongid', contentMode: 'full' }]);
    writeProjectConfig(box, { agentId: AGENT, baseUrl: server.url });
    const recovery = await recoverOutbox(env, { dead: true });
    expect(recovery?.retargeted).toMatchObject([
      { to: { agentId: AGENT }, count: 1, refused: expect.stringContaining('content mode full') },
    ]);
    expect(listOutbox(env)).toMatchObject([{ agentId: 'wrongid' }]);
    // The same destination taking `full` is a correction the trace may follow.
    writeProjectConfig(box, { agentId: AGENT, baseUrl: server.url, contentMode: 'full' });
    expect((await recoverOutbox(env))?.retargeted).toMatchObject([{ count: 1, to: { agentId: AGENT } }]);
    await deliverOutbox(env, { force: true });
    expect(server.traces.map((t) => t.agentId)).toEqual([AGENT]);
  });

  // pause-checked-at-build-time: pause was looked up when the worker built the turn, not when it was made.
  it('pause-checked-at-build-time: a turn made while paused is dropped after resume; one made before pause is sent', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'made while tracing was on'));
    spool(s.stop('t1', 'a'));
    clock += 1_000;
    startPause(box.project, env, clock);
    spool(s.prompt('t2', 'SENSITIVE turn made while paused'));
    spool(s.stop('t2', 'b'));
    clock += 1_000;
    endPause(box.project, env, clock);
    spool(s.prompt('t3', 'made after resume'));
    spool(s.stop('t3', 'c'));
    // Built only now, after the resume.
    await run();
    expect(server.traces.map((t) => t.body.input_summary)).toEqual([
      'made while tracing was on',
      'made after resume',
    ]);
    // The reverse: made while tracing was on, built after `pause --all`.
    spool(s.prompt('t4', 'made before pause --all'));
    spool(s.stop('t4', 'd'));
    clock += 1_000;
    startPause(null, env, clock);
    spool(s.prompt('t5', 'made during pause --all'));
    spool(s.stop('t5', 'e'));
    await run();
    expect(server.traces.map((t) => t.body.input_summary).slice(2)).toEqual(['made before pause --all']);
    expect(spoolStats(env).turnsDropped).toBe(2);
  });

  it('pause-checked-at-build-time: a turn during which the project was paused, even partly, is dropped', async () => {
    const s = codexSession('s1', box.project);
    spool(s.prompt('t1', 'started before the pause'));
    clock += 1_000;
    startPause(box.project, env, clock);
    clock += 1_000;
    endPause(box.project, env, clock);
    spool(s.stop('t1', 'ended after the resume'));
    await run();
    expect(server.traces).toHaveLength(0);
    expect(spoolStats(env).turnsDropped).toBe(1);
  });

  // codex-matrix F7: before Codex 0.140 a sub-agent's hooks come under its own session, without agent_id.
  it("nests a sub-agent's own session under the parent its rollout names", async () => {
    const parent = codexSession('p1', box.project);
    const child = codexSession('c1', box.project);
    spool(parent.prompt('p-t1', 'delegate'));
    spool(child.prompt('c-t1', 'sub task'));
    spool(child.stop('c-t1', 'sub done'));
    spool(parent.stop('p-t1', 'all done'));
    const composer: Composer = {
      ...fakeComposer,
      async parentSession(sessionId) {
        return sessionId === 'c1' ? 'p1' : null;
      },
    };
    await run(composer);
    expect(server.traces).toHaveLength(1);
    expect(server.traces[0]?.body.name).toBe('Turn 1 of p1');
    const steps = server.traces[0]?.body.steps as { description: string }[];
    expect(steps.map((step) => step.description)).toEqual([
      'UserPromptSubmit',
      'UserPromptSubmit (agent c1)',
      'Stop (agent c1)',
      'Stop',
    ]);
    expect(spoolNames(box.state)).toEqual([]);
  });
});
