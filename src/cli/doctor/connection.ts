// Doctor's checks on reaching Infinium: the keyring, the stored secret, the API and the clock.
import { loadConfigSecret, probeKeyring } from '../../config/credentials';
import { AgentCredentials, health } from '../../infinium/client';
import { InfiniumError } from '../../infinium/errors';
import { proxyFor } from '../../infinium/http';
import { describeSecretSource } from '../agent';
import type { CliContext } from '../context';
import { withProgress } from '../progress';
import type { Finding } from './finding';
import type { Probe } from './probe';
import { agentToReach } from './settings';

const CLOCK_SKEW_MS = 5 * 60_000;

export async function connectionFindings(probe: Probe, ctx: CliContext): Promise<Finding[]> {
  const config = agentToReach(probe, ctx);
  if (!config) return [];
  const findings: Finding[] = [];
  const keyring = await probeKeyring(config.agentId, config.baseUrl, { env: ctx.env });
  const secret = await loadConfigSecret(config, { env: ctx.env });
  if (keyring.state === 'refused') {
    findings.push({
      check: 'keyring',
      status: 'fail',
      summary: `${keyring.reason}, so no secret is read from or stored in the OS keyring`,
      fix: 'Reinstall infinium-codex where only you or root can write (`npm i -g` as root, or a prefix of your own).',
    });
  }
  if (keyring.state === 'timeout') {
    findings.push({
      check: 'keyring',
      status: secret ? 'warn' : 'fail',
      summary: 'the OS keyring did not answer in time (locked?); the worker cannot wait for an unlock prompt',
      fix: 'Unlock the keyring, or store the secret in the fallback file: `infinium-codex update-credentials --no-keyring --agent-secret-stdin`.',
    });
  }
  if (!secret) {
    findings.push({
      check: 'secret',
      status: 'fail',
      summary: `no secret is stored for agent ${config.agentId}`,
      fix: 'Run `infinium-codex update-credentials --agent-secret-stdin`.',
    });
    return findings;
  }
  findings.push({
    check: 'secret',
    status: 'ok',
    summary: `in ${describeSecretSource(secret.source, ctx.env)}`,
  });
  const agent = new AgentCredentials(config.agentId, secret.secret, config.baseUrl);
  try {
    const answer = await withProgress(
      { stream: ctx.progress, enabled: !ctx.machineOutput },
      'Asking Infinium',
      () => health(agent, { timeoutMs: 15_000 }),
    );
    findings.push({ check: 'api', status: 'ok', summary: `Infinium answered (${answer.status})` });
    const skew = answer.timestamp ? Date.now() - Date.parse(answer.timestamp) : 0;
    findings.push(
      Math.abs(skew) > CLOCK_SKEW_MS
        ? {
            check: 'clock',
            status: 'warn',
            summary: `this machine's clock is ${Math.round(Math.abs(skew) / 60_000)} min ${skew > 0 ? 'ahead of' : 'behind'} Infinium's: trace times will be off`,
            fix: 'Turn on time synchronisation (NTP).',
          }
        : { check: 'clock', status: 'ok', summary: 'in step with Infinium' },
    );
  } catch (error) {
    if (!(error instanceof InfiniumError)) throw error;
    const proxy = proxyFor(config.baseUrl, ctx.env);
    findings.push({
      check: 'api',
      status: 'fail',
      summary: error.message,
      fix:
        error.kind === 'network' || error.kind === 'timeout'
          ? proxy
            ? `Check the proxy (${proxy.replace(/\/\/[^/@]*@/, '//')}) and NO_PROXY, and the base URL.`
            : 'Check your network and the base URL; behind a proxy, set HTTPS_PROXY (and NO_PROXY).'
          : error.hint,
    });
  }
  return findings;
}
