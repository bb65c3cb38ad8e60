// One e2e world: a scripted model, a stand-in Infinium, a sandbox user whose Codex is configured for both,
// and our connector installed in it by `init`. Scenarios run real `codex exec` sessions in it.
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { waitForWorkerIdle as waitForIdle } from '../../support/capture-harness';
import type { ReceivedTrace, StandIn } from '../../support/infinium-stand-in';
import { startStandIn } from '../../support/infinium-stand-in';
import { type CodexRun, codexExec, makeSandbox, type RunOptions, type Sandbox } from './codex';
import {
  type Agent,
  type CaptureMode,
  type InitOptions,
  init,
  waitForTraces,
  waitForWorkerIdle,
} from './connector';
import { type ModelScript, type ModelServer, startModelServer } from './model-server';

export interface World {
  sandbox: Sandbox;
  model: ModelServer;
  standIn: StandIn;
  agent: Agent;
  capture: CaptureMode;
  /** Runs one `codex exec` turn (or `resume --last`) with this model script. */
  exec(
    prompt: string,
    script: ModelScript,
    options?: Partial<RunOptions> & { resume?: boolean; expectExit?: number },
  ): Promise<CodexRun>;
  /**
   * The next `count` traces (those received since the previous call; init's own test trace excluded), once
   * they arrived and the worker is idle.
   */
  nextTraces(count: number): Promise<ReceivedTrace[]>;
  /** Traces received since the previous nextTraces/markSeen, without waiting. */
  unseen(): ReceivedTrace[];
  /** Counts every trace received so far as seen (e.g. a second `init`'s own test trace). */
  markSeen(): void;
  close(): Promise<void>;
}

export interface WorldOptions {
  capture: CaptureMode;
  /** Extra TOML tables for Codex's config.toml (MCP servers, features). */
  tables?: string;
  /** More agents to create at the stand-in (scenario: two projects, two agents). */
  extraAgents?: Agent[];
  /** `init --front-end` (default: init's own choice). */
  frontEnd?: InitOptions['frontEnd'];
  /** The bin.cjs init runs from (default: the checkout's). */
  bin?: string;
}

export function newAgent(): Agent {
  return { id: randomUUID(), secret: `isk_${randomBytes(18).toString('hex')}` };
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const agent = newAgent();
  const agents = [agent, ...(options.extraAgents ?? [])];
  const standIn = await startStandIn(Object.fromEntries(agents.map((entry) => [entry.id, entry.secret])));
  const model = await startModelServer();
  const sandbox = makeSandbox({ modelUrl: model.url, tables: options.tables });
  const close = async () => {
    // A test that does not wait for its turn's trace may leave the worker writing in the state folder: let
    // it finish its pass first (what stays in the spool, it would not take), or the removal races its writes.
    await waitForIdle(sandbox.stateDir, { timeoutMs: 10_000 }).catch(() => undefined);
    await Promise.all([standIn.close(), model.close()]);
    rmSync(sandbox.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  try {
    await init(sandbox, {
      agent,
      standIn,
      capture: options.capture,
      frontEnd: options.frontEnd,
      bin: options.bin,
    });
    await waitForWorkerIdle(sandbox);
  } catch (error) {
    await close();
    throw error;
  }
  let seen = standIn.traces.length;
  return {
    sandbox,
    model,
    standIn,
    agent,
    capture: options.capture,
    async exec(prompt, script, runOptions = {}) {
      model.setScript(script);
      const run = await codexExec(prompt, { sandbox, ...runOptions });
      const expected = runOptions.expectExit ?? 0;
      if (run.code !== expected) {
        throw new Error(`codex exited ${run.code ?? run.signal}, expected ${expected}\n${run.stderr}`);
      }
      return run;
    },
    async nextTraces(count) {
      await waitForTraces(standIn, seen + count, sandbox);
      const received = standIn.traces.slice(seen);
      seen = standIn.traces.length;
      return received;
    },
    unseen() {
      return standIn.traces.slice(seen);
    },
    markSeen() {
      seen = standIn.traces.length;
    },
    close,
  };
}
