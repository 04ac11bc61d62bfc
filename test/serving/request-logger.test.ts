/** `req.log` built on first use: the same lines, bindings and redaction as pino's child, and none made unused. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { createLogger } from '../../engine/index.ts';
import { LazyRequestLogger, lazyRequestLogger } from '../../serving/request-logger.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
  return { lines, parent: log as unknown as FastifyBaseLogger };
}

test('a request logger writes with its bindings and the parent redaction, like a child', () => {
  const { lines, parent } = capture();
  const lazy = lazyRequestLogger(parent, { reqId: 'r-1' }, {});
  lazy.debug('below the level');
  lazy.info({ subject: 'alice@example.com', status: 404 }, 'request');
  lazy.child({ component: 'x' }).warn('from a grandchild');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.reqId, 'r-1');
  assert.equal(lines[0]!.msg, 'request');
  assert.equal(lines[0]!.subject, '[redacted]');
  assert.equal(lines[0]!.status, 404);
  assert.deepEqual([lines[1]!.reqId, lines[1]!.component, lines[1]!.msg], ['r-1', 'x', 'from a grandchild']);
  assert.equal(lazy.level, 'info');
});

test('an unused request logger never builds the child', () => {
  const { parent } = capture();
  let children = 0;
  const counting = Object.assign(Object.create(parent), { child: (...a: Parameters<FastifyBaseLogger['child']>) => (children++, parent.child(...a)) });
  const lazy = new LazyRequestLogger(counting, { reqId: 'r-2' }, {});
  assert.equal(lazy.level, 'info');
  lazy.debug('below the level');
  assert.equal(children, 0);
  lazy.error('now');
  lazy.error('again');
  assert.equal(children, 1);
});
