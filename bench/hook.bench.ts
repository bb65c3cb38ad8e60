// Per-event cost of the hook front-ends, beside the floors they are judged against (product.md): the POSIX
// hook vs `sh -c 'cat >/dev/null'` (target <= 1.5x) and the Node hook vs `node -e 0` (target <= 1.15x).
// Each command gets a real Codex payload through a pipe and is timed until it exits and its stdio closes,
// as Codex waits for it. Commands are interleaved within each round so that machine noise hits all alike;
// medians are printed. The Stop rows include starting the detached worker (no agent configured, so it
// drops the turn and exits); the bench lets that worker finish before timing the next command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const fixtures = join(root, 'test/fixtures/codex-0.169.0/scenarios/ten-commands/hooks.jsonl');
const lines = readFileSync(fixtures, 'utf8').split('\n').filter(Boolean);
const payloadOf = (event: string) => {
  const line = lines.find((l) => (JSON.parse(l) as { hook_event_name: string }).hook_event_name === event);
  if (!line) throw new Error(`no ${event} payload in ${fixtures}`);
  return line;
};
const postToolUse = payloadOf('PostToolUse');
const stop = payloadOf('Stop');

const state = mkdtempSync(join(tmpdir(), 'infinium-bench-'));
const env = {
  PATH: process.env.PATH,
  HOME: state,
  INFINIUM_CODEX_HOME: join(state, 'state'),
} as NodeJS.ProcessEnv;
if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
const node = process.execPath;

interface Case {
  label: string;
  command: string;
  args: string[];
  input: string;
}
const cases: Case[] = [
  { label: "sh -c 'cat >/dev/null'", command: 'sh', args: ['-c', 'cat >/dev/null'], input: postToolUse },
  {
    label: 'hook.sh PostToolUse',
    command: join(dist, 'hook.sh'),
    args: ['PostToolUse', node],
    input: postToolUse,
  },
  { label: 'hook.sh Stop (+worker)', command: join(dist, 'hook.sh'), args: ['Stop', node], input: stop },
  { label: 'node -e 0', command: node, args: ['-e', '0'], input: postToolUse },
  {
    label: 'bin.cjs hook PostToolUse',
    command: node,
    args: [join(dist, 'bin.cjs'), 'hook', 'PostToolUse'],
    input: postToolUse,
  },
  {
    label: 'bin.cjs hook Stop (+worker)',
    command: node,
    args: [join(dist, 'bin.cjs'), 'hook', 'Stop'],
    input: stop,
  },
];

/** Lets the worker a Stop started finish, so its CPU time does not land on the next measurement. */
function settleWorker(sinceMs: number): void {
  const stats = join(env.INFINIUM_CODEX_HOME as string, 'spool', 'stats.json');
  const lock = join(env.INFINIUM_CODEX_HOME as string, 'worker.lock');
  const deadline = Date.now() + 10_000;
  const ran = () => existsSync(stats) && statSync(stats).mtimeMs >= sinceMs;
  while (Date.now() < deadline && (!ran() || existsSync(lock))) spawnSync('sleep', ['0.02']);
}

const rounds = Number(process.argv[2]) || 40;
const samples = new Map<string, number[]>(cases.map((c) => [c.label, []]));
for (let round = -3; round < rounds; round += 1) {
  for (const c of cases) {
    const started = process.hrtime.bigint();
    const run = spawnSync(c.command, c.args, { input: c.input, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 0 || run.stdout.length > 0 || run.stderr.length > 0) {
      throw new Error(`${c.label}: exit ${run.status}, output ${run.stdout}${run.stderr}`);
    }
    if (round >= 0) samples.get(c.label)?.push(ms);
    if (c.args.includes('Stop')) settleWorker(Date.now() - ms - 1);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const m = (label: string) => median(samples.get(label) ?? []);
const shBase = m("sh -c 'cat >/dev/null'");
const nodeBase = m('node -e 0');
console.log(
  `payload: PostToolUse ${Buffer.byteLength(postToolUse)} B, Stop ${Buffer.byteLength(stop)} B; ${rounds} interleaved rounds, medians`,
);
for (const c of cases) {
  const base = c.command === node ? nodeBase : shBase;
  const ratio =
    c.label.startsWith('sh -c') || c.label.startsWith('node -e')
      ? ''
      : `  ${(m(c.label) / base).toFixed(2)}x`;
  console.log(`${c.label.padEnd(30)} ${m(c.label).toFixed(2).padStart(8)} ms${ratio}`);
}
console.log('targets: hook.sh <= 1.5x sh -c cat; bin.cjs hook <= 1.15x node -e 0');
rmSync(state, { recursive: true, force: true });
