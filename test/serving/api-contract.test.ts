/**
 * The HTTP contract as an API consumer sees it, against a real engine (test nats-server): every error
 * answer carries a catalogue code (405 for a wrong method, 503 while shutting down), names the field and
 * the reason without quoting the input; the OpenAPI document lists each route's error answers with the
 * error schema and their codes, and its examples are valid requests.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ERRORS, SCOPES } from '../../engine/index.ts';
import { ENDPOINTS } from '../../serving/endpoints.ts';
import * as schemas from '../../serving/schemas.ts';
import { bearer, startTestStack } from '../helpers/engine.ts';

interface ErrorBody {
  code: string;
  message: string;
  problems?: Array<{ path: string; reason: string; message: string }>;
  requestId: string;
}

test('a route called with a method it does not have answers 405 IOB_ERR_METHOD_NOT_ALLOWED with Allow', async (t) => {
  const { app } = await startTestStack(t);
  const cases: Array<[method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', url: string, allow: string[]]> = [
    ['GET', '/v1/events', ['POST']],
    ['DELETE', '/v1/events', ['POST']],
    ['PATCH', '/v1/intent', ['POST']],
    ['GET', '/v1/catalog', ['PUT']],
    ['POST', '/v1/consent/someone', ['GET', 'HEAD', 'PUT']],
    ['POST', '/v1/subjects/someone', ['DELETE']],
    ['POST', '/v1/forecasts', ['GET', 'HEAD']],
  ];
  for (const [method, url, allow] of cases) {
    const res = await app.inject({ method, url, headers: bearer('admin') });
    assert.equal(res.statusCode, 405, `${method} ${url}: ${res.body}`);
    const body = res.json<ErrorBody>();
    assert.equal(body.code, 'IOB_ERR_METHOD_NOT_ALLOWED');
    assert.ok(body.requestId);
    assert.deepEqual(String(res.headers.allow).split(', ').sort(), allow, `${method} ${url}: Allow`);
  }
  // without a key too: the method is wrong whoever asks, and the route list is public (OpenAPI)
  assert.equal((await app.inject({ method: 'DELETE', url: '/v1/events' })).statusCode, 405);
  // the routes themselves are unchanged
  assert.equal((await app.inject({ method: 'GET', url: '/v1/consent/someone', headers: bearer('consent') })).statusCode, 200);
  assert.equal((await app.inject({ method: 'HEAD', url: '/v1/consent/someone', headers: bearer('consent') })).statusCode, 200);
  const unknown = await app.inject({ method: 'GET', url: '/v1/no-such-route' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json<ErrorBody>().code, 'IOB_ERR_NOT_FOUND');
});

test('an unknown field is named in the message, and a field name that looks personal is not echoed', async (t) => {
  const { app } = await startTestStack(t);
  const email = 'jane.doe@example.com';
  const consent = await app.inject({
    method: 'PUT',
    url: '/v1/consent/someone',
    headers: bearer('consent'),
    payload: { purposes: { personalization: true, [email]: true }, source: 'cmp' },
  });
  assert.equal(consent.statusCode, 400);
  assert.ok(!consent.body.includes('jane.doe'), `echoed a field name: ${consent.body}`);
  assert.deepEqual(consent.json<ErrorBody>().problems, [{ path: 'body.purposes', reason: 'unrecognized_keys', message: 'unknown field: [key]' }]);

  const offers = await app.inject({ method: 'POST', url: '/v1/offers', headers: bearer('score'), payload: { subject: 's', context: { explore: 'epsilon', temperature: 1, '+49 170 1234567': 2 } } });
  assert.equal(offers.statusCode, 400);
  assert.ok(!offers.body.includes('1234567'), `echoed a field name: ${offers.body}`);
  assert.deepEqual(offers.json<ErrorBody>().problems, [{ path: 'body.context', reason: 'unrecognized_keys', message: 'unknown fields: temperature, [key]' }]);
});

test('request bodies are strict at the top level too: a misspelt field is a 400 naming it, not a silent default', async (t) => {
  const { app } = await startTestStack(t);
  const cases: Array<[method: 'POST' | 'PUT', url: string, scope: Parameters<typeof bearer>[0], payload: object, message: string]> = [
    ['POST', '/v1/intent', 'score', { subject: 's', sesion: 'x' }, 'unknown field: sesion'],
    ['POST', '/v1/offers', 'score', { subject: 's', limit: 5 }, 'unknown field: limit'],
    ['PUT', '/v1/consent/someone', 'consent', { purposes: { analytics: true }, source: 'cmp', version: '2026-03' }, 'unknown field: version'],
    ['POST', '/v1/events', 'ingest', { events: [{ id: 'e1', ts: Date.now(), subject: 's', type: 'view' }], batchId: 7, 'jane@example.com': 1 }, 'unknown fields: batchId, [key]'],
  ];
  for (const [method, url, scope, payload, message] of cases) {
    const res = await app.inject({ method, url, headers: bearer(scope), payload });
    assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
    const problems = res.json<ErrorBody>().problems!;
    assert.equal(problems.length, 1, `${url}: ${res.body}`);
    assert.equal(problems[0]!.reason, 'unrecognized_keys', url);
    assert.equal(problems[0]!.path, 'body', url);
    assert.equal(problems[0]!.message, message, url);
    assert.ok(!res.body.includes('jane'), `${url} echoed a field name`);
  }
  // the same bodies without the stray field are accepted
  assert.equal((await app.inject({ method: 'POST', url: '/v1/events', headers: bearer('ingest'), payload: { events: [{ id: 'e1', ts: Date.now(), subject: 's', type: 'view' }] } })).statusCode, 200);
});

interface Operation {
  description?: string;
  security?: unknown[];
  requestBody?: unknown;
  parameters?: unknown[];
  responses: Record<string, { description?: string; content?: { 'application/json'?: { schema?: JsonSchema } } }>;
}
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: string[];
  anyOf?: JsonSchema[];
}

/** The codes an error response documents (its schema's `code` enum), or undefined when it is no error schema. */
const documentedCodes = (op: Operation, status: number): string[] | undefined => {
  const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
  const error = schema?.anyOf ? schema.anyOf.find((s) => s.properties?.code) : schema;
  if (!error?.properties?.code) return undefined;
  assert.deepEqual(error.required, ['code', 'message', 'requestId'], `${status}: the error schema's required fields`);
  assert.ok(error.properties.problems, `${status}: the error schema has problems`);
  return error.properties.code.enum;
};

