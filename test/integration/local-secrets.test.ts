// Local secrets stay local to the user (issue 21, kind 3): every local user can read every process's
// command line (/proc/<pid>/cmdline, `ps`). While a user sets up tracing, runs turns whose hooks start the
// worker, and asks for results, nothing we start (hooks, worker, keyring helper, codex --version, the
// browser opener) carries the agent secret or a turn's text on its command line, or the secret in its
// environment.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, waitForWorkerIdle } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { feed, twoTurns } from '../support/recorded-turns';

const AGENT = 'agent-local';
const SECRET = 'sk-tl-8b1f2e7d9c4a60';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

/** Samples every process's command line (and environment, readable here as root or the owner) until stopped. */
function watchProcesses(): { stop(): { lines: Set<string>; environments: Set<string> } } {
  const lines = new Set<string>();
  const environments = new Set<string>();
  const sample = () => {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        lines.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
        environments.add(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
  };
  const timer = setInterval(sample, 5);
  return {
    stop() {
      clearInterval(timer);
      return { lines, environments };
    },
  };
}

describe.skipIf(process.platform !== 'linux')('nothing secret on a command line', () => {
  it('init, two traced turns, results, retry, doctor and test --send-trace', async () => {
    const sandbox = makeSandbox();
    const watch = watchProcesses();
    let seen: ReturnType<ReturnType<typeof watchProcesses>['stop']>;
    const events = twoTurns(sandbox);
    const prompts = events
      .filter(({ event }) => event === 'UserPromptSubmit')
      .map(({ payload }) => (JSON.parse(payload) as { prompt: string }).prompt);
    try {
      expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
      await feed(sandbox, events);
      await waitFor(() => standIn.traces.length >= 2, 60_000, 'both traces');
      await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
      for (const args of [['results'], ['retry'], ['doctor'], ['test', '--send-trace']]) {
        await runCli(sandbox, args);
      }
    } finally {
      seen = watch.stop();
    }
    // The watch saw our processes (it would not have seen a secret otherwise).
    const ours = [...seen.lines].filter((line) => line.includes(sandbox.root) || line.includes('worker.mjs'));
    expect(ours.length).toBeGreaterThan(0);
    expect(prompts.length).toBe(2);
    for (const text of [SECRET, SECRET.slice(6, 18), ...prompts]) {
      expect([...seen.lines].filter((line) => line.includes(text))).toEqual([]);
    }
    expect([...seen.environments].filter((environment) => environment.includes(SECRET))).toEqual([]);
  }, 180_000);
});
