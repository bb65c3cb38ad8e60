// The documentation against the code: every command and flag the CLI offers is documented and every
// documented flag exists; every environment variable the code reads is documented; and every example in
// the docs marked `checked` is re-run in a sandbox (temp HOME, CODEX_HOME, INFINIUM_CODEX_HOME, a
// local stand-in for Infinium) and must print what the page shows, once paths, ids and times are masked.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { NATIVE_HOOK_HANDSHAKE, nativeHookPath } from '../../src/codex/native-hook';
import { feed, waitFor } from '../support/capture-harness';
import { BIN, makeSandbox, REPO_ROOT, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { placeRollout } from '../support/past-sessions';
import { LEAN, loadScenario } from '../support/scenario';

const DOCS = join(REPO_ROOT, 'docs');
const doc = (name: string) => readFileSync(join(DOCS, name), 'utf8');

// What the pages show in place of the sandbox's values.
const SHOWN_URL = 'https://platform.i42m.ai/api/v1';
const SHOWN_HOME = '/home/me';
const DEMO_AGENT = 'agent-demo';
const DEMO_SECRET = 'sk-demo-secret-0123456789';

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ [DEMO_AGENT]: DEMO_SECRET });
});
afterAll(() => standIn.close());

/** The options a command's --help lists, e.g. ['--agent-id', '--yes']. */
function flagsInHelp(help: string): string[] {
  const options = help.split(/^Options:$/m)[1]?.split(/^Commands:$/m)[0] ?? '';
  return [...options.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]).filter((f) => f !== '--help');
}

