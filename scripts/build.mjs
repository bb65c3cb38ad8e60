// Bundles the package: a tiny CommonJS entry (bin.cjs) that runs `hook` itself and loads the CLI bundle
// only for other commands (the ESM loader alone costs ~10 ms per start); the CLI; the detached worker, whose
// entry (worker.mjs) takes the worker lock before it loads the rest from chunks of its own (a second worker
// started for the same turn then leaves at the cost of a bare Node start); the POSIX shell hook front-end;
// and the native hook front-end for this machine (build-native.mjs), or with --pack (prepack: what `npm
// pack` ships) for every platform we ship. The native keyring module stays external. The RE2 engine is a
// CommonJS module of its own (re2js.cjs), loaded by the CLI and the worker at their first regex compile
// (src/config/re2.ts).
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { buildNativeHook, crossBuildNativeHooks } from './build-native.mjs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { mode: 0o755 });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};
// esbuild's ESM output cannot `require` node built-ins from bundled CommonJS dependencies without this.
const esm = {
  ...common,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  external: ['@napi-rs/keyring'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/bin.ts'], outfile: 'dist/bin.cjs', format: 'cjs' }),
  build({ ...esm, entryPoints: { cli: 'src/cli/main.ts' } }),
  build({
    ...esm,
    entryPoints: { worker: 'src/worker/main.ts' },
    chunkNames: 'worker-[name]-[hash]',
    splitting: true,
  }),
]);

// re2js's own CommonJS build as it is: bundled again, it is wrapped in a function and loads about 1 ms slower.
copyFileSync(createRequire(import.meta.url).resolve('re2js'), 'dist/re2js.cjs');
if (existsSync('src/hook/hook.sh')) {
  copyFileSync('src/hook/hook.sh', 'dist/hook.sh');
  chmodSync('dist/hook.sh', 0o755);
}
chmodSync('dist/bin.cjs', 0o755);
buildNativeHook();

// `npm pack` (prepack) stamps how this copy will be installed, for advice that names a working update
// command (src/cli/install-source.ts): the release workflow packs for the registry, everyone else a tarball.
if (process.argv.includes('--pack')) {
  crossBuildNativeHooks();
  const source = process.env.INFINIUM_CODEX_PACK_FOR === 'registry' ? 'registry' : 'tarball';
  writeFileSync('dist/install-source.json', `${JSON.stringify({ source })}\n`);
}
