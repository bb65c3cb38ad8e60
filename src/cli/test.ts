// `infinium-codex test`: config, secret and network checked by sending one real test trace.
import { serializeTaskData } from '../infinium/task-data';
import { describeSecretSource, requireAgent } from './agent';
import { checkConnection } from './connection';
import type { CliContext } from './context';

export interface TestOptions {
  verbose?: boolean;
  json?: boolean;
}

export async function test(options: TestOptions, ctx: CliContext): Promise<void> {
  const { out } = ctx;
  const { config, agent, secret } = await requireAgent(ctx);
  const check = await checkConnection(agent, config.projectName);
  if (options.json) {
    out.json({
      agentId: config.agentId,
      baseUrl: config.baseUrl,
      secretSource: secret.source,
      agentName: check.agentName,
      traceId: check.traceId,
      ...(options.verbose ? { payload: check.taskData } : {}),
    });
    return;
  }
  out.line(
    `${out.green('✓')} Config: agent ${config.agentId} at ${config.baseUrl} (from ${config.source} settings)`,
  );
  out.line(`${out.green('✓')} Secret: found in ${describeSecretSource(secret.source, ctx.env)}`);
  out.line(`${out.green('✓')} Infinium accepted a test trace: ${check.traceId ?? '(no id returned)'}`);
  if (options.verbose) out.line(JSON.stringify(JSON.parse(serializeTaskData(check.taskData)), null, 2));
}
