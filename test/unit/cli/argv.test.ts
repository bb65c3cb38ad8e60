// One table for argv -> (command, options): what each flag a user types turns into.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context';
import { buildProgram, type CommandName } from '../../../src/cli/main';
import { createOutput } from '../../../src/cli/output';

function parse(args: string[]): { command: CommandName; options: Record<string, unknown> } {
  const calls: { command: CommandName; options: Record<string, unknown> }[] = [];
  const ctx: CliContext = {
    env: {},
    cwd: '/tmp',
    out: createOutput(new PassThrough(), new PassThrough(), {}),
    stdin: new PassThrough(),
    interactive: false,
    progress: new PassThrough(),
    target: { distDir: '/x/dist', nodePath: '/usr/bin/node' },
  };
  const program = buildProgram(ctx, async (command, options) => {
    calls.push({ command, options: { ...options } });
  });
  program.parse(['node', 'infinium-codex', ...args]);
  const [call] = calls;
  if (!call) throw new Error('no command ran');
  return call;
}

describe('argv', () => {
  it.each<[string[], CommandName, Record<string, unknown>]>([
    [['init'], 'init', { keyring: true, interactive: true }],
    [['init', '--no-interactive'], 'init', { keyring: true, interactive: false }],
    [
      [
        'init',
        '-y',
        '--agent-id',
        'a1',
        '--agent-secret-stdin',
        '--base-url',
        'https://x/api/v1',
        '--scope',
        'project',
        '--capture',
        'full',
        '--granularity',
        'session',
        '--content-mode',
        'metadata',
        '--no-trust',
        '--no-keyring',
        '--offline',
        '--gitignore',
      ],
      'init',
      {
        yes: true,
        interactive: true,
        agentId: 'a1',
        agentSecretStdin: true,
        baseUrl: 'https://x/api/v1',
        scope: 'project',
        capture: 'full',
        granularity: 'session',
        contentMode: 'metadata',
        trust: false,
        keyring: false,
        offline: true,
        gitignore: true,
      },
    ],
    [['init', '--trust'], 'init', { trust: true, keyring: true, interactive: true }],
    [
      ['init', '--system', '--agent-id', 'a1'],
      'init-system',
      { system: true, agentId: 'a1', keyring: true, interactive: true },
    ],
    [['test', '-v', '--json'], 'test', { verbose: true, json: true }],
    [['status', '--json'], 'status', { json: true }],
    [['doctor', '--fix'], 'doctor', { fix: true }],
    [['pause', '--all'], 'pause', { all: true }],
    [['resume'], 'resume', {}],
    [['history'], 'history', {}],
    [['history', '-n', '5', '--json'], 'history', { limit: '5', json: true }],
    [['history', 'show', 'abc'], 'history-show', { id: 'abc', json: false }],
    [['history', 'show', 'abc', '--json'], 'history-show', { id: 'abc', json: true }],
    [['retry', '--dead'], 'retry', { dead: true }],
    [
      ['update-credentials', '--agent-id', 'a2', '--no-keyring'],
      'update-credentials',
      { agentId: 'a2', keyring: false },
    ],
    [['uninstall', '--purge'], 'uninstall', { purge: true }],
    [['hook', 'Stop'], 'hook', { event: 'Stop' }],
  ])('%j', (args, command, options) => {
    expect(parse(args)).toEqual({ command, options });
  });
});
