// The try-out without an account (issue 24 §2), on the real Codex: `init --local`, a real turn that lands
// in local history and nowhere else, then the account: `init` with credentials and `retry` send the kept
// turn once, under the key it was kept with, and a second `retry` sends nothing more; a session run with
// tracing off under the try-out's hooks is never sent by a later `import`.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { codexExec, makeSandbox, type Sandbox } from './support/codex';
import { cli, waitForTraces, waitForWorkerIdle } from './support/connector';
import { conversation, type ModelServer, startModelServer } from './support/model-server';
import { oneCommand } from './support/turns';
import { newAgent } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')(
  'init --local: traced with no account, sent once an account exists',
  () => {
    let standIn: StandIn | undefined;
    let model: ModelServer | undefined;
    let sandbox: Sandbox | undefined;
    afterEach(async () => {
      await Promise.all([standIn?.close(), model?.close()]);
      if (sandbox) rmSync(sandbox.root, { recursive: true, force: true });
    });

    it('keeps the turn in history, sends nothing, then sends it exactly once after init and retry', async () => {
      const agent = newAgent();
      standIn = await startStandIn({ [agent.id]: agent.secret });
      model = await startModelServer();
      sandbox = makeSandbox({ modelUrl: model.url });
      const setUp = await cli(sandbox, ['init', '--local']);
      expect(setUp.code, setUp.stderr).toBe(0);
      expect(setUp.stdout).toContain('✓ Local only: every Codex turn in a project with no agent is kept');

      const replies = oneCommand('local');
      model.setScript(conversation(replies));
      const run = await codexExec('Say hello locally.', { sandbox });
      expect(run.code, run.stderr).toBe(0);
      await waitForWorkerIdle(sandbox);
      const kept = JSON.parse((await cli(sandbox, ['history', '--json'])).stdout) as {
        key: string;
        status: string;
        agentId: string;
      }[];
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ status: 'local', agentId: '(local)' });
      const shown = await cli(sandbox, ['history', 'show', kept[0]?.key as string, '--json']);
      expect(JSON.parse(shown.stdout)).toMatchObject({ input_summary: 'Say hello locally.' });
      expect(standIn.traces).toHaveLength(0);
      expect(standIn.requests.filter((r) => r.path.includes('/trace'))).toHaveLength(0);
      const status = await cli(sandbox, ['status']);
      expect(status.stdout).toContain('Agent:     none yet: local only');
      // A session with tracing off under the try-out's hooks (attack21 F1): never imported later.
      model.setScript(conversation(oneCommand('off')));
      const off = await codexExec('CONFIDENTIAL prompt: salary list', {
        sandbox,
        env: { INFINIUM_CODEX_DISABLED: '1' },
      });
      expect(off.code, off.stderr).toBe(0);

      // The account arrives: the usual init in the project, then retry.
      const init = await cli(
        sandbox,
        [
          'init',
          '--yes',
          '--agent-id',
          agent.id,
          '--agent-secret-stdin',
          '--base-url',
          standIn.url,
          '--no-keyring',
        ],
        { input: agent.secret },
      );
      expect(init.code, init.stderr).toBe(0);
      const retry = await cli(sandbox, ['retry']);
      expect(retry.code, retry.stderr).toBe(0);
      const traces = await waitForTraces(standIn, 1, sandbox);
      expect(traces).toHaveLength(1);
      expect(traces[0]).toMatchObject({ agentId: agent.id, body: { input_summary: 'Say hello locally.' } });
      expect((await cli(sandbox, ['retry'])).code).toBe(0);
      expect(standIn.traces).toHaveLength(1);
      const imported = await cli(sandbox, ['import', '--since', '1d', '--yes']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain('Nothing to import.');
      expect(imported.stdout).toContain('made while our hooks were installed');
      expect(standIn.traces).toHaveLength(1);
      const after = JSON.parse((await cli(sandbox, ['history', '--json'])).stdout) as {
        key: string;
        status: string;
      }[];
      // The history keeps both records of the one key; its table shows the turn once, as sent.
      expect(after.map((r) => r.key)).toEqual([kept[0]?.key, kept[0]?.key]);
      expect(after.map((r) => r.status).sort()).toEqual(['local', 'sent']);
      const table = (await cli(sandbox, ['history'])).stdout
        .split('\n')
        .filter((line) => line.includes('#1'));
      expect(table).toHaveLength(1);
      expect(table[0]).toMatch(/ sent /);
    });
  },
);
