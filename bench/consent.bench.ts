/**
 * The cost of consent on the scoring hot path (a local-map check, ns per check, beside a bare Map
 * lookup measured the same way), withdrawal propagation to a second process through the KV watch, and
 * the erasure of a subject with 10 000 events (stream purge, features, consent tombstone, erasure list).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { createLogger, createPseudonymizer, loadConfig, openConsentRegistry, startEngine, startNatsServer } from '../engine/index.ts';
import type { BenchReport } from './ingest.bench.ts';
import { TSX_CHILD_FLAGS } from './tsx-child.ts';

export async function benchConsent(options: { subjects: number; rounds: number; erasureEvents: number }, say: (line: string) => void): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-consent-'));
  const server = await startNatsServer({ storeDir: dir });
  const nc = await connect({ servers: server.url });
  try {
    const registry = await openConsentRegistry(nc.jetstream());
    await registry.synced();
    const pseudonymize = createPseudonymizer('c'.repeat(32));
    const sids = Array.from({ length: options.subjects }, (_, i) => pseudonymize('subject', `u${i}`));
    say(`recording consent for ${options.subjects} subjects …`);
    const now = Date.now();
    for (let i = 0; i < sids.length; i += 200) {
      await Promise.all(sids.slice(i, i + 200).map((sid, j) => registry.record(sid, [{ at: now - 1000, purpose: 'personalization', granted: (i + j) % 3 !== 0, source: 'bench' }])));
    }
    while (registry.size < sids.length) await new Promise((r) => setTimeout(r, 20));

    const checks = 2_000_000;
    const plain = new Map(sids.map((s) => [s, true]));
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < checks; i++) if (plain.get(sids[i % sids.length]!)) sink++;
    const mapNs = Number(process.hrtime.bigint() - t0) / checks;
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < checks; i++) if (registry.allowed(sids[i % sids.length]!, 'personalization', now)) sink++;
    const checkNs = Number(process.hrtime.bigint() - t1) / checks;
    say(`consent check: ${checkNs.toFixed(1)} ns (bare Map.get: ${mapNs.toFixed(1)} ns) [${sink}]`);

    const target = sids[1]!;
    const child = spawn(process.execPath, [...TSX_CHILD_FLAGS, fileURLToPath(new URL('./consent-watcher.ts', import.meta.url)), server.url, target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffer = '';
    child.stdout!.on('data', (d) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    });
    while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 20));
    const delays: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      await registry.record(target, [{ at: Date.now(), purpose: 'personalization', granted: true, source: 'bench' }]);
      await new Promise((r) => setTimeout(r, 50));
      const before = lines.length;
      const sent = Date.now();
      await registry.record(target, [{ at: sent, purpose: 'personalization', granted: false, source: 'bench' }]);
      while (lines.length === before) await new Promise((r) => setTimeout(r, 1));
      delays.push(JSON.parse(lines.at(-1)!).seenAt - sent);
    }
    child.kill();
    delays.sort((a, b) => a - b);
    const p50 = delays[Math.floor(delays.length / 2)]!;
    const max = delays.at(-1)!;
    say(`withdrawal seen by a second process: p50 ${p50} ms, max ${max} ms over ${options.rounds} withdrawals`);
    await registry.close();
    const erasure = await erasureTime(server.url, join(dir, 'engine'), options.erasureEvents);
    say(`erasure of a subject with ${options.erasureEvents} events: ${erasure.ms.toFixed(0)} ms (${erasure.purged} messages purged)`);
    return {
      name: 'consent',
      rows: [
        { label: 'consent check on the hot path', value: +checkNs.toFixed(1), unit: 'ns' },
        { label: 'bare Map.get (same loop)', value: +mapNs.toFixed(1), unit: 'ns' },
        { label: 'withdrawal propagation p50 (2 processes)', value: p50, unit: 'ms' },
        { label: 'withdrawal propagation max', value: max, unit: 'ms' },
        { label: `erasure, subject with ${options.erasureEvents} events`, value: Math.round(erasure.ms), unit: 'ms' },
      ],
      ratios: { check_ns: +checkNs.toFixed(1), check_vs_map: +(checkNs / mapNs).toFixed(2), propagation_max_ms: max, erasure_ms: Math.round(erasure.ms) },
    };
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time of `DELETE /v1/subjects/:subject`'s work for one subject holding `events` events. */
async function erasureTime(natsUrl: string, dataDir: string, events: number): Promise<{ ms: number; purged: number }> {
  const engine = await startEngine({ config: loadConfig({}, { natsUrl, dataDir, pseudonymKey: 'e'.repeat(32) }), log: createLogger('silent') });
  try {
    const subject = 'bench-erasure-subject';
    await engine.subjects.updateConsent(subject, { purposes: { personalization: true }, source: 'bench', at: 0 }, 'bench');
    const ts = Date.now() - 60_000;
    for (let from = 0; from < events; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, events - from) }, (_, k) => ({ id: `e${from + k}`, ts: ts + from + k, subject, type: 'view', item: `i${k % 50}` }));
      const report = await engine.ingest(batch);
      await engine.waitForSeq(report.lastSeq, 30_000);
    }
    const t0 = performance.now();
    const receipt = await engine.subjects.erase(subject, 'bench');
    return { ms: performance.now() - t0, purged: receipt.purged.events ?? 0 };
  } finally {
    await engine.close();
  }
}
