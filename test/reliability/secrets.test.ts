// Secrets stay secret. The fake-secret corpus (test/fixtures/secrets) is placed in prompts, commands, env
// assignments, outputs, file names, MCP arguments and results and final messages of real-shaped Codex
// turns (hook payloads and rollouts), in both capture modes, and run through the real hooks, the real
// worker and the stand-in server, with failed sends on the way. None of it may reach the server (every
// byte it received is scanned) or any file under the state dir (every byte, logs, history, outbox and dead
// included); the agent secret may sit only in the fallback credential file. Also prints the redaction
// recall per kind and the false-positive rate on ordinary code and output.
//
// Scale: SECRETS_ROWS limits the pipeline runs to the first N corpus rows (CI runs all 111).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSecret } from '../../src/config/credentials';
import { listDead, listOutbox, requeueDead, spoolStats } from '../../src/spool';
import { makeRedactor } from '../../src/trace/redact';
import { RULE_KEYWORDS } from '../../src/trace/secret-rules';
import {
  DIST,
  type EventSequence,
  type FrontEnd,
  makeSandbox,
  runHook,
  type Sandbox,
} from '../support/capture-harness';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { LEAN, runWorkerProcess } from '../support/scenario';
import {
  type CorpusRow,
  idShaped,
  leakedRows,
  NAMELESS_PLACEMENTS,
  needles,
  pieceLeft,
  placementTexts,
  publicPlacements,
  readCommandOutput,
  readCorpus,
  readOrdinary,
  readPublicCorpus,
  SHAPE_KINDS,
  secretPieces,
  secretSession,
} from '../support/secret-corpus';

const REPO = resolve(import.meta.dirname, '../..');
const AGENT = '3f1f0c2e-0000-4000-8000-000000005ec2';
const AGENT_SECRET = 'ik_live_agent_secret_for_the_leak_test_9f8e7d6c';
const CONCURRENCY = 6;
const corpus = readCorpus();
const redact = makeRedactor([]);

describe('redaction figures', () => {
  it('redacts every corpus secret in every placement (recall per kind)', () => {
    const kinds = [...new Set(corpus.map((row) => row.kind))];
    const lines: string[] = [];
    const missed: string[] = [];
    for (const kind of kinds) {
      const rows = corpus.filter((row) => row.kind === kind);
      const caught = (text: string, row: CorpusRow) => leakedRows([row], redact(text)).length === 0;
      const inContext = rows.filter((row) => caught(row.context, row)).length;
      let placed = 0;
      let placedTotal = 0;
      for (const row of rows) {
        for (const text of placementTexts(row)) {
          placedTotal += 1;
          if (caught(text, row)) placed += 1;
          else missed.push(`${kind}: ${redact(text).slice(0, 160)}`);
        }
      }
      const bare = rows.filter((row) => caught(row.secret, row)).length;
      lines.push(
        `${kind.padEnd(22)} contexts ${inContext}/${rows.length}, placements ${placed}/${placedTotal}, ` +
          `bare secret ${bare}/${rows.length}${SHAPE_KINDS.has(kind) ? '' : ' (not recognisable bare)'}`,
      );
      if (SHAPE_KINDS.has(kind) && bare < rows.length) missed.push(`${kind}: a bare secret`);
    }
    const all = corpus.length;
    const contexts = corpus.filter((row) => leakedRows([row], redact(row.context)).length === 0).length;
    console.log(
      `redaction recall on the corpus (${all} rows, ${kinds.length} kinds):\n  ${lines.join('\n  ')}`,
    );
    console.log(
      `redaction recall overall: contexts ${contexts}/${all} (${((100 * contexts) / all).toFixed(1)}%)`,
    );
    expect(missed).toEqual([]);
  });

  it('leaves ordinary code and output alone (false-positive rate)', () => {
    const ordinary = readOrdinary();
    const changedOrdinary = ordinary.filter((line) => redact(line) !== line);
    const sample = ordinaryCodeAndOutput();
    const changed = sample.lines.filter((line) => redact(line) !== line);
    const rate = (n: number, of: number) => `${((100 * n) / of).toFixed(3)}%`;
    console.log(
      `redaction false positives: ordinary.txt ${changedOrdinary.length}/${ordinary.length}; ` +
        `repo sample ${changed.length}/${sample.lines.length} lines (${rate(changed.length, sample.lines.length)}) ` +
        `from ${sample.sources}`,
    );
    for (const line of changed.slice(0, 10)) console.log(`  false positive: ${line.trim().slice(0, 150)}`);
    expect(changedOrdinary).toEqual([]);
    expect(changed.length / sample.lines.length).toBeLessThan(0.002);
  });
});