test('OpenAPI: every route documents the error answers it can give, with the error schema and their codes', async (t) => {
  const { app } = await startTestStack(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: { apiKey: { description: string } } } }>();
  assert.match(doc.openapi, /^3\.1\./);
  for (const scope of SCOPES) assert.ok(doc.components.securitySchemes.apiKey.description.includes(`\`${scope}\``), `the security scheme names ${scope}`);
  const op = (key: string) => {
    const [method, path] = key.split(' ') as [string, string];
    const found = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
    assert.ok(found, `${key} is in the document`);
    return found;
  };
  const seen = new Set<string>();
  for (const [key, declared] of Object.entries(ENDPOINTS)) {
    const o = op(key);
    // OpenAPI 3.1 lets a non-OAuth requirement name the roles it needs: the scope, machine-readable
    assert.deepEqual(o.security, [{ apiKey: [declared.scope] }], `${key}: security`);
    assert.ok(o.description?.includes(`Requires scope \`${declared.scope}\``), `${key}: scope in the description`);
    assert.deepEqual(documentedCodes(o, 401), ['IOB_ERR_UNAUTHORIZED'], `${key}: 401`);
    assert.deepEqual(documentedCodes(o, 403), ['IOB_ERR_FORBIDDEN'], `${key}: 403`);
    assert.deepEqual(documentedCodes(o, 429), ['IOB_ERR_RATE_LIMITED'], `${key}: 429`);
    assert.deepEqual(documentedCodes(o, 500), ['IOB_ERR_INTERNAL'], `${key}: 500`);
    if (o.requestBody) {
      assert.deepEqual(documentedCodes(o, 400)?.sort(), ['IOB_ERR_EMPTY_BODY', 'IOB_ERR_MALFORMED_JSON', 'IOB_ERR_VALIDATION'], `${key}: 400`);
      assert.ok(documentedCodes(o, 413)?.includes('IOB_ERR_BODY_TOO_LARGE'), `${key}: 413`);
      assert.deepEqual(documentedCodes(o, 415), ['IOB_ERR_UNSUPPORTED_MEDIA_TYPE'], `${key}: 415`);
    } else if (o.parameters?.length) {
      assert.deepEqual(documentedCodes(o, 400), ['IOB_ERR_VALIDATION'], `${key}: 400`);
    } else {
      assert.equal(o.responses['400'], undefined, `${key}: takes no input, so no 400`);
    }
    for (const status of Object.keys(o.responses)) for (const code of documentedCodes(o, Number(status)) ?? []) {
      assert.equal(ERRORS[code as keyof typeof ERRORS]?.status, Number(status), `${key}: ${code} documented under ${status}`);
      seen.add(code);
    }
  }
  // route-specific answers
  assert.deepEqual(documentedCodes(op('POST /v1/events'), 413)?.sort(), ['IOB_ERR_BATCH_TOO_LARGE', 'IOB_ERR_BODY_TOO_LARGE']);
  assert.deepEqual(documentedCodes(op('POST /v1/events'), 503), ['IOB_ERR_UNAVAILABLE']);
  assert.deepEqual(documentedCodes(op('POST /v1/intent'), 503), ['IOB_ERR_MODEL_UNAVAILABLE']);
  assert.deepEqual(documentedCodes(op('POST /v1/offers'), 503), ['IOB_ERR_OFFERS_UNAVAILABLE']);
  for (const key of ['POST /v1/intent', 'POST /v1/offers', 'GET /v1/features/:subject']) assert.deepEqual(documentedCodes(op(key), 421), ['IOB_ERR_WRONG_WORKER'], key);
  for (const key of ['PUT /v1/consent/:subject', 'GET /v1/subjects/:subject/export', 'DELETE /v1/subjects/:subject', 'PUT /v1/catalog', 'GET /v1/audit']) {
    assert.deepEqual(documentedCodes(op(key), 503), ['IOB_ERR_UNAVAILABLE'], `${key}: reads or writes the event store`);
  }
  assert.deepEqual(documentedCodes(op('GET /v1/forecasts'), 404), ['IOB_ERR_FORECAST_NOT_FOUND']);
  for (const key of ['GET /v1/forecasts', 'GET /v1/forecasts/series', 'GET /v1/forecasts/top']) assert.deepEqual(documentedCodes(op(key), 503), ['IOB_ERR_FORECASTS_UNAVAILABLE'], key);
  // the answers that carry Retry-After say so
  for (const [key, status] of [['POST /v1/events', 429], ['POST /v1/events', 503], ['GET /v1/audit', 429]] as const) {
    const headers = (op(key).responses[String(status)] as { headers?: Record<string, { schema?: { type?: string } }> }).headers;
    assert.equal(headers?.['retry-after']?.schema?.type, 'integer', `${key} ${status}: Retry-After`);
  }
  assert.equal((op('POST /v1/intent').responses['503'] as { headers?: object }).headers, undefined, 'no Retry-After where none is sent');
  // every code a request can get is documented on some route (CONFIG stops start-up; NOT_FOUND and
  // METHOD_NOT_ALLOWED answer paths and methods the document does not list)
  const requestCodes = Object.keys(ERRORS).filter((c) => !['IOB_ERR_CONFIG', 'IOB_ERR_NOT_FOUND', 'IOB_ERR_METHOD_NOT_ALLOWED'].includes(c));
  assert.deepEqual([...seen].sort(), requestCodes.sort());
});

