// Types of scripts/e2e-install-codex.mjs for the TypeScript test support that imports it.
export declare const PINNED_CODEX_VERSION: string;
export declare function wantedCodexVersion(env?: NodeJS.ProcessEnv): string;
export declare function codexDir(version: string): string;
export declare function codexBin(version: string): string;
export declare function ensureCodex(
  version?: string,
): { ok: true; installed: boolean; bin: string } | { ok: false; reason: string };