// The public corpus: the test examples of gitleaks, secretlint and detect-secrets (test/fixtures/secrets/
// public.jsonl.gz), each secret in every example that shows it and in the ways a Codex session shows it.
// A text counts as caught when no 8-character piece of its secret is left. Every text counts; those where
// an id-shaped secret (idShaped: a UUID, a number, hex of an object id's or a digest's length) stands in a
// line that names nothing are also counted apart, as the redactor keeps ids there on purpose.
describe('redaction figures on the public corpus', () => {
  it('recall over every text, and per placement', () => {
    const entries = readPublicCorpus();
    const byHow = new Map<string, { caught: number; of: number; missed: Map<string, number> }>();
    const ids = { caught: 0, of: 0 };
    for (const entry of entries) {
      const pieces = secretPieces(entry.secret);
      const texts = [
        ...entry.contexts.map((text) => ({ how: 'as its example', text })),
        ...publicPlacements(entry),
      ];
      for (const { how, text } of texts) {
        const caught = !pieceLeft(pieces, entry.secret, text, redact(text));
        if (NAMELESS_PLACEMENTS.has(how) && idShaped(entry.secret)) {
          ids.of += 1;
          if (caught) ids.caught += 1;
        }
        const count = byHow.get(how) ?? { caught: 0, of: 0, missed: new Map() };
        count.of += 1;
        if (caught) count.caught += 1;
        else count.missed.set(entry.rule, (count.missed.get(entry.rule) ?? 0) + 1);
        byHow.set(how, count);
      }
    }
    const all = [...byHow.values()].reduce(
      (sum, c) => ({ caught: sum.caught + c.caught, of: sum.of + c.of }),
      { caught: 0, of: 0 },
    );
    const percent = (c: { caught: number; of: number }) => `${((100 * c.caught) / c.of).toFixed(2)}%`;
    const families = (missed: Map<string, number>) =>
      [...missed]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([rule, n]) => `${rule} ${n}`)
        .join(', ');
    const sources = new Map<string, number>();
    for (const entry of entries) sources.set(entry.source, (sources.get(entry.source) ?? 0) + 1);
    const others = { caught: all.caught - ids.caught, of: all.of - ids.of };
    console.log(
      `redaction recall on the public corpus, every text: ${percent(all)} (${all.caught}/${all.of} texts, ${entries.length} distinct secrets: ` +
        `${[...sources].map(([source, n]) => `${source} ${n}`).join(', ')})\n` +
        `  of which ${ids.of} texts hold an id-shaped secret (UUID, number, hex of an id's or a digest's length) in a line that names nothing: ` +
        `${ids.caught} redacted (UUIDs, commits, 24-hex object ids and numbers stay, as a trace's ids); the other texts ${percent(others)} (${others.caught}/${others.of})\n  ` +
        [...byHow]
          .map(
            ([how, c]) =>
              `${how.padEnd(20)} ${percent(c)} (${c.caught}/${c.of})${c.missed.size > 0 ? `; missed: ${families(c.missed)}` : ''}`,
          )
          .join('\n  '),
    );
    expect(all.caught / all.of).toBeGreaterThanOrEqual(0.995);
  });

  it('false positives on ordinary output', () => {
    const sample = ordinaryCodeAndOutput();
    const lock = readFileSync(join(REPO, 'package-lock.json'), 'utf8').split('\n').slice(0, 4_000);
    const commands = readCommandOutput();
    const rollouts = rolloutStrings();
    const lines = [...sample.lines, ...readOrdinary(), ...lock, ...commands, ...rollouts.strings];
    const changed = lines.filter((line) => redact(line) !== line);
    const changedCommands = commands.filter((line) => redact(line) !== line);
    const changedRollouts = rollouts.strings.filter((text) => redact(text) !== text);
    console.log(
      `redaction false positives on ordinary output: ${changed.length}/${lines.length} lines ` +
        `(${((100 * changed.length) / lines.length).toFixed(3)}%; ${sample.sources}, 4,000 lines of package-lock.json, ` +
        `${commands.length} lines of recorded command output (git, npm, test runs, listings, checksums): ${changedCommands.length} changed, ` +
        `${rollouts.strings.length} strings of ${rollouts.files} rollouts real Codex CLIs wrote (test/fixtures): ${changedRollouts.length} changed)`,
    );
    for (const line of changed.slice(0, 10)) console.log(`  false positive: ${line.trim().slice(0, 150)}`);
    expect(changed.length / lines.length).toBeLessThan(0.01);
  });

  it('prints the worst time for 1 MB (no assertion: the machine is shared)', () => {
    const MB = 1 << 20;
    const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const keywords = [...new Set(RULE_KEYWORDS)].join(' = x ');
    const inputs: Record<string, string> = {
      'random base64': Buffer.from(
        Array.from({ length: (MB * 3) / 4 }, (_, i) => (i * 7919 + (i >> 7)) % 256),
      ).toString('base64'),
      'every rule keyword': fill(`${keywords} `),
      'password lines': fill('password: hunter2x9 token=abc123def456ghi789 '),
      'JSON escaped 3 deep': fill('\\\\\\"key\\\\\\": \\\\\\"v4lue\\\\\\", '),
      'token characters': fill('aB3-'),
      'source code': fill(readFileSync(join(REPO, 'src/trace/build.ts'), 'utf8')),
    };
    const lines: string[] = [];
    let worst = 0;
    let worstCpu = 0;
    // Wall time, and the process's CPU time, which a loaded machine does not stretch as much.
    for (const [name, text] of Object.entries(inputs)) {
      const times: number[] = [];
      const cpus: number[] = [];
      for (let run = 0; run < 3; run += 1) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        redact(text);
        times.push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        cpus.push((used.user + used.system) / 1000);
      }
      const median = times.sort((a, b) => a - b)[1] as number;
      const cpuMedian = cpus.sort((a, b) => a - b)[1] as number;
      worst = Math.max(worst, median);
      worstCpu = Math.max(worstCpu, cpuMedian);
      lines.push(`${name} ${median.toFixed(0)} ms (CPU ${cpuMedian.toFixed(0)})`);
    }
    console.log(
      `redaction time for 1 MB (median of 3): worst ${worst.toFixed(0)} ms, CPU ${worstCpu.toFixed(0)} ms; ` +
        `load average ${loadavg()
          .map((value) => value.toFixed(1))
          .join(' ')}; ${lines.join(', ')}`,
    );
  });
});

