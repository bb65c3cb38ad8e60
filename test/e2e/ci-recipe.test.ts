// The CI recipe of docs/configuration.md on the real Codex: a runner with nothing but INFINIUM_* in its
// environment runs `infinium-codex init --ci`, then `codex exec` with current Codex's flags (0.171 has no
// --full-auto), then `infinium-codex retry`. Its turn must reach Infinium once, and nothing but our hooks
// may be written: no settings, no stored secret (first-run N2, N3).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { codexExec, makeSandbox, type Sandbox } from './support/codex';
import { cli, waitForTraces } from './support/connector';
import { conversation, type ModelServer, startModelServer } from './support/model-server';
import { oneCommand } from './support/turns';
import { newAgent } from './support/world';

const skipReason = inject('codexSkipReason');

describe.skipIf(skipReason !== '')('CI: init --ci from the environment alone', () => {
  let standIn: StandIn | undefined;
  let model: ModelServer | undefined;
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await Promise.all([standIn?.close(), model?.close()]);
    if (sandbox) rmSync(sandbox.root, { recursive: true, force: true });
  });

  it("installs trusted hooks, writes no settings, and the job's turn is traced once", async () => {
    const agent = newAgent();
    standIn = await startStandIn({ [agent.id]: agent.secret });
    model = await startModelServer();
    sandbox = makeSandbox({ modelUrl: model.url });
    sandbox.env = {
      ...sandbox.env,
      INFINIUM_AGENT_ID: agent.id,
      INFINIUM_AGENT_SECRET: agent.secret,
      INFINIUM_BASE_URL: standIn.url,
    };
    const setUp = await cli(sandbox, ['init', '--ci']);
    expect(setUp.code, setUp.stderr).toBe(0);
    expect(setUp.stdout).toMatch(
      /^✓ Installed lean capture hooks in .*hooks\.json \((native|hook\.sh), trusted\)$/m,
    );
    // Nothing of ours but the hooks: no user or project settings, no secret on disk.
    expect(existsSync(join(sandbox.stateDir, 'config.json'))).toBe(false);
    expect(existsSync(join(sandbox.stateDir, 'credentials.json'))).toBe(false);
    expect(existsSync(join(sandbox.project, '.infinium'))).toBe(false);

    const replies = oneCommand('ci');
    model.setScript(conversation(replies));
    const run = await codexExec('Say hello from CI.', {
      sandbox,
      extraArgs: ['--sandbox', 'workspace-write'],
    });
    expect(run.code, run.stderr).toBe(0);
    const sent = await cli(sandbox, ['retry']);
    expect(sent.code, sent.stderr).toBe(0);
    const traces = await waitForTraces(standIn, 1, sandbox);
    expect(traces).toHaveLength(1);
    expect(traces[0]?.agentId).toBe(agent.id);
    expect(traces[0]?.body).toMatchObject({ input_summary: 'Say hello from CI.' });
    expect(readdirSync(sandbox.stateDir)).not.toContain('config.json');
  });

  it('says which variable is missing, in one sentence, and installs nothing', async () => {
    model = await startModelServer();
    sandbox = makeSandbox({ modelUrl: model.url });
    const result = await cli(sandbox, ['init', '--ci']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: `init --ci` needs INFINIUM_AGENT_ID in the environment: set it from your CI's secrets and run it again.\n",
    );
    expect(existsSync(join(sandbox.codexHome, 'hooks.json'))).toBe(false);
  });
});
