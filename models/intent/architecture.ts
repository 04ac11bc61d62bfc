/**
 * The intent network's shape, shared by the TF.js builder (training) and the pure-TypeScript forward pass
 * (serving): both derive layer names from here, so a weight file either fits both or neither.
 *
 * The network is an ensemble of wide-and-deep members. Each member's logit is a linear term over the
 * standardized features (wide) plus an MLP (deep); the ensemble's logit is the mean of its members' logits.
 * Members differ only in their seeds: averaging them smooths the variance of a small network on a small set.
 */

export type Activation = 'relu' | 'elu' | 'tanh' | 'linear';

export interface IntentArchitecture {
  kind: 'wide-and-deep-ensemble';
  inputs: number;
  /** Widths of the deep tower's hidden layers. */
  hidden: number[];
  activation: Activation;
  /** Whether each member adds a linear (wide) term to its deep tower's output. */
  wide: boolean;
  members: number;
}

export const ACTIVATIONS: readonly Activation[] = ['relu', 'elu', 'tanh', 'linear'];

export interface MemberLayerNames {
  hidden: string[];
  deepOut: string;
  wide: string | undefined;
}

/** Layer names of member `k`; weights are `${layer}/kernel` and `${layer}/bias` (the wide layer has no bias). */
export function memberLayerNames(arch: IntentArchitecture, k: number): MemberLayerNames {
  return {
    hidden: arch.hidden.map((_, j) => `m${k}_deep${j}`),
    deepOut: `m${k}_deep_out`,
    wide: arch.wide ? `m${k}_wide` : undefined,
  };
}

export function validateArchitecture(arch: IntentArchitecture): void {
  if (arch.kind !== 'wide-and-deep-ensemble') throw new RangeError(`unknown intent architecture '${String(arch.kind)}'`);
  if (!Number.isInteger(arch.inputs) || arch.inputs < 1) throw new RangeError('architecture needs at least one input');
  if (!Number.isInteger(arch.members) || arch.members < 1) throw new RangeError('architecture needs at least one member');
  if (!arch.hidden.every((h) => Number.isInteger(h) && h >= 1)) throw new RangeError('hidden layer widths must be positive integers');
  if (!ACTIVATIONS.includes(arch.activation)) throw new RangeError(`unknown activation '${String(arch.activation)}'`);
}
