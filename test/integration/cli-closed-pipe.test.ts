// Every command with its output going into a reader that has already gone away (`status | head -1`, the
// first-run case M4): it must finish quietly, as git and gh do, never with Node's unhandled 'error' event
// and its stack, and never as a bug (exit 70).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, initArgs, makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-pipe';
const SECRET = 'sk-closed-pipe-secret-31';
let standIn: StandIn;
let sandbox: Sandbox;

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
  sandbox = makeSandbox();
  const init = await runCli(sandbox, initArgs(AGENT, standIn.url), { input: SECRET });
  expect(init.code, init.stderr).toBe(0);
}, 60_000);
afterAll(() => standIn.close());

/** Runs the CLI with stdout a pipe whose reading end is closed before the CLI writes a byte. */
function intoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: sandbox.project,
      env: sandbox.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const COMMANDS: string[][] = [
  ['--help'],
  ['--version'],
  ['-v'],
  ['init', '--help'],
  ['status'],
  ['status', '--json'],
  ['doctor'],
  ['doctor', '--json'],
  ['test'],
  ['test', '--json'],
  ['history'],
  ['history', '--json'],
  ['history', 'show', 'nope'],
  ['results'],
  ['results', '--json'],
  ['retry'],
  ['pause'],
  ['resume'],
  ['update-credentials', '--offline', '--agent-id', AGENT],
  ['uninstall', '--help'],
  ['bogus-command'],
];

describe('output into a closed pipe (first-run M4)', () => {
  it.each(COMMANDS.map((args) => [args.join(' '), args] as const))(
    '%s exits quietly',
    async (_name, args) => {
      const result = await intoClosedPipe(args);
      expect(result.stderr).not.toMatch(/EPIPE|node:events|Unhandled 'error'|^\s+at /m);
      expect(result.code).not.toBe(70);
      expect(existsSync(join(sandbox.stateDir, 'logs', 'cli.log'))).toBe(false);
    },
    60_000,
  );
});