/** `## \`infinium-codex <command>\`` sections of commands.md, by command. */
function commandSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const name = /^`infinium-codex ([a-z-]+)/.exec(part)?.[1];
    if (name) sections.set(name, part);
  }
  return sections;
}

describe('docs/commands.md covers the CLI', () => {
  let commands: string[];
  const sandbox = makeSandbox();
  beforeAll(async () => {
    const help = await runCli(sandbox, ['--help']);
    const listed = help.stdout.split(/^Commands:$/m)[1] ?? '';
    commands = [...listed.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== 'help');
  });

  it('has a section for every command', () => {
    const sections = commandSections(doc('commands.md'));
    expect(commands.length).toBeGreaterThan(5);
    for (const command of commands) expect([...sections.keys()], command).toContain(command);
  });

  it('documents every flag of every command, and only flags that exist', async () => {
    const sections = commandSections(doc('commands.md'));
    for (const command of commands) {
      const help = await runCli(sandbox, [command, '--help']);
      const offered = flagsInHelp(help.stdout);
      const section = sections.get(command) ?? '';
      for (const flag of offered) expect(section, `${command} ${flag}`).toContain(flag);
      const documented = new Set([...section.matchAll(/`(--[a-z][a-z-]*)/g)].map((m) => m[1] as string));
      for (const flag of documented) {
        if (flag === '--help') continue;
        expect(offered, `documented ${command} ${flag}`).toContain(flag);
      }
    }
  });

  it('documents the worker flags the worker reads', () => {
    const worker = readFileSync(join(REPO_ROOT, 'src', 'worker', 'process.ts'), 'utf8');
    const section = /^## The worker[\s\S]*?(?=^## |$(?![\s\S]))/m.exec(doc('commands.md'))?.[0] ?? '';
    const read = [...worker.matchAll(/argv\.includes\('(--[a-z-]+)'\)/g)].map((m) => m[1] as string);
    expect(read.length).toBeGreaterThan(0);
    for (const flag of read) expect(section, flag).toContain(`\`${flag}\``);
    for (const flag of section.matchAll(/`(--[a-z][a-z-]*)`/g)) expect(read).toContain(flag[1]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('docs/configuration.md covers the environment', () => {
  const code = sourceFiles(join(REPO_ROOT, 'src'))
    .filter((file) => /\.(ts|sh)$/.test(file))
    .map((file) => ({ file: relative(REPO_ROOT, file), text: readFileSync(file, 'utf8') }));
  const read = new Set<string>();
  for (const { text } of code) {
    for (const m of text.matchAll(/\benv\.([A-Za-z_][A-Za-z0-9_]*)\b/g)) {
      // Single letters are placeholders in comments (`process.env.X`), not variables.
      if (/^[A-Z][A-Za-z0-9_]+$/.test(m[1] as string)) read.add(m[1] as string);
    }
    for (const m of text.matchAll(/\$\{?(INFINIUM_[A-Z_]+|HOME)\b/g)) read.add(m[1] as string);
  }
  it('documents every variable the code reads', () => {
    const page = doc('configuration.md');
    expect(read.size).toBeGreaterThan(8);
    for (const name of read) expect(page, name).toContain(`\`${name}\``);
  });

  it('documents no INFINIUM_ variable the code does not read', () => {
    for (const m of doc('configuration.md').matchAll(/`(INFINIUM_[A-Z_]+)`/g))
      expect([...read], m[1]).toContain(m[1]);
  });

  it('names every config key that config files accept', () => {
    const settings = readFileSync(join(REPO_ROOT, 'src', 'config', 'settings.ts'), 'utf8');
    const keys = /interface Settings \{([\s\S]*?)\n\}/.exec(settings)?.[1] ?? '';
    const names = [...keys.matchAll(/^ {2}([a-zA-Z]+)\?:/gm)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(4);
    const page = doc('configuration.md');
    for (const name of names) expect(page, name).toContain(`\`${name}\``);
  });
});

describe('the README and docs link to files that exist', () => {
  it('every relative link resolves', () => {
    const pages = [
      'README.md',
      ...readdirSync(DOCS)
        .filter((name) => name.endsWith('.md'))
        .map((name) => join('docs', name)),
    ];
    for (const page of pages) {
      const text = readFileSync(join(REPO_ROOT, page), 'utf8');
      for (const m of text.matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)) {
        expect(existsSync(join(REPO_ROOT, page, '..', m[1] as string)), `${page} -> ${m[1]}`).toBe(true);
      }
    }
  });
});

/** The ```sh block under a `### <heading>` of a page. */
function shellBlockUnder(text: string, heading: string): string {
  const section = text.split(`### ${heading}\n`)[1] ?? '';
  return /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
}

describe('the install from a clone, as the README gives it (first-run M1)', () => {
  it('the same commands are in the README and Getting Started', () => {
    const readme = shellBlockUnder(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), 'From a clone');
    expect(readme).toContain('npm i -g');
    expect(shellBlockUnder(doc('getting-started.md'), 'From a clone')).toBe(readme);
    for (const heading of ['From a packed tarball', 'From the npm registry (once it is published)']) {
      expect(shellBlockUnder(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), heading)).toContain(
        'npm i -g',
      );
    }
  });

  it('runs in a fresh clone into a temporary npm prefix and gives a working command', () => {
    const block = shellBlockUnder(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), 'From a clone');
    const url = /git clone (\S+)/.exec(block)?.[1] ?? '';
    expect(url).toBe(`${pkg.repository.url.replace(/^git\+/, '')}`);
    const work = mkdtempSync(join(tmpdir(), 'icx-clone-'));
    try {
      const prefix = join(work, 'prefix');
      mkdirSync(join(prefix, 'bin'), { recursive: true });
      // The clone comes from this repository (what is committed), not from the network, into the folder
      // the real URL would give.
      const script = `set -e\n${block.split(url).join(`'${REPO_ROOT}' ${basename(url, '.git')}`)}`;
      const run = spawnSync('sh', ['-c', script], {
        cwd: work,
        encoding: 'utf8',
        env: {
          ...process.env,
          npm_config_prefix: prefix,
          npm_config_audit: 'false',
          npm_config_fund: 'false',
          npm_config_update_notifier: 'false',
          PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
        },
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim().split('\n').at(-1)).toBe(pkg.version);
      const installed = join(prefix, 'lib', 'node_modules', pkg.name, 'dist');
      expect(existsSync(join(installed, 'hook.sh'))).toBe(true);
      // The native front-end comes with the package: this machine's program is in it and answers as ours.
      if (process.platform !== 'win32') {
        expect(execFileSync(nativeHookPath(installed), ['--version'], { encoding: 'utf8' })).toBe(
          NATIVE_HOOK_HANDSHAKE,
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 600_000);
});

// ---- the checked examples ----------------------------------------------------------------------------

interface Example {
  kind: 'run';
  command: string;
  expected: string;
  /** Which ```console checked block of the page it is in. */
  block: number;
}
type Piece =
  | Example
  | { kind: 'fresh' }
  | { kind: 'replay'; scenario: string }
  | { kind: 'rollout'; fixture: string };

/**
 * Blocks fenced as ```console checked: `$ <command>` lines, each followed by what it prints (stdout and
 * stderr). `<!-- docs-test: fresh -->` starts a new sandbox; `<!-- docs-test: replay <scenario> -->` feeds
 * a recorded Codex session's lean hook events through dist/hook.sh, as Codex would, and waits for its traces;
 * `<!-- docs-test: rollout <fixture> -->` leaves a recorded rollout under CODEX_HOME as a past session of the
 * project, with no hook event (what `import` finds).
 */
const CHECKED = /<!-- docs-test: (fresh|replay|rollout)\s*([\w./-]*) -->|```console checked\n([\s\S]*?)```/g;

function parseExamples(text: string): Piece[] {
  const pieces: Piece[] = [];
  let block = 0;
  for (const m of text.matchAll(CHECKED)) {
    if (m[1] === 'fresh') pieces.push({ kind: 'fresh' });
    if (m[1] === 'replay') pieces.push({ kind: 'replay', scenario: m[2] ?? '' });
    if (m[1] === 'rollout') pieces.push({ kind: 'rollout', fixture: m[2] ?? '' });
    if (m[1]) continue;
    for (const chunk of (m[3] ?? '').split(/^\$ /m).slice(1)) {
      const [command = '', ...output] = chunk.split('\n');
      pieces.push({ kind: 'run', command, expected: output.join('\n'), block });
    }
    block += 1;
  }
  return pieces;
}

/** Hides what differs from run to run: ids, times (ISO and relative), free disk space, the OS release. */
function mask(text: string): string {
  return (
    text
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .replace(/\d+ GB free/g, '<n> GB free')
      .replace(/"os": "[^"]*"/g, '"os": "<os>"')
      // history's relative times, and the column padding that follows their width
      .replace(/^(just now|\d+ min ago|\d+ h ago)/gm, '<when>')
      .replace(/(\S) {2,}/g, '$1  ')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trim()
  );
}

function shell(command: string, sandbox: Sandbox): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', `{ ${command}\n} 2>&1`], {
      cwd: sandbox.project,
      env: { ...sandbox.env, AGENT_SECRET: DEMO_SECRET },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => resolvePromise(output));
  });
}

/** Getting Started follows a new user on today's Codex; the reference pages keep the recorded 0.169.0. */
const CODEX_SHOWN: Record<string, string> = { 'getting-started.md': '0.171.0' };

function docsSandbox(page: string): Sandbox {
  const sandbox = makeSandbox(CODEX_SHOWN[page]);
  // Maestro's verdict arrives some seconds after a send: the pages show it still pending, every run.
  sandbox.env.INFINIUM_CODEX_EVALUATION_WAIT_SECONDS = '0';
  // `infinium-codex` on PATH, as `npm i -g` would put it.
  const wrapper = join(sandbox.root, 'bin', 'infinium-codex');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return sandbox;
}

function historyCount(sandbox: Sandbox): number {
  try {
    return readFileSync(join(sandbox.stateDir, 'history', 'history.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function replay(name: string, sandbox: Sandbox): Promise<void> {
  const scenario = loadScenario(name, {
    dir: sandbox.root,
    home: sandbox.home,
    state: sandbox.stateDir,
    project: sandbox.project,
    env: sandbox.env,
    cleanup: () => undefined,
  });
  const before = historyCount(sandbox);
  await feed(
    'sh',
    scenario.events.filter(([event]) => LEAN.has(event)),
    sandbox.env,
  );
  await waitFor(() => historyCount(sandbox) > before, 60_000, `a trace from the ${name} scenario`);
}

/** `DOCS_UPDATE=1 npx vitest run test/integration/docs.test.ts` writes what the commands print into the
 * pages instead of comparing (for a deliberate change of output; review the diff before committing). */
const UPDATE_DOCS = process.env.DOCS_UPDATE === '1';

const PAGES_WITH_EXAMPLES = ['getting-started.md', 'commands.md', 'traced-events.md', 'troubleshooting.md'];

describe('the checked examples', () => {
  it.each(PAGES_WITH_EXAMPLES)(
    'in docs/%s print what the page shows',
    async (page) => {
      const pieces = parseExamples(doc(page));
      expect(pieces.filter((p) => p.kind === 'run').length).toBeGreaterThan(0);
      let sandbox = docsSandbox(page);
      const printedByBlock = new Map<number, string[]>();
      for (const piece of pieces) {
        if (piece.kind === 'fresh') sandbox = docsSandbox(page);
        else if (piece.kind === 'replay') await replay(piece.scenario, sandbox);
        else if (piece.kind === 'rollout') placeRollout(sandbox.codexHome, sandbox.project, piece.fixture);
        else {
          const printed = (await shell(piece.command.split(SHOWN_URL).join(standIn.url), sandbox))
            .split(standIn.url)
            .join(SHOWN_URL)
            .split(sandbox.home)
            .join(SHOWN_HOME);
          const shown = printedByBlock.get(piece.block) ?? [];
          printedByBlock.set(piece.block, [...shown, `$ ${piece.command}\n${printed}`]);
          if (!UPDATE_DOCS) expect(mask(printed), `${page}: $ ${piece.command}`).toBe(mask(piece.expected));
        }
      }
      if (UPDATE_DOCS) {
        let block = 0;
        const updated = doc(page).replace(CHECKED, (whole, marker) => {
          if (marker) return whole;
          const body = printedByBlock.get(block++)?.join('') ?? '';
          return `\`\`\`console checked\n${body}\`\`\``;
        });
        writeFileSync(join(DOCS, page), updated);
      }
    },
    300_000,
  );
});