/** Files that hold fake secrets on purpose: the redaction benchmark, gitleaks' rules (their examples). */
const FAKE_SECRETS_ON_PURPOSE = new Set(['redaction.bench.ts', 'secret-rules.json']);

/**
 * Lines of ordinary code and output: this repo's source, docs, scripts and benchmarks, the command outputs
 * of the recorded Codex sessions, and git's own output on this repo. Test files and FAKE_SECRETS_ON_PURPOSE
 * are left out.
 */
function ordinaryCodeAndOutput(): { lines: string[]; sources: string } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/\.(ts|mjs|sh|md|json)$/.test(name) && !FAKE_SECRETS_ON_PURPOSE.has(name)) files.push(file);
    }
  };
  for (const dir of ['src', 'docs', 'scripts', 'bench']) {
    try {
      walk(join(REPO, dir));
    } catch {
      // not every checkout has every folder
    }
  }
  const sourceLines = files.flatMap((file) => readFileSync(file, 'utf8').split('\n'));
  const outputs: string[] = [];
  const scenarios = join(REPO, 'test/fixtures/codex-0.169.0/scenarios');
  for (const name of readdirSync(scenarios)) {
    const rollout = join(scenarios, name, 'rollout.jsonl');
    try {
      for (const line of readFileSync(rollout, 'utf8').split('\n')) {
        const output = (JSON.parse(line || '{}') as { payload?: { item?: { aggregated_output?: string } } })
          .payload?.item?.aggregated_output;
        if (output) outputs.push(...output.split('\n'));
      }
    } catch {
      // a scenario without a rollout
    }
  }
  let git: string[] = [];
  try {
    git = execFileSync('git', ['log', '--stat', '-n', '300'], { cwd: REPO, encoding: 'utf8' }).split('\n');
  } catch {
    // not a git checkout (a packed tarball): the sample is smaller
  }
  const lines = [...sourceLines, ...outputs, ...git].filter((line) => line.trim() !== '');
  return {
    lines,
    sources: `${files.length} files (${sourceLines.length} lines), ${outputs.length} lines of recorded command output, ${git.length} lines of git log --stat`,
  };
}

