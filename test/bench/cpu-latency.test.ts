import assert from 'node:assert/strict';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CPU_LATENCY_DEVICE, cpuLatencyInForce, holdCpuLatency } from '../../bench/cpu-latency.ts';

const writable = (() => {
  try {
    accessSync(CPU_LATENCY_DEVICE, constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

test('holding the limit puts it in force on the real device, and releasing it withdraws it', { skip: writable ? false : `${CPU_LATENCY_DEVICE} is not writable here (root only)` }, () => {
  const before = cpuLatencyInForce();
  const hold = holdCpuLatency(0);
  try {
    assert.equal(hold.microseconds, 0);
    assert.equal(cpuLatencyInForce(), 0);
  } finally {
    hold.release();
  }
  hold.release(); // a second release is a no-op, not a closed-descriptor error
  assert.equal(cpuLatencyInForce(), before);
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
    assert.equal(cpuLatencyInForce(file), 1234);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
