// `infinium-codex view`: the page a person sees, in headless Chromium and Firefox (the system's own, driven
// by puppeteer-core, which downloads nothing): the list, one turn's step tree with its sub-agent nested,
// errors, redaction markers and Maestro's evaluation; the HTML readable without JavaScript; the CSP in force;
// no request leaves 127.0.0.1; the token and the Host are checked; SIGTERM ends it at once.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type LaunchOptions, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLaunchPage } from '../../src/cli/view';
import type { TaskData } from '../../src/infinium/task-data';
import { writeEvaluation } from '../../src/spool/evaluations';
import { appendHistory, payloadFile, savePayload } from '../../src/spool/history';
import { spoolPaths } from '../../src/spool/layout';
import { writeOutboxEntry } from '../../src/spool/outbox';
import { collectOutput } from '../support/child-output';
import { BIN, makeSandbox, type Sandbox } from '../support/cli-sandbox';
import { makeOtherUser, otherUserUnavailable } from '../support/other-user';

const turn: TaskData = {
  name: 'Fix the failing parser test',
  description: 'Fix the failing parser test\n3 tool calls, 1 failed',
  current_datetime: '2026-11-30T08:00:00.000Z',
  duration: 12.4,
  input_summary: 'Fix the failing parser test (token ghp_[REDACTED:github-token] in .env)',
  output_summary: 'Fixed the empty-input case in src/parser.ts; all 4 tests pass now.',
  llm_usage: {
    model: 'gpt-5.5',
    prompt_tokens: 5300,
    completion_tokens: 180,
    total_tokens: 5480,
    api_calls_count: 4,
    cost: 0.0319,
  },
  steps: [
    { step_number: 1, action: 'user_prompt', description: 'Fix the failing parser test', status: 'success' },
    {
      step_number: 2,
      action: 'tool_call',
      description: 'npm test',
      status: 'failure',
      tool_name: 'exec_command',
      input: 'npm test',
      output: 'FAIL src/parser.test.ts\nexpected [] to equal [""]',
      exit_code: 1,
    },
    {
      step_number: 3,
      action: 'subagent',
      description: 'explorer: find where empty input is handled',
      status: 'success',
      agent_id: 'agent-explorer-1',
      steps: [
        {
          step_number: 1,
          action: 'tool_call',
          description: 'rg "input.length" src',
          status: 'success',
          tool_name: 'exec_command',
          output: 'src/parser.ts:12: if (input.length === 0) return [];',
        },
      ],
    },
    {
      step_number: 4,
      action: 'assistant_message',
      description: 'Fixed the empty-input case in src/parser.ts; all 4 tests pass now.',
      status: 'success',
    },
  ],
  errors: [{ message: 'npm test exited with code 1', error_type: 'command_failed', step_number: 2 }],
  environment: {
    agent: 'codex-cli',
    codex_version: '0.171.0',
    model: 'gpt-5.5',
    pricing: { table: '@pydantic/genai-prices', table_version: '0.1.8', basis: 'api' },
  },
};

const evaluation = { score: 0.74, verdict: 'acceptable', summary: 'Solved it after one failed test run.' };

function seed(sandbox: Sandbox): void {
  const paths = spoolPaths(sandbox.env);
  const key = 'session-a~turn-1';
  savePayload(paths, key, JSON.stringify(turn));
  appendHistory(paths, {
    time: new Date(Date.now() - 120_000).toISOString(),
    key,
    status: 'sent',
    project: 'parser-lib',
    agentId: 'agent-1',
    sessionId: 'session-a',
    turn: 'turn-1',
    turnNumber: 1,
    steps: 4,
    tokens: 5480,
    duration: 12.4,
    traceId: 'trace-0001',
    attempts: 1,
    payloadPath: payloadFile(paths, key),
  });
  writeEvaluation(paths, {
    key,
    traceId: 'trace-0001',
    agentId: 'agent-1',
    status: 'ready',
    sentAtMs: Date.now() - 120_000,
    polls: 3,
    evaluation,
  });
  writeOutboxEntry(paths, {
    key: 'session-a~turn-2',
    sessionId: 'session-a',
    turnKey: 'turn-2',
    turnNumber: 2,
    agentId: 'agent-1',
    baseUrl: 'http://127.0.0.1:9/api/v1',
    projectName: 'parser-lib',
    cwd: sandbox.project,
    builtAtMs: Date.now() - 30_000,
    taskData: { ...turn, input_summary: 'Now add a test for whitespace-only input', errors: [] },
    attempts: 1,
    nextAttemptAtMs: Date.now() + 60_000,
    lastError: 'Could not reach Infinium',
  });
}

interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function serve(
  sandbox: Sandbox,
  args = ['--no-open'],
  env: Record<string, string> = {},
): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'view', ...args], {
    cwd: sandbox.project,
    env: { ...sandbox.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const firstLine = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] as string);
    });
    child.on('close', () => reject(new Error(`view exited early: ${text}`)));
  });
  return { url: firstLine, port: Number(new URL(firstLine).port), child, exited };
}

function get(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let sandbox: Sandbox;
let served: Served;

beforeAll(async () => {
  sandbox = makeSandbox();
  seed(sandbox);
  served = await serve(sandbox);
});
afterAll(() => {
  served.child.kill('SIGKILL');
});

describe('view: the server', () => {
  it('prints the URL first: 127.0.0.1, a random port, an unguessable token', () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/$/);
  });

  it('serves the content in its HTML (no JavaScript needed), with a strict CSP', async () => {
    const page = await get(served.port, new URL(served.url).pathname);
    expect(page.status).toBe(200);
    expect(page.body).toContain('parser-lib');
    expect(page.body).toContain('Fix the failing parser test');
    expect(page.body).toContain('0.74 acceptable');
    const turnPath = `${new URL(served.url).pathname}turn/${encodeURIComponent('session-a~turn-1')}`;
    const detail = await get(served.port, turnPath);
    expect(detail.body).toContain('Solved it after one failed test run.');
    expect(detail.body).toContain('<mark class="redacted">[REDACTED:github-token]</mark>');
    expect(detail.body).toContain('cost $0.032 at API prices (@pydantic/genai-prices 0.1.8)');
  });

  it('answers nothing without the token, or for a Host that is not loopback', async () => {
    expect((await get(served.port, '/')).status).toBe(404);
    expect((await get(served.port, '/not-the-token/')).status).toBe(404);
    expect((await get(served.port, new URL(served.url).pathname, 'evil.example:80')).status).toBe(404);
  });
});

/**
 * The browsers the page is checked in, each the system's own (Debian's packages; .ci/run installs them),
 * driven by puppeteer-core, which downloads no browser: Chromium over the DevTools protocol, Firefox over
 * WebDriver BiDi (puppeteer-core 24 drives Firefox ESR 153).
 */
const BROWSERS: { name: string; executablePath: string; options: LaunchOptions }[] = [
  {
    name: 'Chromium',
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    options: {
      browser: 'chrome',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    },
  },
  {
    name: 'Firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    options: { browser: 'firefox' },
  },
];

// Code run in the page is given as text: this project's TypeScript has no DOM types.

