import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/** What the device reads when no one asks for anything (PM_QOS_CPU_LATENCY_DEFAULT_VALUE, 2000 s in µs). */
const NO_LIMIT = 2_000_000_000;
import { CPU_LATENCY_DEVICE, cpuLatencyInForce, holdCpuLatency } from '../../bench/cpu-latency.ts';

/** The real device, readable and writable here, with no other process holding a limit (the default in force). */
const usable = (() => {
  try {
    accessSync(CPU_LATENCY_DEVICE, constants.R_OK | constants.W_OK);
  } catch {
    return `${CPU_LATENCY_DEVICE} is not readable and writable here (root only, Linux)`;
  }
  // Another holder (a route bench, tuned) would make the checks below pass or fail for its own reasons.
  const inForce = cpuLatencyInForce();
  return inForce === NO_LIMIT ? false : `another process holds a limit of ${inForce} µs`;
})();

test('holding the limit puts it in force on the real device, and releasing it withdraws it', { skip: usable }, () => {
  const hold = holdCpuLatency(0);
  try {
    assert.equal(hold.microseconds, 0);
    assert.equal(cpuLatencyInForce(), 0);
  } finally {
    hold.release();
  }
  assert.equal(cpuLatencyInForce(), NO_LIMIT);
});

test('a limit that cannot be held names the device and the reason', () => {
  assert.throws(() => holdCpuLatency(0, '/nonexistent/cpu_dma_latency'), /\/nonexistent\/cpu_dma_latency: no such device/);
  assert.throws(() => cpuLatencyInForce('/nonexistent/cpu_dma_latency'), /cannot read the CPU wake-up latency limit: \/nonexistent\/cpu_dma_latency/);
  assert.throws(() => holdCpuLatency(-1, '/nonexistent'), /whole number of microseconds from 0/);
  assert.throws(() => holdCpuLatency(1.5, '/nonexistent'), /whole number of microseconds from 0/);
});

test('a device this process may not write is refused with the permission named', { skip: process.getuid?.() === 0 ? 'root writes any file' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'iob-cpu-latency-'));
  try {
    const file = join(dir, 'cpu_dma_latency');
    writeFileSync(file, Buffer.alloc(4));
    chmodSync(file, 0o400);
    assert.throws(() => holdCpuLatency(0, file), /permission denied \(EACCES/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the request is written as one little-endian 32-bit integer', () => {
  // A plain file stands in for the device to read back what was written.
  const dir = mkdtempSync(join(tmpdir(), 'iob-cpu-latency-'));
  try {
    const file = join(dir, 'cpu_dma_latency');
    writeFileSync(file, Buffer.alloc(4, 0xff));
    const hold = holdCpuLatency(1234, file);
    hold.release();
    hold.release(); // a second release is a no-op, not a closed-descriptor error
    assert.equal(cpuLatencyInForce(file), 1234);
    writeFileSync(file, '');
    assert.throws(() => cpuLatencyInForce(file), /short read \(0 bytes\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write the device refuses is reported, not taken for a held limit', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, () => {
  assert.throws(() => holdCpuLatency(0, '/dev/full'), /cannot hold a CPU wake-up latency limit: \/dev\/full: ENOSPC/);
});
