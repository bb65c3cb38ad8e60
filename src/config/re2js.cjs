// re2js as CommonJS, for src/config/re2.ts to load synchronously at the first compile. scripts/build.mjs
// bundles it as dist/re2js.cjs, next to the bundles that load it.
// biome-ignore lint/style/noRestrictedImports: the engine itself, which re2.ts loads.
module.exports = require('re2js');
