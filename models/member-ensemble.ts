/**
 * What the intent and forecast networks share: an ensemble of member MLPs on one input, each member's
 * hidden stack seeded reproducibly, and the ensemble output as the members' mean. Training a member model
 * trains the ensemble in place (they share layers).
 */
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;

export interface MemberEnsemble {
  /** input → mean of the members' outputs (what is saved and served) */
  ensemble: tfjs.LayersModel;
  /** one model per member, sharing the ensemble's layers */
  members: tfjs.LayersModel[];
}

/** Distinct, reproducible initializer seeds per member and layer. */
export function layerSeed(seed: number, member: number, layer: number): number {
  return (seed * 1_000_003 + member * 1_009 + layer * 7 + 1) % 2_147_483_647;
}

/** Member `member`'s hidden dense layers on `input`. He initialization suits ReLU-family activations; Glorot the saturating ones. */
export function hiddenStack(
  tf: Tf,
  input: tfjs.SymbolicTensor,
  layers: { names: readonly string[]; units: readonly number[]; activation: 'relu' | 'elu' | 'tanh' | 'linear' },
  seed: number,
  member: number,
): tfjs.SymbolicTensor {
  let h = input;
  layers.names.forEach((name, j) => {
    const init = { seed: layerSeed(seed, member, j) };
    h = tf.layers
      .dense({
        name,
        units: layers.units[j]!,
        activation: layers.activation,
        kernelInitializer: layers.activation === 'tanh' ? tf.initializers.glorotUniform(init) : tf.initializers.heNormal(init),
      })
      .apply(h) as tfjs.SymbolicTensor;
  });
  return h;
}

/** The ensemble model: the members' outputs averaged (a single member's as is). */
export function averageMembers(tf: Tf, input: tfjs.SymbolicTensor, outputs: tfjs.SymbolicTensor[], names: { layer: string; model: string }): tfjs.LayersModel {
  const mean = outputs.length === 1 ? outputs[0]! : (tf.layers.average({ name: names.layer }).apply(outputs) as tfjs.SymbolicTensor);
  return tf.model({ inputs: input, outputs: mean, name: names.model });
}
