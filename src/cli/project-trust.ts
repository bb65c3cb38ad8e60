// One judgement `status` and `doctor` share: Codex runs a project's own `.codex/hooks.json` only once the
// project itself is trusted (`[projects."<root>"] trust_level = "trusted"` in config.toml, Codex 0.129+).
import type { TomlTable } from '../codex/config-toml';

/** Whether config.toml marks the project at `root` (absolute path) as trusted. */
export function projectTrusted(toml: TomlTable, root: string): boolean {
  const projects = (toml.projects ?? {}) as Record<string, { trust_level?: unknown }>;
  return projects[root]?.trust_level === 'trusted';
}
