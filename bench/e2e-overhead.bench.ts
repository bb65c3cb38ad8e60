// Issue 6, scenario 14: what our hooks add to a real Codex turn. A scripted 10-command turn (one fresh
// `codex exec` session per run) with no hooks, with bare `cat` hooks on the full-mode events (Codex's own
// cost per hook), and with our hooks in lean and full mode while Infinium is healthy, answers after 2 s,
// or is down. Runs are interleaved (round-robin, order shuffled per round) and the worker is left to finish
// between runs, so it competes for the CPU with no timed run. Prints medians; asserts nothing.
// Run: npm run bench -- e2e-overhead   (BENCH_ROUNDS=n for more rounds; default 5)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codexExec, codexInstalled, makeSandbox, type Sandbox } from '../test/e2e/support/codex';
import { waitForWorkerIdle } from '../test/e2e/support/connector';
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

interface Config {
  name: string;
  run(): Promise<number>;
  close(): Promise<void>;
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
      return result.wallMs;
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
      return result.wallMs;
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

const samples = new Map<string, number[]>(configs.map((config) => [config.name, []]));
for (const config of configs) await config.run(); // warm-up: first runs pay for cold caches
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...configs].sort(() => Math.random() - 0.5);
  for (const config of order) samples.get(config.name)?.push(await config.run());
}
await Promise.all(configs.map((config) => config.close()));

const baseline = median(samples.get('no hooks') ?? []);
process.stdout.write(
  `real Codex 0.169.0, one 10-command turn per run (24 hook events in full mode), ${ROUNDS} interleaved rounds\n`,
);
process.stdout.write(
  `${'configuration'.padEnd(44)}${'median ms'.padStart(11)}${'p25-p75 ms'.padStart(14)}${'added ms'.padStart(10)}\n`,
);
for (const [name, values] of samples) {
  const value = median(values);
  const spread = `${quantile(values, 0.25).toFixed(0)}-${quantile(values, 0.75).toFixed(0)}`;
  const added =
    name === 'no hooks' ? '' : `${value - baseline >= 0 ? '+' : ''}${(value - baseline).toFixed(0)}`;
  process.stdout.write(
    `${name.padEnd(44)}${value.toFixed(0).padStart(11)}${spread.padStart(14)}${added.padStart(10)}\n`,
  );
}