test('POST /v1/events answers in its documented shape, every field documented', async (t) => {
  const { app } = await startTestStack(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, Operation>> }>();
  const schema = doc.paths['/v1/events']!.post!.responses['200']!.content!['application/json']!.schema!;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer('ingest'),
    payload: { events: [{ id: 'doc-1', ts: Date.now() - 1000, subject: 'someone', type: 'view', item: 'sku-1' }] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<Record<string, unknown>>();
  assert.deepEqual(Object.keys(body).filter((k) => !schema.properties?.[k]), [], 'fields the document does not list');
  assert.deepEqual((schema.required ?? []).filter((k) => !(k in body)), [], 'required fields the answer lacks');
});

test('POST /v1/events: a missing or mistyped time or identifier says what is missing or expected', async (t) => {
  const { app } = await startTestStack(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer('ingest'),
    payload: { events: [{ id: 'm-1', type: 'view' }, { id: 'm-2', ts: true, subject: { email: 'jane.doe@example.com' }, session: false, item: [], type: 'view' }] },
  });
  assert.equal(res.statusCode, 200, res.body);
  const [missing, mistyped] = res.json<{ results: Array<{ problems: Array<{ path: string; message: string }> }> }>().results;
  const messages = (r: typeof missing) => Object.fromEntries(r!.problems.map((p) => [p.path, p.message]));
  assert.deepEqual(messages(missing), { ts: 'required', subject: 'required' });
  assert.deepEqual(messages(mistyped), {
    ts: 'expected epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with a time zone',
    subject: 'expected a string or a non-negative integer',
    session: 'expected a string or a non-negative integer',
    item: 'expected a string or a non-negative integer',
  });
  assert.ok(!res.body.includes('jane.doe'));
});

