// Issue 6, scenario 14: what our hooks add to a real Codex turn. A scripted 10-command turn (one fresh
// `codex exec` session per run) with no hooks, with bare `cat` hooks on the full-mode events (Codex's own
// cost per hook), and with our hooks in lean and full mode while Infinium is healthy, answers after 2 s,
// or is down. Runs are interleaved (round-robin, order shuffled per round) and the worker is left to finish
// between runs, so it competes for the CPU with no timed run. Prints medians of two figures: the wall time
// of `codex exec` (what the user waits for, session start and end included) and the turn's duration as
// Codex itself records it (task_complete.duration_ms: the in-turn hooks only). Asserts nothing.
// Run: npm run bench -- e2e-overhead   (BENCH_ROUNDS=n for more rounds; default 5)
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codexExec, codexInstalled, makeSandbox, type Sandbox } from '../test/e2e/support/codex';
import { listFiles, waitForWorkerIdle } from '../test/e2e/support/connector';
import { conversation, startModelServer } from '../test/e2e/support/model-server';
import { type HooksFile, trustEntries, trustToml } from '../test/e2e/support/trust';
import { tenCommands } from '../test/e2e/support/turns';
import { startWorld, type World } from '../test/e2e/support/world';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FULL_MODE_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Stop',
  'SessionEnd',
];

interface Sample {
  wallMs: number;
  turnMs: number;
}

interface Config {
  name: string;
  run(): Promise<Sample>;
  close(): Promise<void>;
}

/** task_complete.duration_ms of the newest session's rollout (each run is a fresh session). */
function lastTurnMs(sandbox: Sandbox): number {
  const sessions = join(sandbox.codexHome, 'sessions');
  const newest = listFiles(sessions)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(sessions, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error(`no rollout under ${sessions}`);
  for (const line of readFileSync(newest, 'utf8').trim().split('\n').reverse()) {
    const record = JSON.parse(line) as { type?: string; payload?: { type?: string; duration_ms?: number } };
    if (record.type === 'event_msg' && record.payload?.type === 'task_complete') {
      return record.payload.duration_ms ?? Number.NaN;
    }
  }
  throw new Error(`no task_complete in ${newest}`);
}

/** The q-quantile (0..1) of the samples, linear between neighbours. */
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] as number;
  const high = sorted[Math.ceil(at)] as number;
  return low + (high - low) * (at - Math.floor(at));
};
const median = (values: number[]) => quantile(values, 0.5);

async function plainConfig(name: string, hooks: boolean): Promise<Config> {
  const model = await startModelServer();
  const sandbox: Sandbox = makeSandbox({ modelUrl: model.url });
  if (hooks) {
    const file: HooksFile = { hooks: {} };
    for (const event of FULL_MODE_EVENTS) {
      file.hooks[event] = [{ hooks: [{ type: 'command', command: 'cat >/dev/null', timeout: 3 }] }];
    }
    const hooksPath = join(sandbox.codexHome, 'hooks.json');
    writeFileSync(hooksPath, JSON.stringify(file));
    const configPath = join(sandbox.codexHome, 'config.toml');
    writeFileSync(
      configPath,
      `${readFileSync(configPath, 'utf8')}\n${trustToml(trustEntries(hooksPath, file))}`,
    );
  }
  return {
    name,
    async run() {
      model.setScript(conversation(tenCommands()));
      const result = await codexExec('Run ten commands.', { sandbox });
      if (result.code !== 0) throw new Error(`${name}: codex exited ${result.code}\n${result.stderr}`);
      return { wallMs: result.wallMs, turnMs: lastTurnMs(sandbox) };
    },
    close: () => model.close(),
  };
}

async function ourConfig(
  capture: 'lean' | 'full',
  infinium: 'healthy' | 'slow 2 s' | 'down',
): Promise<Config> {
  const world: World = await startWorld({ capture });
  if (infinium === 'slow 2 s') world.standIn.goDown({ kind: 'slow', delayMs: 2_000 });
  if (infinium === 'down') world.standIn.goDown({ kind: 'drop' });
  return {
    name: `${capture}, Infinium ${infinium}`,
    async run() {
      const result = await world.exec('Run ten commands.', conversation(tenCommands()));
      await waitForWorkerIdle(world.sandbox, 60_000);
      return { wallMs: result.wallMs, turnMs: lastTurnMs(world.sandbox) };
    },
    close: () => world.close(),
  };
}

if (!codexInstalled()) {
  process.stdout.write('Codex is not installed: run `node scripts/e2e-install-codex.mjs` first. Skipped.\n');
  process.exit(0);
}

const configs: Config[] = [
  await plainConfig('no hooks', false),
  await plainConfig('bare `cat` hooks, full-mode events', true),
];
for (const capture of ['lean', 'full'] as const) {
  for (const infinium of ['healthy', 'slow 2 s', 'down'] as const)
    configs.push(await ourConfig(capture, infinium));
}

const samples = new Map<string, Sample[]>(configs.map((config) => [config.name, []]));
for (const config of configs) await config.run(); // warm-up: first runs pay for cold caches
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...configs].sort(() => Math.random() - 0.5);
  for (const config of order) samples.get(config.name)?.push(await config.run());
}
await Promise.all(configs.map((config) => config.close()));

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(0)}`;
const column = (values: number[], baseline: number, isBaseline: boolean) => {
  const spread = `${quantile(values, 0.25).toFixed(0)}-${quantile(values, 0.75).toFixed(0)}`;
  const added = isBaseline ? '' : signed(median(values) - baseline);
  return `${median(values).toFixed(0).padStart(8)}${spread.padStart(12)}${added.padStart(8)}`;
};
const base = samples.get('no hooks') ?? [];
const baseWall = median(base.map((sample) => sample.wallMs));
const baseTurn = median(base.map((sample) => sample.turnMs));
process.stdout.write(
  `real Codex 0.169.0, one 10-command turn per run (24 hook events in full mode), ${ROUNDS} interleaved rounds\n` +
    `ms; median, p25-p75, added vs no hooks; wall = codex exec, turn = Codex's task_complete.duration_ms\n`,
);
process.stdout.write(
  `${'configuration'.padEnd(40)}${'wall'.padStart(8)}${'p25-p75'.padStart(12)}${'added'.padStart(8)}` +
    `${'turn'.padStart(8)}${'p25-p75'.padStart(12)}${'added'.padStart(8)}\n`,
);
for (const [name, values] of samples) {
  const isBaseline = name === 'no hooks';
  process.stdout.write(
    `${name.padEnd(40)}${column(
      values.map((sample) => sample.wallMs),
      baseWall,
      isBaseline,
    )}${column(
      values.map((sample) => sample.turnMs),
      baseTurn,
      isBaseline,
    )}\n`,
  );
}