/**
 * Every string of the rollouts real Codex CLIs wrote in the fixtures (prompts, commands, outputs, ids,
 * paths, messages): what a trace is built from, none of it a secret.
 */
function rolloutStrings(): { strings: string[]; files: number } {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
    else if (value !== null && typeof value === 'object')
      for (const item of Object.values(value)) collect(item);
  };
  let files = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (/^rollout.*\.jsonl$/.test(name)) {
        files += 1;
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          try {
            collect(JSON.parse(line));
          } catch {
            // a torn line (a fixture of one)
          }
        }
      }
    }
  };
  for (const dir of readdirSync(join(REPO, 'test/fixtures')))
    if (/^(?:codex-\d|field$)/.test(dir)) walk(join(REPO, 'test/fixtures', dir));
  return { strings: strings.filter((text) => text.trim() !== ''), files };
}

let server: StandIn;
const boxes: Sandbox[] = [];
beforeAll(async () => {
  server = await startStandIn({ [AGENT]: AGENT_SECRET });
});
afterAll(async () => {
  await server.close();
  for (const box of boxes) box.cleanup();
});

/** Every file under `dir` with its bytes (symlinks and sockets aside). */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const result: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const stat = statSync(file);
    if (stat.isDirectory()) result.push(...filesUnder(file));
    else if (stat.isFile()) result.push({ path: file, bytes: readFileSync(file) });
  }
  return result;
}

/** Corpus leaks and agent-secret copies in the state dir, as `file: kind` lines. */
function scanState(box: Sandbox): { leaks: string[]; agentSecretIn: string[]; bytes: number; files: number } {
  const files = filesUnder(box.state);
  const leaks: string[] = [];
  for (const file of files) {
    for (const row of leakedRows(corpus, file.bytes)) {
      const at = Math.max(...needles(row.secret).map((needle) => file.bytes.indexOf(needle)));
      const around = file.bytes.subarray(Math.max(0, at - 120), at + 60).toString();
      leaks.push(`${relative(box.state, file.path)}: ${row.kind} in ${JSON.stringify(around)}`);
    }
    // A file name is written too.
    for (const row of leakedRows(corpus, relative(box.state, file.path)))
      leaks.push(`file name ${file.path}: ${row.kind}`);
  }
  const agentSecretIn = files
    .filter((file) => needles(AGENT_SECRET).some((needle) => file.bytes.includes(needle)))
    .map((file) => relative(box.state, file.path));
  return { leaks, agentSecretIn, bytes: files.reduce((n, f) => n + f.bytes.length, 0), files: files.length };
}

