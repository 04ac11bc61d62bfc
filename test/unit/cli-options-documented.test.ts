/**
 * The data-science commands' options and the README's "Command line" section say the same thing: every
 * option `--help` lists is on the command's README line(s), and every option written there exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Command } from 'commander';
import * as convert from '../../cli/convert.ts';
import * as features from '../../cli/features.ts';
import * as forecast from '../../cli/forecast.ts';
import * as train from '../../cli/train.ts';
import * as trainOffers from '../../cli/train-offers.ts';

const COMMANDS = ['convert', 'features build', 'train intent', 'train offers', 'train forecast', 'forecast refresh'];

const program = new Command('iob');
for (const module of [convert, features, train, trainOffers, forecast]) module.register(program);

function helpOptions(path: string): Set<string> {
  let command = program;
  for (const name of path.split(' ')) command = command.commands.find((c) => c.name() === name)!;
  assert.ok(command, path);
  return new Set(command.options.map((o) => o.long!).filter((o) => o !== '--help'));
}

function readmeOptions(path: string): Set<string> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Command line'), readme.indexOf('\n## ', readme.indexOf('\n## Command line') + 1));
  const lines = section.split('\n').filter((l) => l.startsWith(`node bin/iob.mjs ${path} `));
  assert.ok(lines.length > 0, `README's Command line section has no line for ${path}`);
  // Options only: the part before a trailing `# comment`.
  return new Set(lines.flatMap((l) => l.replace(/\s+#.*$/, '').match(/--[a-z][a-z-]*/g) ?? []));
}

for (const path of COMMANDS) {
  test(`iob ${path}: --help and the README list the same options`, () => {
    const help = helpOptions(path);
    const readme = readmeOptions(path);
    assert.deepEqual([...help].filter((o) => !readme.has(o)), [], `in --help, missing from the README`);
    assert.deepEqual([...readme].filter((o) => !help.has(o)), [], `in the README, unknown to --help`);
  });
}
