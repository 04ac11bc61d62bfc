/**
 * A CPU wake-up latency limit held for a measurement (Linux PM QoS, `/dev/cpu_dma_latency`): while the file
 * is open with a value written, the kernel's idle governor keeps to idle states within that limit, on every
 * CPU of the machine; closing it (or the process ending, however it ends) withdraws the request. With 0,
 * idle CPUs poll instead of halting (seen here in cpuidle's POLL state counts), so every CPU stays busy for
 * as long as it is held: other jobs on the machine share the cost. `tuned`'s latency profiles hold the same
 * device, with their own values.
 *
 * Why the route benches use it: they run the load generator on the same machine as the server. On a VM
 * whose idle vCPUs halt at once (this one's kernel sets `haltpoll.guest_halt_poll_ns=0`), the server's
 * response `writev` has to wake the load generator's halted vCPU through the hypervisor, and the longer a
 * route works, the more often that vCPU has halted meanwhile: a route is charged for the generator's
 * wake-ups as well as its own work. Pinned runs (docs/measurements.md, session 17) put it on the generator's
 * side: with its CPU polling alone, the server's CPU per request fell from 39.4 to 24.2 µs on the intent
 * route and from 26.1 to 18.3 µs on the bare route; with the server's CPU polling alone it was 38.5 and
 * 26.4 µs. A caller on another machine is not woken by the server's write, so this is a condition of the
 * bench, not a setting for the engine.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export const CPU_LATENCY_DEVICE = '/dev/cpu_dma_latency';

export interface CpuLatencyHold {
  /** the limit this process asked for, in microseconds */
  readonly microseconds: number;
  /** withdraws the request (idempotent) */
  release(): void;
}

/**
 * Asks that every CPU wake within `microseconds` until `release()` (or process exit). Throws a RangeError
 * naming the device and the reason when the request cannot be made: no such device (not Linux, or a kernel
 * without PM QoS), or no permission (it takes root or write access to the device).
 */
export function holdCpuLatency(microseconds: number, device: string = CPU_LATENCY_DEVICE): CpuLatencyHold {
  if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds > 2_000_000_000) {
    throw new RangeError(`CPU wake-up latency must be a whole number of microseconds from 0 to 2000000000, got ${microseconds}`);
  }
  let fd: number;
  try {
    fd = openSync(device, 'r+');
  } catch (err) {
    throw new RangeError(`cannot hold a CPU wake-up latency limit: ${device}: ${reason(err)}`);
  }
  try {
    // The kernel takes a write of exactly four bytes as one signed 32-bit integer in host byte order,
    // which is an Int32Array's.
    if (writeSync(fd, new Int32Array([microseconds])) !== 4) throw new Error('short write');
  } catch (err) {
    closeSync(fd);
    throw new RangeError(`cannot hold a CPU wake-up latency limit: ${device}: ${reason(err)}`);
  }
  let held = true;
  return {
    microseconds,
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

/**
 * The limit in force now, from every process's requests (the kernel's aggregate; 2000000000 µs when no one
 * asks for anything). Throws like `holdCpuLatency` when the device cannot be read.
 */
export function cpuLatencyInForce(device: string = CPU_LATENCY_DEVICE): number {
  let fd: number;
  try {
    fd = openSync(device, 'r');
  } catch (err) {
    throw new RangeError(`cannot read the CPU wake-up latency limit: ${device}: ${reason(err)}`);
  }
  const value = new Int32Array(1);
  let read: number;
  try {
    read = readSync(fd, value, 0, 4, null);
  } catch (err) {
    throw new RangeError(`cannot read the CPU wake-up latency limit: ${device}: ${reason(err)}`);
  } finally {
    closeSync(fd);
  }
  if (read !== 4) throw new RangeError(`cannot read the CPU wake-up latency limit: ${device}: short read (${read} bytes)`);
  return value[0]!;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such device (Linux with PM QoS only)';
  if (e.code === 'EACCES' || e.code === 'EPERM') return `permission denied (${e.code}; it takes root or write access to the device)`;
  return e.code ? `${e.code} ${e.message}` : String(e.message ?? err);
}
