/**
 * The purposes personal data may be used for: a small fixed vocabulary. Every feature view, model and
 * scoring endpoint names the purpose it serves; the record of processing is generated from these
 * declarations. Default deny: a `consent` purpose is used only for subjects who granted it.
 */

export const PURPOSE_IDS = ['analytics', 'personalization', 'forecasting'] as const;
export type Purpose = (typeof PURPOSE_IDS)[number];

export type LawfulBasis = 'consent' | 'legitimate_interest';

export interface PurposeDeclaration {
  id: Purpose;
  basis: LawfulBasis;
  description: string;
  /** how long data held for this purpose is kept, in days */
  retentionDays: number;
  /** IAB TCF v2.2 purpose ids this purpose corresponds to */
  tcfPurposes: readonly number[];
  /** whether the purpose's outputs are per person or aggregate only */
  scope: 'per_subject' | 'aggregate';
}

export const PURPOSES: Readonly<Record<Purpose, PurposeDeclaration>> = {
  analytics: {
    id: 'analytics',
    basis: 'consent',
    description: 'Measure how people use the shop (funnels, engagement, item and category statistics).',
    retentionDays: 90,
    tcfPurposes: [8, 9],
    scope: 'per_subject',
  },
  personalization: {
    id: 'personalization',
    basis: 'consent',
    description: 'Build a behavioral profile of the person to score purchase intent and choose offers for them.',
    retentionDays: 30,
    tcfPurposes: [5, 6],
    scope: 'per_subject',
  },
  forecasting: {
    id: 'forecasting',
    basis: 'legitimate_interest',
    description: 'Forecast demand per item and category from purchases aggregated over everyone; no per-person output.',
    retentionDays: 730,
    tcfPurposes: [9, 10],
    scope: 'aggregate',
  },
};

export function isPurpose(value: string): value is Purpose {
  return (PURPOSE_IDS as readonly string[]).includes(value);
}
