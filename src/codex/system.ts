// Codex's managed (system) layer: /etc/codex (hooks.json, requirements.toml, config.toml). Hooks there
// need no trust, which is how an organisation rolls them out to a fleet. INFINIUM_CODEX_SYSTEM_CODEX_DIR
// points elsewhere (packaging and tests).
import { join } from 'node:path';
import type { Env } from '../config/paths';
import { hooksFeature, readConfigToml, type TomlTable } from './config-toml';

export function systemCodexDir(env: Env = process.env): string {
  return (
    env.INFINIUM_CODEX_SYSTEM_CODEX_DIR ||
    (process.platform === 'win32' ? 'C:\\ProgramData\\OpenAI\\Codex' : '/etc/codex')
  );
}

export function systemHooksFile(env: Env = process.env): string {
  return join(systemCodexDir(env), 'hooks.json');
}

export interface AdminPolicy {
  /** An admin turned hooks off (requirements.toml or the system config.toml). */
  hooksDisabled: string | null;
  /** Only managed hooks run: ours must then be in the system layer. */
  managedHooksOnly: boolean;
  /** The managed-layer file that sets bypass_hook_trust (see hookTrustBypass), or null. */
  trustBypass: string | null;
}

function table(value: unknown): TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TomlTable) : {};
}

/** What the managed layer's requirements.toml and config.toml decide (one unreadable says nothing). */
export function adminPolicy(env: Env = process.env): AdminPolicy {
  let hooksDisabled: string | null = null;
  let managedHooksOnly = false;
  let trustBypass: string | null = null;
  for (const name of ['requirements.toml', 'config.toml']) {
    const file = join(systemCodexDir(env), name);
    let parsed: TomlTable;
    try {
      parsed = readConfigToml(file).parsed;
    } catch {
      continue;
    }
    const feature = hooksFeature(parsed);
    if (feature.hooks === false || feature.codexHooks === false) hooksDisabled ??= file;
    const required = table(table(parsed.features).hooks);
    if (required.value === false) hooksDisabled ??= file;
    if (parsed.allow_managed_hooks_only === true || table(parsed.allow_managed_hooks_only).value === true) {
      managedHooksOnly = true;
    }
    if (hookTrustBypass(parsed)) trustBypass ??= file;
  }
  return { hooksDisabled, managedHooksOnly, trustBypass };
}

/**
 * `bypass_hook_trust = true` (Codex 0.171's config key behind `--dangerously-bypass-hook-trust`, top level
 * or under [hooks]): every hook runs without review. We never write it; doctor warns where it is set.
 */
export function hookTrustBypass(parsed: TomlTable): boolean {
  return parsed.bypass_hook_trust === true || table(parsed.hooks).bypass_hook_trust === true;
}