/** Runs each session's events in order, sessions CONCURRENCY at a time; every run must be silent. */
async function fireHooks(
  frontEnd: FrontEnd,
  sessions: EventSequence[],
  env: Record<string, string>,
  dist: string,
) {
  const queue = [...sessions];
  const bad: string[] = [];
  let runs = 0;
  const lane = async () => {
    for (let events = queue.shift(); events; events = queue.shift()) {
      for (const [event, payload] of events) {
        const run = await runHook(frontEnd, event, payload, env, { dist });
        runs += 1;
        if (run.code !== 0 || run.stdout !== '' || run.stderr !== '')
          bad.push(`${event}: ${JSON.stringify(run)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  expect(bad).toEqual([]);
  return runs;
}

describe('secrets through the whole pipeline', () => {
  it.each([
    ['lean', 'node'],
    ['full', 'sh'],
  ] as const)(
    '%s capture (%s hooks): no corpus secret reaches the server or any file we write, through failed sends too',
    async (capture, frontEnd) => {
      const box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
      boxes.push(box);
      const env = { ...box.env };
      mkdirSync(box.state, { recursive: true, mode: 0o700 });
      writeFileSync(join(box.state, 'config.json'), JSON.stringify({ capture }), { mode: 0o600 });
      const stored = await storeSecret(AGENT, server.url, AGENT_SECRET, { env, noKeyring: true });
      expect(stored.source).toBe('file');
      // The hooks' own dist has no worker: the test runs the real one at chosen moments (failing server,
      // then recovered), which a worker started by each Stop would race.
      const hookDist = join(box.dir, 'dist');
      mkdirSync(hookDist);
      for (const file of ['hook.sh', 'bin.cjs'])
        writeFileSync(join(hookDist, file), readFileSync(join(DIST, file)), { mode: 0o755 });

      const rows = corpus.slice(0, Number(process.env.SECRETS_ROWS ?? corpus.length));
      const sessions = rows.map((row, i) => {
        const transcript = join(box.env.CODEX_HOME as string, 'sessions/2026/11/25', `rollout-${i}.jsonl`);
        const session = secretSession(row, i, box.project, transcript);
        mkdirSync(join(transcript, '..'), { recursive: true });
        writeFileSync(transcript, session.rollout);
        return capture === 'lean' ? session.events.filter(([event]) => LEAN.has(event)) : session.events;
      });
      const runs = await fireHooks(frontEnd, sessions, env, hookDist);

      const requestsBefore = server.requests.length;
      const bytesBefore = server.receivedBytes().length;
      const tracesBefore = server.traces.length;
      const scans: string[] = [];
      const check = (moment: string) => {
        const scan = scanState(box);
        scans.push(`${moment}: ${scan.files} files, ${scan.bytes} bytes`);
        expect(scan.leaks, moment).toEqual([]);
        expect(scan.agentSecretIn, moment).toEqual(['credentials.json']);
      };

      // 1. Infinium down: every turn is built (raw payloads gone) and waits in the outbox.
      server.goDown({ kind: 'status', status: 500 });
      expect(await runWorkerProcess(env)).toBe(0);
      expect(spoolStats(env)).toMatchObject({ spooledEvents: 0, outbox: rows.length });
      expect(listOutbox(env)[0]?.lastError).toMatch(/500/);
      check('after a failed send (HTTP 500)');

      // 2. Back, but some requests dropped or refused for good: dead/ holds those with their reason.
      server.recover();
      server.failNext(3, { kind: 'drop' });
      server.failNext(3, { kind: 'status', status: 401 });
      expect(await runWorkerProcess(env, ['--retry'])).toBe(0);
      expect(listDead(env).length).toBeGreaterThan(0);
      check('after dropped connections and HTTP 401s');

      // 3. Everything delivered in the end.
      requeueDead(env);
      for (let i = 0; i < 3 && listOutbox(env).length > 0; i += 1) await runWorkerProcess(env, ['--retry']);
      expect(spoolStats(env)).toMatchObject({ outbox: 0, dead: 0, spooledEvents: 0 });
      check('after delivery');

      const traces = server.traces.slice(tracesBefore);
      const sessionsSeen = new Set(
        traces.map((t) => (t.body.environment as { session_id: string }).session_id),
      );
      expect(sessionsSeen.size).toBe(rows.length);
      // The traces still say what happened: the redaction marks are there, the tool calls too.
      const redactions = traces.reduce((n, t) => n + (t.rawBody.match(/\[REDACTED:/g)?.length ?? 0), 0);

      // Every byte the server received: no corpus secret; the agent secret only as the x-agent-key header.
      const received = server.receivedBytes().subarray(bytesBefore);
      const bodiesOnly = Buffer.from(
        received.toString('latin1').split(`x-agent-key: ${AGENT_SECRET}`).join('x-agent-key: <agent secret>'),
        'latin1',
      );
      expect(leakedRows(corpus, received).map((row) => row.kind)).toEqual([]);
      expect(bodiesOnly.includes(AGENT_SECRET)).toBe(false);
      console.log(
        `secrets ${capture} capture (${frontEnd} hooks): ${rows.length} turns, ${runs} hook runs, ` +
          `${server.requests.length - requestsBefore} requests, ${traces.length} traces with ${redactions} redaction marks; ` +
          `0 corpus secrets in ${received.length} bytes received by the server; state dir scanned ${scans.join('; ')}: 0 leaks, ` +
          'agent secret only in credentials.json',
      );
    },
    300_000,
  );
});
