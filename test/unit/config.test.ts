import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, ENV_VARS, IobError, loadConfig } from '../../engine/index.ts';

test('defaults apply when nothing is set', () => {
  const c = loadConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, './.iob');
  assert.equal(c.natsUrl, undefined);
  assert.equal(c.retentionDays, DEFAULTS.retentionDays);
  assert.equal(c.scoreBatch, 8);
  assert.equal(loadConfig({ IOB_SCORE_BATCH: '1' }).scoreBatch, 1);
});

test('env vars are read and flags override them', () => {
  const c = loadConfig({ IOB_PORT: '9000', IOB_HOST: '0.0.0.0', NATS_URL: 'nats://a:4222,nats://b:4222' }, { port: '9100' });
  assert.equal(c.port, 9100);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.natsUrl, 'nats://a:4222,nats://b:4222');
});

test('API keys come from IOB_API_KEYS as JSON', () => {
  const c = loadConfig({ IOB_API_KEYS: JSON.stringify([{ id: 'shop', key: 'k'.repeat(20), scopes: ['ingest', 'score'] }]) });
  assert.deepEqual(c.apiKeys?.[0]?.scopes, ['ingest', 'score']);
});

test('a bad setting fails with its env var named', () => {
  const expectError = (env: NodeJS.ProcessEnv, name: string, words: RegExp) => {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => err instanceof IobError && err.code === 'IOB_ERR_CONFIG' && err.message.includes(name) && words.test(err.message),
    );
  };
  expectError({ IOB_PORT: 'eighty' }, 'IOB_PORT', /number/i);
  expectError({ IOB_PORT: '70000' }, 'IOB_PORT', /65535/);
  expectError({ NATS_URL: 'http://x' }, 'NATS_URL', /nats:\/\//);
  expectError({ IOB_API_KEYS: '[{' }, 'IOB_API_KEYS', /JSON/);
  expectError({ IOB_API_KEYS: JSON.stringify([{ id: 'a', key: 'short', scopes: ['ingest'] }]) }, 'IOB_API_KEYS', /16/);
  expectError({ IOB_API_KEYS: JSON.stringify([{ id: 'a', key: 'k'.repeat(20), scopes: ['root'] }]) }, 'IOB_API_KEYS', /scopes/);
  expectError({ IOB_PSEUDONYM_KEY: 'tiny' }, 'IOB_PSEUDONYM_KEY', /32/);
  expectError({ IOB_LOG_LEVEL: 'loud' }, 'IOB_LOG_LEVEL', /option/i);
  expectError({ IOB_SCORE_BATCH: '0' }, 'IOB_SCORE_BATCH', />=\s*1|at least 1|too small/i);
});

test('every setting has exactly one env var', () => {
  const names = Object.values(ENV_VARS);
  assert.equal(new Set(names).size, names.length);
});