test('OpenAPI: every request body has an example, and each example is valid input', async (t) => {
  const { app } = await startTestStack(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> } }>> }>();
  const bodies: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> = {
    'POST /v1/events': schemas.IngestRequestSchema,
    'PUT /v1/consent/{subject}': schemas.ConsentPutSchema,
    'POST /v1/intent': schemas.IntentRequestSchema,
    'POST /v1/offers': schemas.OffersRequestSchema,
    'PUT /v1/catalog': schemas.CatalogPutSchema,
  };
  const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).filter(([, o]) => o.requestBody).map(([method, o]) => [`${method.toUpperCase()} ${path}`, o.requestBody!.content['application/json']!] as const),
  );
  assert.deepEqual(withBody.map(([key]) => key).sort(), Object.keys(bodies).sort());
  for (const [key, media] of withBody) {
    const examples = media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((e) => e.value);
    assert.ok(examples.length > 0, `${key}: an example`);
    for (const example of examples) {
      const parsed = bodies[key]!.safeParse(example);
      assert.ok(parsed.success, `${key}: ${JSON.stringify(example)} ${JSON.stringify(parsed.error)}`);
    }
  }
});

test('PUT /v1/consent: a choice dated in the future is refused like a future event (a withdrawal would not take effect until then)', async (t) => {
  const { app, config } = await startTestStack(t);
  const put = (payload: object) => app.inject({ method: 'PUT', url: '/v1/consent/someone', headers: bearer('consent'), payload });
  assert.equal((await put({ purposes: { personalization: true }, source: 'cmp' })).statusCode, 200);
  const later = await put({ purposes: { personalization: false }, source: 'cmp', at: '2099-01-01T00:00:00Z' });
  assert.equal(later.statusCode, 400, later.body);
  assert.equal(later.json<ErrorBody>().code, 'IOB_ERR_VALIDATION');
  assert.deepEqual(later.json<ErrorBody>().problems?.map((p) => [p.path, p.reason]), [['body.at', 'future_timestamp']]);
  const inMs = await put({ purposes: { personalization: false }, source: 'cmp', at: Date.now() + config.maxFutureSkewMs + 60_000 });
  assert.equal(inMs.statusCode, 400, inMs.body);
  // nothing was recorded: the grant stands
  const now = await app.inject({ url: '/v1/consent/someone', headers: bearer('consent') });
  assert.equal(now.json<{ purposes: { personalization: boolean }; changes: unknown[] }>().purposes.personalization, true);
  assert.equal(now.json<{ changes: unknown[] }>().changes.length, 1);
  // within the tolerated clock skew, and in the past, a time is taken as given
  assert.equal((await put({ purposes: { analytics: true }, source: 'cmp', at: Date.now() + 1000 })).statusCode, 200);
  assert.equal((await put({ purposes: { analytics: false }, source: 'cmp', at: '2026-01-01T00:00:00Z' })).statusCode, 200);
});

