/**
 * The audit log: append-only JetStream stream IOB_AUDIT (no deletes, no purges) recording consent
 * changes, exports, erasures and admin actions: who (API key id), what, when, about which pseudonymous
 * subject. Never a raw identifier.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from 'nats';
import { isNotFound } from './event-log.ts';

export const AUDIT_STREAM = 'IOB_AUDIT';
export type AuditAction = 'consent.update' | 'consent.gpc' | 'subject.export' | 'subject.erase' | 'catalog.update' | 'model.promote' | 'model.rollback';

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: AuditAction;
  /** pseudonymous subject id, when the action concerns one person */
  sid?: string;
  details?: Record<string, unknown>;
}

export interface AuditLog {
  append(entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<number>;
  page(fromSeq: number, limit: number): Promise<{ entries: AuditEntry[]; next?: number }>;
}

export async function openAuditLog(js: JetStreamClient, jsm: JetStreamManager, replicas = 1): Promise<AuditLog> {
  try {
    await jsm.streams.info(AUDIT_STREAM);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add({
      name: AUDIT_STREAM,
      subjects: ['iob.audit.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      deny_delete: true,
      deny_purge: true,
      num_replicas: replicas,
    });
  }
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    async append(entry) {
      const body = { at: new Date().toISOString(), ...entry };
      const ack = await js.publish(`iob.audit.${entry.action}`, enc.encode(JSON.stringify(body)));
      return ack.seq;
    },
    async page(fromSeq, limit) {
      const info = await jsm.streams.info(AUDIT_STREAM);
      const last = info.state.last_seq;
      const entries: AuditEntry[] = [];
      let seq = Math.max(fromSeq, info.state.first_seq);
      for (; seq <= last && entries.length < limit; seq++) {
        try {
          const m = await jsm.streams.getMessage(AUDIT_STREAM, { seq });
          entries.push({ seq, ...(JSON.parse(dec.decode(m.data)) as Omit<AuditEntry, 'seq'>) });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return seq <= last ? { entries, next: seq } : { entries };
    },
  };
}
