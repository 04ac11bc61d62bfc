/**
 * Routes validate through zod's compiled parsers (serving/compiled-validator.ts): every request body, query
 * and params, valid or not, must come out exactly as the library's runtime validator gives it — the same
 * parsed value (coercions and defaults included) or the same error, so a 400 names the same field and reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { compiledValidatorCompiler } from '../../serving/compiled-validator.ts';
import { CatalogPutSchema, ConsentPutSchema, ForecastQuerySchema, IntentRequestSchema, OffersRequestSchema, SubjectParamsSchema } from '../../serving/schemas.ts';

const route = (schema: unknown) => ({ schema, method: 'POST', url: '/x', httpPart: 'body' }) as unknown as Parameters<typeof validatorCompiler>[0];

const cases: [string, unknown, unknown[]][] = [
  ['intent', IntentRequestSchema, [{ subject: 'u1' }, { subject: 'u1', session: 's' }, {}, { subject: '' }, { subject: 'x'.repeat(257) }, { subject: 7 }, null, 'text', { subject: 'u1', extra: true }, { subject: 'u1', reasons: false }, { subject: 'u1', reasons: 'no' }]],
  ['offers', OffersRequestSchema, [{ subject: 'u1', k: 10 }, { subject: 'u1', k: 0 }, { subject: 'u1', k: 1.5 }, { subject: 'u1', exclude: ['a', ''] }, { subject: 'u1', context: { explore: 'epsilon', epsilon: 2 } }, { subject: 'u1', context: { other: 1 } }]],
  ['consent', ConsentPutSchema, [{ purposes: { personalization: true }, source: 'cmp' }, { purposes: {}, source: 'cmp' }, { purposes: { nope: true }, source: 'cmp' }, { purposes: { personalization: 'yes' }, source: '' }]],
  ['forecast query', ForecastQuerySchema, [{ item: 'i1', horizon: '7' }, { item: 'i1', category: 'c' }, {}, { item: 'i1', horizon: '0' }, { category: 'c', horizon: 'abc' }]],
  ['subject params', SubjectParamsSchema, [{ subject: 'u1' }, { subject: '' }]],
  ['catalog', CatalogPutSchema, [{ items: [{ id: 'i1', category: 'c', price: 3, margin: 0.2, eligible_from: '2026-01-01T00:00:00Z' }] }, { items: [] }, { items: [{ id: 'i1', price: -1 }] }, { items: [{ id: 'i1' }], mode: 'merge' }, { items: [{ id: 'i1', colour: 'red' }] }]],
];

for (const [name, schema, inputs] of cases) {
  test(`${name}: the compiled validator answers as the runtime one, valid or not`, () => {
    const runtime = validatorCompiler(route(schema));
    const compiled = compiledValidatorCompiler(route(schema));
    let errors = 0;
    for (const input of inputs) {
      const a = runtime(structuredClone(input)) as { value?: unknown; error?: Error & { validation?: unknown } };
      const b = compiled(structuredClone(input)) as { value?: unknown; error?: Error & { validation?: unknown } };
      assert.deepEqual(b.value, a.value, `${name} ${JSON.stringify(input)}: value`);
      assert.equal(b.error?.message, a.error?.message, `${name} ${JSON.stringify(input)}: message`);
      assert.deepEqual(b.error?.validation, a.error?.validation, `${name} ${JSON.stringify(input)}: issues`);
      if (a.error) errors++;
    }
    assert.ok(errors > 0 && errors < inputs.length, `${name}: the cases hold valid and invalid inputs (${errors} of ${inputs.length} invalid)`);
  });
}
