/**
 * `iob catalog load --file FILE` — validates a catalog file (every problem with its line and column; nothing
 * is written unless the whole file is valid) and replaces the shared catalog in NATS KV (IOB_CATALOG) of the
 * engine at NATS_URL / --nats-url.
 */
import type { Command } from 'commander';
import { connect } from 'nats';
import { readCatalogFile, requireValidCatalog } from '../datasets/index.ts';
import { IobError, openCatalogStore, type CatalogEntry, type CatalogLoadReport } from '../engine/index.ts';

export interface CatalogLoadOptions {
  file: string;
  natsUrl?: string;
}

export function register(program: Command, say: (line: string) => void = (l) => void process.stdout.write(`${l}\n`)): void {
  const catalog = program.command('catalog').description('the offer catalog shared by every replica (NATS KV)');
  catalog
    .command('load')
    .description('validate a catalog file (.csv or .jsonl, optionally .gz) and make it the catalog')
    .requiredOption('--file <file>', 'catalog: id,category,price,margin,in_stock,eligible_from,eligible_until,tags (only id required)')
    .option('--nats-url <url>', 'NATS of the engine (NATS_URL)')
    .option('--dry-run', 'validate only')
    .action(async (opts: { file: string; natsUrl?: string; dryRun?: boolean }) => {
      const entries = requireValidCatalog(opts.file, await readCatalogFile(opts.file));
      if (opts.dryRun) {
        say(`catalog ${opts.file}: ${entries.length} valid entries (dry run: nothing loaded)`);
        return;
      }
      const report = await loadCatalog(entries, opts.natsUrl ?? process.env.NATS_URL);
      say(`catalog ${opts.file}: ${report.items} entries loaded (${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.removed} removed)`);
    });
}

export async function loadCatalog(entries: readonly CatalogEntry[], natsUrl: string | undefined): Promise<CatalogLoadReport> {
  if (!natsUrl) {
    throw new IobError('IOB_ERR_VALIDATION', 'catalog load needs the engine’s NATS: pass --nats-url or set NATS_URL (or validate only with --dry-run)', [
      { path: '--nats-url', reason: 'required', message: 'is required to load the catalog' },
    ]);
  }
  const nc = await connect({ servers: natsUrl.split(','), name: 'iob-catalog' });
  try {
    const store = await openCatalogStore(nc.jetstream());
    return await store.replace(entries);
  } finally {
    await nc.drain();
  }
}
