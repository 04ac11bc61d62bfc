/**
 * What the API offers a person (through the shop): see and change their consent, and (with the feature
 * store) export and erasure. Callers pass raw subject ids; they are pseudonymized here and nowhere else
 * on this path. Every change is written to the audit log with the acting API key.
 */
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from 'nats';
import type { AuditLog } from './audit-log.ts';
import type { ErasureList } from './erasure-list.ts';
import { purgeSubjectEvents, readSubjectEvents } from './subject-events.ts';
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

/**
 * Something that holds data derived from a person's events (features, embeddings, cached scores):
 * it can show it (export) and forget it, for every purpose or only for some (withdrawal).
 */
export interface SubjectDataHolder {
  name: string;
  export(sid: string): unknown;
  /** Forgets the subject's data for the given purposes (all when omitted); returns how many entries went. */
  purge(sid: string, purposes?: readonly Purpose[]): number;
}

export interface ErasureReceipt {
  requestId: string;
  /** whether anything at all was held about the subject */
  held: boolean;
  purged: Record<string, number>;
  consentTombstoned: boolean;
  addedToErasureList: boolean;
  completedAt: string;
  durationMs: number;
}

export interface SubjectRights {
  consent(subject: string): ConsentView;
  updateConsent(subject: string, update: ConsentUpdate, actor: string): Promise<ConsentView>;
  /** Sec-GPC: 1 — records an opt-out of personalization unless one is already the last decision. */
  recordGpc(subject: string, actor: string): Promise<boolean>;
  export(subject: string, actor: string): Promise<Record<string, unknown>>;
  erase(subject: string, actor: string): Promise<ErasureReceipt>;
  /** Derived-data holders register here so exports show and erasures purge them. */
  addHolder(holder: SubjectDataHolder): void;
}

export interface SubjectRightsDeps {
  pseudonymize: Pseudonymizer;
  registry: ConsentRegistry;
  audit: AuditLog;
  erasures: ErasureList;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** IOB_PARTITIONS: where a person's events are stored (event-log.ts storedSubject) */
  partitions?: number;
}

export function createSubjectRights({ pseudonymize, registry, audit, erasures, js, jsm, partitions = 1 }: SubjectRightsDeps): SubjectRights {
  const holders: SubjectDataHolder[] = [];
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
    async export(subject, actor) {
      const sid = pseudonymize('subject', subject);
      const [events, history] = await Promise.all([readSubjectEvents(js, jsm, sid, partitions), registry.history(sid)]);
      const derived: Record<string, unknown> = {};
      for (const h of holders) derived[h.name] = h.export(sid);
      await audit.append({ actor, action: 'subject.export', sid, details: { events: events.length } });
      return {
        generatedAt: new Date().toISOString(),
        pseudonym: sid,
        note: 'Identifiers are held only as keyed pseudonyms; raw ids, names, e-mail addresses, phone numbers and IP addresses are never stored.',
        erased: erasures.has(sid),
        consent: { ...view(sid), revisions: history.map((h) => ({ revision: h.revision, at: h.created.toISOString(), changes: h.record?.changes.length ?? 0 })) },
        events: events.map(({ eid: _eid, ...e }) => e),
        ...derived,
      };
    },
    async erase(subject, actor) {
      const started = Date.now();
      const sid = pseudonymize('subject', subject);
      const purged: Record<string, number> = { events: await purgeSubjectEvents(jsm, sid, partitions) };
      for (const h of holders) purged[h.name] = h.purge(sid);
      const hadConsent = registry.get(sid) !== undefined && registry.get(sid)!.erasedAt === undefined;
      await registry.erase(sid);
      const wasListed = erasures.has(sid);
      await erasures.add(sid);
      const held = hadConsent || Object.values(purged).some((n) => n > 0);
      const requestId = randomUUID();
      await audit.append({ actor, action: 'subject.erase', sid, details: { requestId, purged, held } });
      return {
        requestId,
        held,
        purged,
        consentTombstoned: true,
        addedToErasureList: !wasListed,
        completedAt: new Date().toISOString(),
        durationMs: Date.now() - started,
      };
    },
    addHolder(holder) {
      holders.push(holder);
    },
  };
}
