// The interactive wizard, typed into a real terminal: `script` gives the CLI a pseudo-terminal, and the
// test answers each question when it appears, as a user would.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeSandbox } from '../support/cli-sandbox';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';

const AGENT = 'agent-wizard';
const SECRET = 'sk-wizard-secret-5150';
let standIn: StandIn;

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  standIn = await startStandIn({ [AGENT]: SECRET });
});
afterAll(() => standIn.close());

class Terminal {
  output = '';
  private seen = 0;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
  }

  /** Waits for `text` to appear after what was already answered, then types `keys`. */
  async answer(text: string, keys: string): Promise<void> {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const at = this.output.indexOf(text, this.seen);
      if (at !== -1) {
        this.seen = at + text.length;
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`the wizard never asked "${text}"; it printed:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.child.stdin.write(keys);
  }

  exit(): Promise<number | null> {
    return new Promise((resolve) => this.child.on('close', resolve));
  }
}

describe.skipIf(!hasScript())('the init wizard in a terminal', () => {
  it('asks each question, masks the secret, and sets everything up', async () => {
    const sandbox = makeSandbox();
    const child = spawn(
      'script',
      ['-qfec', `stty cols 120 rows 40; '${process.execPath}' '${BIN}' init`, '/dev/null'],
      {
        cwd: sandbox.project,
        env: { ...sandbox.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' },
      },
    );
    const terminal = new Terminal(child);
    const enter = '\r';
    const down = '\u001b[B';
    await terminal.answer('Agent id', `${AGENT}${enter}`);
    await terminal.answer('Agent secret', `${SECRET}${enter}`);
    await terminal.answer('Infinium base URL', `\u0015${standIn.url}${enter}`);
    await terminal.answer('Install the hooks for', enter);
    await terminal.answer('Capture mode', `${down}${enter}`);
    await terminal.answer('One trace per', enter);
    await terminal.answer('What text to send', enter);
    await terminal.answer('Trust these hooks in Codex now?', enter);
    const code = await terminal.exit();
    expect(code, terminal.output).toBe(0);
    expect(terminal.output).not.toContain(SECRET);
    expect(terminal.output).toContain('Trusted them in');
    expect(JSON.parse(readFileSync(join(sandbox.project, '.infinium', 'config.json'), 'utf8'))).toMatchObject(
      {
        agentId: AGENT,
        baseUrl: standIn.url,
      },
    );
    expect(JSON.parse(readFileSync(join(sandbox.stateDir, 'config.json'), 'utf8'))).toEqual({
      capture: 'full',
    });
  }, 180_000);
});
