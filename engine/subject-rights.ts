/**
 * What the API offers a person (through the shop): see and change their consent, and (with the feature
 * store) export and erasure. Callers pass raw subject ids; they are pseudonymized here and nowhere else
 * on this path. Every change is written to the audit log with the acting API key.
 */
import type { AuditLog } from './audit-log.ts';
import { currentState, type ConsentChange } from './consent/consent-record.ts';
import type { ConsentRegistry } from './consent/consent-registry.ts';
import type { Pseudonymizer } from './pseudonymize.ts';
import type { Purpose } from './purposes.ts';

export interface ConsentUpdate {
  purposes: Partial<Record<Purpose, boolean>>;
  source: string;
  notice?: string;
  /** when the choice was made, epoch ms; default now */
  at?: number;
}

export interface ConsentView {
  purposes: Record<Purpose, boolean>;
  changes: Omit<ConsentChange, 'by'>[];
}

export interface SubjectRights {
  consent(subject: string): ConsentView;
  updateConsent(subject: string, update: ConsentUpdate, actor: string): Promise<ConsentView>;
  /** Sec-GPC: 1 — records an opt-out of personalization unless one is already the last decision. */
  recordGpc(subject: string, actor: string): Promise<boolean>;
}

export function createSubjectRights(pseudonymize: Pseudonymizer, registry: ConsentRegistry, audit: AuditLog): SubjectRights {
  const view = (sid: string): ConsentView => {
    const record = registry.get(sid);
    return {
      purposes: currentState(record),
      changes: (record?.changes ?? []).map(({ by: _by, ...c }) => c),
    };
  };
  return {
    consent: (subject) => view(pseudonymize('subject', subject)),
    async updateConsent(subject, update, actor) {
      const sid = pseudonymize('subject', subject);
      const at = update.at ?? Date.now();
      const changes: ConsentChange[] = Object.entries(update.purposes).map(([purpose, granted]) => ({
        at,
        purpose: purpose as Purpose,
        granted: Boolean(granted),
        source: update.source,
        ...(update.notice ? { notice: update.notice } : {}),
        by: actor,
      }));
      await registry.record(sid, changes);
      await audit.append({ actor, action: 'consent.update', sid, details: { purposes: update.purposes, source: update.source, notice: update.notice } });
      return view(sid);
    },
    async recordGpc(subject, actor) {
      const sid = pseudonymize('subject', subject);
      const last = registry.get(sid)?.changes.filter((c) => c.purpose === 'personalization').at(-1);
      if (last && !last.granted) return false;
      await registry.record(sid, [{ at: Date.now(), purpose: 'personalization', granted: false, source: 'gpc', by: actor }]);
      await audit.append({ actor, action: 'consent.gpc', sid, details: { purposes: { personalization: false } } });
      return true;
    },
  };
}
