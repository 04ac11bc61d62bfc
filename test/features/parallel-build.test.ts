/**
 * The two-thread build (engine/features/parallel-build.ts) gives the single-threaded build's rows, value
 * for value: on random streams with every kind of label, with entities in another order and a subset of
 * views, and on a generated shopping log; and a failed build leaves the kept worker usable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { generateBehavior } from '../../datasets/generate.ts';
import {
  buildPointInTimeRows,
  buildPointInTimeRowsInParallel,
  CATEGORY_VIEW,
  ITEM_VIEW,
  EventColumns,
  PARALLEL_MIN_EVENTS,
  SESSION_VIEW,
  stopBuildWorker,
  type FeatureEvent,
  type LabelRow,
} from '../../engine/index.ts';
import { HOUR, streamArb, type StreamCase } from './streams.ts';

after(() => stopBuildWorker());

const eventsOf = (c: StreamCase) => c.steps.flatMap((s) => (s.kind === 'event' ? [s.event] : []));

const labelsArb = (c: StreamCase) => {
  const times = eventsOf(c).map((e) => e.ts);
  return fc
    .array(
      fc.record({
        ts: fc.oneof(fc.constantFrom(...times), fc.integer({ min: Math.min(...times) - HOUR, max: Math.max(...times) + 2 * HOUR })),
        subject: fc.constantFrom(...c.subjects, 'unknown'),
        session: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
        item: fc.option(fc.constantFrom(...c.items, 'unknown'), { nil: undefined }),
        category: fc.option(fc.constantFrom(...c.categories), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((raw) =>
      raw.map(
        (r): LabelRow => ({
          subject: r.subject,
          ts: r.ts,
          ...(r.session ? { session: `${r.subject}-k${r.session}` } : {}),
          ...(r.item ? { item: r.item } : {}),
          ...(r.category ? { category: r.category } : {}),
        }),
      ),
    );
};

test('two threads build the rows one thread builds, on random streams and labels', async () => {
  await fc.assert(
    fc.asyncProperty(
      streamArb({ maxEvents: 60 }).chain((c) => fc.tuple(fc.constant(c), labelsArb(c))),
      async ([c, labels]) => {
        const events = eventsOf(c);
        const one = buildPointInTimeRows(events, labels);
        const two = await buildPointInTimeRowsInParallel(events, labels, { parallel: true });
        assert.equal(two.threads, 2);
        assert.deepEqual(two.columns, one.columns);
        assert.deepEqual(two.widths, one.widths);
        assert.deepEqual(two.values, one.values);
      },
    ),
    { numRuns: 60 },
  );
});

test('entities in another order and views without the subject’s come out in the order asked', async () => {
  const c = fc.sample(streamArb({ maxEvents: 80 }), { numRuns: 1, seed: 7 })[0]!;
  const events = eventsOf(c);
  const labels = fc.sample(labelsArb(c), { numRuns: 1, seed: 8 })[0]!;
  const options = { entities: ['category', 'session', 'item'] as const, views: [CATEGORY_VIEW, SESSION_VIEW, ITEM_VIEW] };
  const one = buildPointInTimeRows(events, labels, { ...options, entities: [...options.entities] });
  const two = await buildPointInTimeRowsInParallel(events, labels, { ...options, entities: [...options.entities], parallel: true });
  assert.equal(two.threads, 2);
  assert.deepEqual([...new Set(two.columns.map((c) => c.split('.')[0]))], ['category', 'session', 'item']);
  assert.deepEqual(two.columns, one.columns);
  assert.deepEqual(two.values, one.values);
});

test('on a generated shopping log: the same rows; small inputs and a purpose gate stay on one thread', async () => {
  const events: FeatureEvent[] = [];
  for (const e of generateBehavior({ subjects: 400, days: 10, seed: 5, end: Date.UTC(2024, 5, 1) })) {
    events.push({ ts: e.ts, sid: e.subject, type: e.type, ...(e.session ? { ssid: e.session } : {}), ...(e.item ? { item: e.item } : {}), ...(e.category ? { category: e.category } : {}), ...(e.price !== undefined ? { price: e.price } : {}), ...(e.quantity !== undefined ? { quantity: e.quantity } : {}) });
  }
  assert.ok(events.length > 5000 && events.length < PARALLEL_MIN_EVENTS, `${events.length} events`);
  // labels an hour after every 7th event, on its subject, session and item (category from the item)
  const labels: LabelRow[] = events.filter((_, i) => i % 7 === 0).map((e) => ({ subject: e.sid, ts: e.ts + HOUR, ...(e.ssid ? { session: e.ssid } : {}), ...(e.item ? { item: e.item } : {}) }));
  const columns = EventColumns.from(events);
  const one = buildPointInTimeRows(columns, labels);
  const two = await buildPointInTimeRowsInParallel(columns, labels, { parallel: true });
  assert.equal(two.threads, 2);
  assert.deepEqual(two.values, one.values);
  assert.ok(one.values.some((v, i) => v !== 0 && two.columns[i % two.width]!.startsWith('category.')), 'categories found from the labels’ items');
  assert.equal((await buildPointInTimeRowsInParallel(columns, labels)).threads, 1, 'below PARALLEL_MIN_EVENTS: one thread');
  const gated = await buildPointInTimeRowsInParallel(columns, labels, { parallel: true, admits: () => true });
  assert.equal(gated.threads, 1);
  assert.deepEqual(gated.values, one.values);
});

test('an entity named twice fills both places, and no labels make no rows, as on one thread', async () => {
  const c = fc.sample(streamArb({ maxEvents: 80 }), { numRuns: 1, seed: 11 })[0]!;
  const events = eventsOf(c);
  const labels = fc.sample(labelsArb(c), { numRuns: 1, seed: 12 })[0]!;
  const entities = ['item', 'subject', 'item'] as const;
  const one = buildPointInTimeRows(events, labels, { entities: [...entities] });
  const two = await buildPointInTimeRowsInParallel(events, labels, { entities: [...entities], parallel: true });
  assert.equal(two.threads, 2);
  assert.deepEqual(two.columns, one.columns);
  assert.deepEqual(two.values, one.values);
  assert.ok(two.values.some((v) => v !== 0), 'the stream gives some non-zero feature');
  const none = await buildPointInTimeRowsInParallel(events, [], { parallel: true });
  assert.equal(none.rows, 0);
  assert.deepEqual(none.columns, buildPointInTimeRows(events, []).columns);
});

test('a build that fails rejects with the reason, and the next build still runs on two threads', async () => {
  const events: FeatureEvent[] = [{ ts: 1_000, sid: 's', type: 'view', item: 'i', category: 'c' }];
  await assert.rejects(buildPointInTimeRowsInParallel(events, [{ subject: 's', ts: Number.NaN }], { parallel: true }), /label 0: ts must be epoch milliseconds/);
  const two = await buildPointInTimeRowsInParallel(events, [{ subject: 's', ts: 2_000, item: 'i' }], { parallel: true });
  assert.equal(two.threads, 2);
  assert.deepEqual(two.values, buildPointInTimeRows(events, [{ subject: 's', ts: 2_000, item: 'i' }]).values);
});

test('the kept worker does not hold the process open, started ahead or after a build; a worker that fails leaves its columns to the main thread', () => {
  const engine = JSON.stringify(new URL('../../engine/index.ts', import.meta.url).href);
  const scripts = {
    // what `iob features build` does on a small input: starts the worker, then builds on one thread
    prewarmed: `
      const { prewarmBuildWorker } = await import(${engine});
      prewarmBuildWorker();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      console.log('done');`,
    built: `
      const { buildPointInTimeRowsInParallel } = await import(${engine});
      const built = await buildPointInTimeRowsInParallel([{ ts: 1000, sid: 's', type: 'view', item: 'i', category: 'c' }], [{ subject: 's', ts: 2000, item: 'i' }], { parallel: true });
      console.log('done', built.threads, built.values[built.columns.indexOf('item.view_count_24h')]);`,
    // a worker that cannot start (its loader is pointed at a missing tsconfig): this thread does its half
    workerFails: `
      const { buildPointInTimeRowsInParallel } = await import(${engine});
      process.env.TSX_TSCONFIG_PATH = '/nonexistent/tsconfig.json';
      const built = await buildPointInTimeRowsInParallel([{ ts: 1000, sid: 's', type: 'view', item: 'i', category: 'c' }], [{ subject: 's', ts: 2000, item: 'i' }], { parallel: true });
      console.log('done', built.threads, built.values[built.columns.indexOf('item.view_count_24h')]);`,
  };
  const expected: Record<string, RegExp> = { prewarmed: /^done$/m, built: /^done 2 1$/m, workerFails: /^done 1 1$/m };
  const dir = mkdtempSync(join(tmpdir(), 'iob-parallel-'));
  try {
    for (const [name, script] of Object.entries(scripts)) {
      const file = join(dir, `${name}.mjs`);
      writeFileSync(file, script);
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000, cwd: fileURLToPath(new URL('../..', import.meta.url)) });
      assert.equal(run.signal, null, `${name}: killed after 30 s, the process did not exit (${run.stderr})`);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, expected[name]!, `${name}: ${run.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