test('a request that reaches a closing server gets 503 IOB_ERR_UNAVAILABLE in the error shape, with Retry-After', async (t) => {
  const { app } = await startTestStack(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

  // Request A is in flight (its body half sent) when the server starts closing, so its connection stays
  // open; request B arrives on that connection after the close began.
  const body = JSON.stringify({ events: [{ id: 'closing-1', ts: Date.now() - 1000, subject: 'someone', type: 'view', item: 'sku-1' }] });
  const auth = bearer('ingest').authorization;
  const arrived = new Promise<void>((resolve) => app.server.once('request', () => resolve()));
  socket.write(`POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
  await arrived;
  const closing = app.close();
  socket.write(`${body.slice(10)}GET /v1/consent/someone HTTP/1.1\r\nhost: x\r\nauthorization: ${bearer('consent').authorization}\r\n\r\n`);
  await ended;
  await closing;

  const responses = received.split(/(?=HTTP\/1\.1 )/);
  assert.equal(responses.length, 2, received);
  assert.match(responses[0]!, /^HTTP\/1\.1 200 /, 'the request in flight completes');
  assert.match(responses[1]!, /^HTTP\/1\.1 503 /);
  assert.match(responses[1]!, /\r\nretry-after: 1\r\n/i);
  const answer = JSON.parse(responses[1]!.slice(responses[1]!.indexOf('\r\n\r\n') + 4)) as ErrorBody;
  assert.equal(answer.code, 'IOB_ERR_UNAVAILABLE');
  assert.ok(answer.requestId);
});

test('OpenAPI: the scoring answers have examples, valid against their schemas', async (t) => {
  const { app } = await startTestStack(t);
  const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { example?: unknown }> }> }>> }>();
  for (const [path, schema] of [['/v1/intent', schemas.IntentResponseSchema], ['/v1/offers', schemas.OffersResponseSchema]] as const) {
    const example = doc.paths[path]!.post!.responses['200']!.content['application/json']!.example;
    assert.ok(example, `${path}: an example answer`);
    const parsed = schema.safeParse(example);
    assert.ok(parsed.success, `${path}: ${JSON.stringify(parsed.error)}`);
  }
});

test('a query number that is not a number, or given twice, says what is expected', async (t) => {
  const { app } = await startTestStack(t);
  for (const query of ['limit=abc', 'limit=2&limit=3']) {
    const res = await app.inject({ url: `/v1/audit?${query}`, headers: bearer('admin') });
    assert.equal(res.statusCode, 400, query);
    assert.deepEqual(res.json<ErrorBody>().problems, [{ path: 'querystring.limit', reason: 'invalid_type', message: 'expected a whole number' }], query);
  }
  const forecast = await app.inject({ url: '/v1/forecasts/top?horizon=soon', headers: bearer('forecast') });
  assert.deepEqual(forecast.json<ErrorBody>().problems, [{ path: 'querystring.horizon', reason: 'invalid_type', message: 'expected a whole number' }]);
});
