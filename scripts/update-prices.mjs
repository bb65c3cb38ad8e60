// Writes src/trace/price-table.json, the offline price table the trace prices model requests with, from
// the installed @pydantic/genai-prices (a devDependency, pinned): the providers a Codex session can name
// and, per model, its match rule and the token prices the engine in src/trace/pricing.ts reads. The table
// is data in the repository, so an update is a reviewable diff; the package itself is never loaded at run
// time (its 830 KB module compiles in ~40 ms, on every worker start).
//   npm run prices:update   installs the newest @pydantic/genai-prices, then runs this script
//   node scripts/update-prices.mjs   regenerates from the version installed now
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { findProvider } from '@pydantic/genai-prices';

const OUT = 'src/trace/price-table.json';
/** Providers a Codex `model_provider` id can name (src/trace/pricing.ts maps the rest). */
const PROVIDERS = ['openai', 'azure'];
/** The prices src/trace/pricing.ts reads; other units (audio, images, searches) are never reported by Codex. */
const PRICE_KEYS = ['input_mtok', 'cache_read_mtok', 'cache_write_mtok', 'output_mtok', 'requests_kcount'];

// The package exports no ./package.json: read it where npm installed it.
const { version } = JSON.parse(readFileSync('node_modules/@pydantic/genai-prices/package.json', 'utf8'));

const pick = (prices) =>
  Object.fromEntries(PRICE_KEYS.filter((key) => prices[key] !== undefined).map((key) => [key, prices[key]]));

function model(info, providerId) {
  const entries = Array.isArray(info.prices) ? info.prices : [{ prices: info.prices }];
  for (const entry of entries) {
    if (entry.constraint && entry.constraint.type !== 'start_date') {
      throw new Error(`${providerId}/${info.id}: price constraint ${entry.constraint.type} is not supported`);
    }
  }
  const prices = entries.map((entry) => ({
    ...(entry.constraint ? { start_date: entry.constraint.start_date } : {}),
    prices: pick(entry.prices),
  }));
  // A model without both token prices cannot be priced from token counts: it stays out (unpriced).
  if (prices.some((entry) => entry.prices.input_mtok === undefined || entry.prices.output_mtok === undefined))
    return undefined;
  return { id: info.id, match: info.match, prices };
}

const providers = PROVIDERS.map((id) => {
  const provider = findProvider({ providerId: id });
  if (!provider) throw new Error(`@pydantic/genai-prices ${version} has no provider ${id}`);
  return {
    id,
    ...(provider.provider_match ? { provider_match: provider.provider_match } : {}),
    ...(provider.model_match ? { model_match: provider.model_match } : {}),
    fallback: (provider.fallback_model_providers ?? []).filter((other) => PROVIDERS.includes(other)),
    models: provider.models.map((info) => model(info, id)).filter((info) => info !== undefined),
  };
});

writeFileSync(OUT, `${JSON.stringify({ table: '@pydantic/genai-prices', version, providers }, null, 2)}\n`);
execFileSync('npx', ['biome', 'format', '--write', OUT], { stdio: 'inherit' });
console.log(
  `${OUT}: @pydantic/genai-prices ${version}, ${providers.map((p) => `${p.id} ${p.models.length} models`).join(', ')}`,
);