/** What a person sees of each element `selector` matches (rendered text: hidden parts left out). */
async function seen(page: Page, selector: string): Promise<string[]> {
  const texts = await page.evaluate(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map((el) => el.innerText)`,
  );
  return texts as string[];
}

// Every Content-Security-Policy violation, as the page sees it (browsers differ in what they log of one).
const WATCH_CSP = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.cspViolations.push(event.effectiveDirective + ' ' + event.blockedURI);
});`;

// In CI a missing browser fails the test (the browser is part of CI's install); locally it skips.
for (const { name, executablePath, options } of BROWSERS) {
  describe.skipIf(!existsSync(executablePath) && !process.env.CI)(
    `view: what a person sees in ${name}`,
    () => {
      it('the list, one turn in detail, the CSP in force, and no request to anywhere else', async () => {
        expect(existsSync(executablePath), `${executablePath} is missing (.ci/run installs it)`).toBe(true);
        const browser = await puppeteer.launch({ ...options, executablePath, headless: true });
        try {
          const page = await browser.newPage();
          const requested: string[] = [];
          page.on('request', (req) => {
            requested.push(req.url());
          });
          const problems: string[] = [];
          page.on('console', (message) => {
            if (message.type() === 'error') problems.push(message.text());
          });
          page.on('pageerror', (error) => {
            problems.push(String(error));
          });
          await page.evaluateOnNewDocument(WATCH_CSP);
          await page.goto(served.url);

          const rows = await seen(page, '#turns tbody tr');
          expect(rows).toHaveLength(2);
          expect(rows[0]).toMatch(/parser-lib.*#2 Now add a test.*queued/s);
          expect(rows[1]).toMatch(
            /#1 Fix the failing parser test.*sent.*5,480.*\$0\.032.*12\.4 s.*0\.74 acceptable/s,
          );
          // The script ran: relative times and the filter.
          expect((await seen(page, 'time'))[1]).toBe('2 min ago');
          await page.locator('#filter').fill('whitespace');
          const visible = () =>
            page.evaluate(
              `[...document.querySelectorAll('#turns tbody tr')].map((tr) => tr.checkVisibility())`,
            );
          expect(await visible()).toEqual([true, false]);
          await page.locator('#filter').fill('parser-lib');
          expect(await visible()).toEqual([true, true]);

          await Promise.all([
            page.waitForNavigation(),
            page.locator('#turns a::-p-text(Fix the failing parser test)').click(),
          ]);
          expect(await seen(page, 'h1')).toEqual(['parser-lib turn #1']);
          expect(await seen(page, '.score')).toEqual(['score 0.74']);
          expect((await seen(page, 'ul.errors li.error')).join('\n')).toContain(
            'npm test exited with code 1',
          );
          const failed = await seen(page, 'li.step.failure');
          expect(failed).toHaveLength(1);
          expect(failed[0]).toContain('exit 1');
          expect((await seen(page, 'li.step .nested li.step')).join('\n')).toContain('rg "input.length" src');
          expect((await seen(page, 'mark.redacted'))[0]).toBe('[REDACTED:github-token]');
          if (process.env.VIEW_SCREENSHOT && name === 'Chromium')
            await page.screenshot({ path: process.env.VIEW_SCREENSHOT as `${string}.png`, fullPage: true });

          const origin = new URL(served.url).origin;
          expect(requested.length).toBeGreaterThan(0);
          // data: never leaves the machine: Firefox's own stylesheet loads its list-bullet font from one (a
          // data: URL the page asked for would break its CSP, checked below).
          expect(requested.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
          expect(problems).toEqual([]);
          expect(await page.evaluate('window.cspViolations')).toEqual([]);
          // The policy is in force: an inline script put into the page does not run, and is reported.
          const inlineRan = await page.evaluate(`(() => {
            const script = document.createElement('script');
            script.textContent = 'document.body.dataset.inline = "ran"';
            document.head.append(script);
            return document.body.dataset.inline === 'ran';
          })()`);
          expect(inlineRan).toBe(false);
          await page.waitForFunction('window.cspViolations.length > 0');
          expect(await page.evaluate('window.cspViolations')).toEqual([expect.stringMatching(/^script-src/)]);
        } finally {
          await browser.close();
        }
      });

      it('the page view opens the browser on (a file of the user) leads to the list', async () => {
        const browser = await puppeteer.launch({ ...options, executablePath, headless: true });
        try {
          const page = await browser.newPage();
          const launch = pathToFileURL(writeLaunchPage(sandbox.env, served.url)).href;
          await page.goto(launch);
          for (let i = 0; i < 200 && page.url() !== served.url; i += 1) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          expect(page.url()).toBe(served.url);
          await page.waitForSelector('#turns');
          expect(await seen(page, '#turns tbody tr')).toHaveLength(2);
        } finally {
          await browser.close();
        }
      });
    },
  );
}

/** Every process's command line holding `text`, as any local user can read them (/proc/<pid>/cmdline). */
function commandLinesWith(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (line.includes(text)) found.push(`${pid}: ${line}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// Run as the other user (case view-token-in-browser-argv): for WATCH_MS, every 20 ms, every command line
// with a view URL or a launch page's path; each URL is fetched, each page read, as that user can.
const WATCHER = `
const fs = require('node:fs');
const until = Date.now() + Number(process.env.WATCH_MS);
const seen = new Set();
const report = (what) => { if (!seen.has(what)) { seen.add(what); console.log(what); } };
(async () => {
  while (Date.now() < until) {
    for (const pid of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
      let line = '';
      try { line = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').join(' '); } catch { continue; }
      const url = /http:\\/\\/127\\.0\\.0\\.1:\\d+\\/[A-Za-z0-9_-]{20,}\\//.exec(line);
      if (url) report('url ' + url[0] + ' ' + (await fetch(url[0]).then((r) => r.status, () => 'unreachable')));
      const page = /\\/\\S*open-\\d+\\.html/.exec(line);
      if (page) {
        let read = 'readable';
        try { fs.readFileSync(page[0]); } catch (error) { read = error.code; }
        report('page ' + read);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
})();`;

describe('view: opening the browser', () => {
  const unavailable = otherUserUnavailable();
  if (unavailable) console.warn(`view watched by another user: skipped (${unavailable})`);

  it('puts no token on any command line: the opener gets the path of a 0600 page that sends the browser on', async () => {
    const box = makeSandbox();
    seed(box);
    // An opener that keeps its command line for 4 s, as xdg-open does while a browser starts.
    const log = join(box.root, 'xdg-open.log');
    writeFileSync(join(box.root, 'bin', 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" >'${log}'\nsleep 4\n`, {
      mode: 0o755,
    });
    const other = unavailable ? undefined : makeOtherUser();
    const watcher = other
      ? spawn(
          'setpriv',
          [`--reuid=${other.uid}`, `--regid=${other.gid}`, '--clear-groups', process.execPath, '-e', WATCHER],
          {
            cwd: '/',
            env: { PATH: '/usr/bin:/bin', WATCH_MS: '5000' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
      : undefined;
    const watched = watcher ? collectOutput(watcher) : undefined;
    const watcherDone = watcher ? new Promise((resolve) => watcher.on('close', resolve)) : undefined;
    try {
      const view = await serve(box, []);
      const token = new URL(view.url).pathname.slice(1, -1);
      let page = '';
      try {
        const holders: string[] = [];
        for (let i = 0; i < 150 && !page; i += 1) {
          holders.push(...commandLinesWith(token));
          page = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // The opener is running with the page's path on its command line, and the token is on none.
        expect(page).toBe(join(box.stateDir, 'view', `open-${view.child.pid}.html`));
        for (let i = 0; i < 25; i += 1) {
          holders.push(...commandLinesWith(token));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(commandLinesWith(page).length).toBeGreaterThan(0);
        expect(holders).toEqual([]);
        expect(statSync(page).mode & 0o777).toBe(0o600);
        expect(statSync(dirname(page)).mode & 0o777).toBe(0o700);
        expect(readFileSync(page, 'utf8')).toContain(`url=${view.url}`);
        if (watched) {
          await watcherDone;
          // The other user saw the page's path, could not read it, and saw no URL.
          expect(watched.stdout.trim().split('\n')).toEqual(['page EACCES']);
        }
      } finally {
        view.child.kill('SIGTERM');
        expect(await view.exited).toBe(0);
      }
      expect(existsSync(page)).toBe(false);
    } finally {
      // The account goes only once none of its processes is left (userdel refuses otherwise).
      watcher?.kill('SIGKILL');
      await watcherDone;
      other?.remove();
    }
  }, 60_000);
  // attack21d V7a: the opener is found as git and codex are (src/git/program.ts), never from a folder of the
  // project, wherever PATH puts it (direnv's PATH_add bin).
  it("never runs a project's own opener; the trusted one gets no agent secret and no folder of the project on PATH", async () => {
    const box = makeSandbox();
    seed(box);
    const planted = join(box.root, 'planted-ran.log');
    mkdirSync(join(box.project, 'bin'));
    writeFileSync(join(box.project, 'bin', 'xdg-open'), `#!/bin/sh\necho "$0 $*" >>'${planted}'\n`, {
      mode: 0o755,
    });
    const log = join(box.root, 'xdg-open.log');
    writeFileSync(join(box.root, 'bin', 'xdg-open'), `#!/bin/sh\nenv >'${log}.env'\necho "$1" >'${log}'\n`, {
      mode: 0o755,
    });
    const view = await serve(box, [], {
      PATH: `${join(box.project, 'bin')}:${box.env.PATH}`,
      INFINIUM_AGENT_SECRET: 'SESSION-SECRET-FOR-OPENER-789',
    });
    try {
      for (let i = 0; i < 250 && !existsSync(log); i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      view.child.kill('SIGTERM');
      expect(await view.exited).toBe(0);
    }
    expect(readFileSync(log, 'utf8').trim()).toBe(join(box.stateDir, 'view', `open-${view.child.pid}.html`));
    expect(existsSync(planted) ? readFileSync(planted, 'utf8') : '').toBe('');
    const seen = readFileSync(`${log}.env`, 'utf8');
    expect(seen).not.toContain('INFINIUM_AGENT_SECRET');
    expect(seen).toMatch(/^PATH=/m);
    expect(seen).not.toContain(join(box.project, 'bin'));
  }, 60_000);
});

describe('view: stopping', () => {
  it('SIGTERM ends it at once with exit 0', async () => {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });
});
