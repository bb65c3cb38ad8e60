// The RE2 engine (re2js, ~270 KB) for the user's `redactPatterns` and the secret rules, loaded at the first
// compile instead of with the settings and the redactor that use it: loading it costs ~10 ms of CPU, which a
// process that compiles nothing (a turn whose text holds none of the rules' keywords and no redactPatterns
// set, a pass that builds no turn, most commands) no longer pays. The callers are synchronous, so it is a
// CommonJS module loaded with require: ./re2js.cjs, which the build bundles as dist/re2js.cjs next to the
// bundles (the same path relative to this module and to them).
import { createRequire } from 'node:module';
// biome-ignore lint/style/noRestrictedImports: the one module that loads the engine.
import type { RE2JS } from 're2js';

export type { RE2JS };

let engine: typeof RE2JS | undefined;

/** An RE2 regex (throws what RE2JS.compile throws: lookaround, backreferences, bad syntax). */
export function compileRe2(source: string): RE2JS {
  engine ??= (createRequire(import.meta.url)('./re2js.cjs') as typeof import('re2js')).RE2JS;
  return engine.compile(source);
}
