// What src/config/re2.ts loads as ./re2js.cjs when run from sources: the package's CommonJS build, which
// scripts/build.mjs copies as dist/re2js.cjs next to the bundles.
// biome-ignore lint/style/noRestrictedImports: the engine itself, which re2.ts loads.
module.exports = require('re2js');
