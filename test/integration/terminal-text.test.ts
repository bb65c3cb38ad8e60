// Text from outside is inert on a terminal (issue 21, kind 4; case results-server-text-raw-on-terminal):
// Maestro's evaluation and Infinium's error bodies full of escape sequences (window title, clipboard OSC 52,
// clear screen, a hyperlink, a CR that overwrites the line, C1 CSI/OSC, DEL, BS, a bidi override) reach every
// command that prints them. Nothing a terminal acts on may come out raw; our own colours still do; --json
// stays exact JSON with the very same values.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, waitForWorkerIdle } from '../support/capture-harness';
import { initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { placeRollout, TWO_TURNS } from '../support/past-sessions';
import { feed, readDeadCount, secondTurnAt, twoTurns } from '../support/recorded-turns';

const AGENT = 'agent-escapes';
const SECRET = 'sk-escapes-secret-90210';
const ESC = '\u001b';
const BEL = '\u0007';
const EVIL =
  `${ESC}]0;PWNED-TITLE${BEL}${ESC}[2J${ESC}[H${ESC}[31mFAKE: all traces deleted${ESC}[0m ` +
  `${ESC}]52;c;ZWNobyBwd25lZAo=${BEL}${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\ \rOVERWRITTEN ` +
  `\u009b2J\u009d0;C1-TITLE${BEL} DEL\u007f BS\b\b \u202Eevil\u202C`;
const EVALUATION = { score: `9.9${ESC}]0;T${BEL}`, verdict: `ok${ESC}[8m\u009b8m`, summary: EVIL };

/** Our own colours (output.ts's paints) are the only escape sequences allowed; then no control may be left. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: our own colour codes, by design.
const OUR_COLOURS = /\u001b\[(1|2|22|31|32|33|39)m/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw controls is the point.
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function expectInert(text: string): void {
  const rest = text.replace(OUR_COLOURS, '');
  const at = rest.search(RAW);
  expect(at, `raw control at ${at}: ${JSON.stringify(rest.slice(Math.max(0, at - 20), at + 20))}`).toBe(-1);
}

let standIn: StandIn;
let sandbox: Sandbox;
let deadKey: string;

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
  standIn.evaluations.result = () => EVALUATION;
  sandbox = makeSandbox();
  expect((await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
  const events = twoTurns(sandbox);
  const second = secondTurnAt(events);
  await feed(sandbox, events.slice(0, second));
  await waitFor(() => standIn.traces.length === 1, 60_000, 'the first trace');
  await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
  // Infinium rejects the second turn with the same text as its error: the trace is dead, with that reason.
  standIn.goDown({ kind: 'status', status: 400, body: JSON.stringify({ error: `bad trace ${EVIL}` }) });
  try {
    await feed(sandbox, events.slice(second));
    await waitFor(() => readDeadCount(sandbox) === 1, 60_000, 'the second turn to be dead');
    await waitForWorkerIdle(sandbox.stateDir, { timeoutMs: 60_000 });
  } finally {
    standIn.recover();
  }
  const history = JSON.parse((await runCli(sandbox, ['history', '--json'])).stdout) as { key: string }[];
  deadKey = history[0]?.key ?? '';
}, 180_000);
afterAll(() => standIn.close());

const coloured = { FORCE_COLOR: '1', NO_COLOR: undefined };

describe('outside text on a terminal', () => {
  it.each(['results', 'results --full', 'history', 'status', 'doctor'])(
    '%s: escape sequences from the server are shown escaped, our colours kept',
    async (command) => {
      const args = command.split(' ');
      const run = await runCli(sandbox, args, { env: coloured });
      expectInert(run.stdout);
      expectInert(run.stderr);
      expect(run.stdout + run.stderr).toMatch(OUR_COLOURS);
    },
  );

  it('results shows the evaluation with each control escaped, the text around it intact', async () => {
    const run = await runCli(sandbox, ['results']);
    expect(run.stdout).toContain('Evaluation: ready · score 9.9\\u001b]0;T\\u0007 · ok\\u001b[8m\\u009b8m');
    expect(run.stdout).toContain('\\u001b]52;c;ZWNobyBwd25lZAo=\\u0007');
    expect(run.stdout).toContain('\\rOVERWRITTEN'.replace('\\r', '\\u000d'));
    expect(run.stdout).toContain('\\u202eevil\\u202c');
  });

  it('history show prints the dead trace reason escaped', async () => {
    const run = await runCli(sandbox, ['history', 'show', deadKey]);
    expectInert(run.stdout);
    expect(run.stdout).toContain('bad trace \\u001b]0;PWNED-TITLE\\u0007');
  });

  it('--json stays exact JSON: the same values, parsed back', async () => {
    const results = await runCli(sandbox, ['results', '--json']);
    expectInert(results.stdout);
    expect((JSON.parse(results.stdout) as { evaluation: unknown }[])[0]?.evaluation).toEqual(EVALUATION);
    const history = await runCli(sandbox, ['history', '--json']);
    expectInert(history.stdout);
    const rows = JSON.parse(history.stdout) as { reason?: string; evaluation?: unknown }[];
    expect(rows.find((row) => row.evaluation)?.evaluation).toEqual(EVALUATION);
    expect(rows.find((row) => row.reason)?.reason).toContain(`${ESC}]0;PWNED-TITLE`);
    const status = await runCli(sandbox, ['status', '--json']);
    expectInert(status.stdout);
    expect(() => JSON.parse(status.stdout)).not.toThrow();
  });

  it('a long summary is cut with a note, whole with --full', async () => {
    standIn.evaluations.result = () => ({ score: 1, summary: `${'long summary '.repeat(200)}END` });
    const fresh = makeSandbox();
    try {
      expect((await runCli(fresh, initArgs(AGENT, standIn.url), { input: SECRET })).code).toBe(0);
      const events = twoTurns(fresh);
      const before = standIn.traces.length;
      await feed(fresh, events.slice(0, secondTurnAt(events)));
      await waitFor(() => standIn.traces.length > before, 60_000, 'the trace');
      await waitForWorkerIdle(fresh.stateDir, { timeoutMs: 60_000 });
      const cut = await runCli(fresh, ['results']);
      expect(cut.stdout).toMatch(/… \(\d+ more characters; --full prints all of it\)/);
      expect(cut.stdout).not.toContain('END');
      expect((await runCli(fresh, ['results', '--full'])).stdout).toContain('END');
    } finally {
      standIn.evaluations.result = () => EVALUATION;
    }
  }, 120_000);

  it('import: a past session whose folder name and prompt carry escape sequences is listed and sent inert', async () => {
    const box = makeSandbox();
    // A folder name may hold any byte but / and NUL: the project's name comes from it.
    const project = join(box.home, 'work', `demo${ESC}]0;FOLDER${BEL}\u202e`);
    mkdirSync(project, { recursive: true });
    const init = await runCli(box, initArgs(AGENT, standIn.url), { input: SECRET, cwd: project });
    expect(init.code).toBe(0);
    expectInert(init.stdout + init.stderr);
    const placed = placeRollout(box.codexHome, JSON.stringify(project).slice(1, -1), TWO_TURNS.rollout);
    const prompt = JSON.stringify(`first ${ESC}]52;c;ZWNobw==${BEL}prompt\u009b2J`).slice(1, -1);
    writeFileSync(placed.path, readFileSync(placed.path, 'utf8').replaceAll('first prompt', prompt));
    // The listing shows a turn's prompt only while the turn is still to be imported: before the import.
    const listed = await runCli(box, ['import', '--since', '2026-11-01', '--dry-run']);
    expect(listed.stdout).toContain('\\u001b]52;c;ZWNobw==\\u0007prompt\\u009b2J');
    for (const args of [['--dry-run'], ['--yes']]) {
      const run = await runCli(box, ['import', '--since', '2026-11-01', ...args], { env: coloured });
      expect(run.code, run.stderr).toBe(0);
      expectInert(run.stdout + run.stderr);
    }
    expect(listed.stdout).toContain('demo\\u001b]0;FOLDER\\u0007\\u202e');
    for (const command of ['history', 'status', 'results']) {
      const run = await runCli(box, [command], { env: coloured });
      expectInert(run.stdout + run.stderr);
    }
  }, 120_000);
});
