/**
 * Pure TF.js builder for the intent network: no data, no training, no I/O. Given an architecture and a seed
 * it returns the ensemble model (standardized features → mean member logit) and one sub-model per member
 * that shares the ensemble's layers, so training a member trains the ensemble in place.
 *
 * The output is the raw logit (linear): the loss works on logits for numerical stability, and calibration
 * maps logits to probabilities outside the network (see calibration.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { memberLayerNames, validateArchitecture, type IntentArchitecture } from './architecture.ts';

type Tf = typeof tfjs;

export interface IntentNetwork {
  ensemble: tfjs.LayersModel;
  members: tfjs.LayersModel[];
}

/** Distinct, reproducible initializer seeds per member and layer. */
function layerSeed(seed: number, member: number, layer: number): number {
  return (seed * 1_000_003 + member * 1_009 + layer * 7 + 1) % 2_147_483_647;
}

export function buildIntentNetwork(tf: Tf, arch: IntentArchitecture, seed: number): IntentNetwork {
  validateArchitecture(arch);
  const input = tf.input({ shape: [arch.inputs], name: 'features' });
  const memberOutputs: tfjs.SymbolicTensor[] = [];
  const members: tfjs.LayersModel[] = [];
  for (let k = 0; k < arch.members; k++) {
    const names = memberLayerNames(arch, k);
    let h: tfjs.SymbolicTensor = input;
    names.hidden.forEach((name, j) => {
      h = tf.layers
        .dense({
          name,
          units: arch.hidden[j]!,
          activation: arch.activation,
          // He initialization suits ReLU-family activations; Glorot the saturating ones.
          kernelInitializer: arch.activation === 'tanh' ? tf.initializers.glorotUniform({ seed: layerSeed(seed, k, j) }) : tf.initializers.heNormal({ seed: layerSeed(seed, k, j) }),
        })
        .apply(h) as tfjs.SymbolicTensor;
    });
    let logit = tf.layers
      .dense({ name: names.deepOut, units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed(seed, k, 100) }) })
      .apply(h) as tfjs.SymbolicTensor;
    if (names.wide) {
      const wide = tf.layers.dense({ name: names.wide, units: 1, useBias: false, kernelInitializer: 'zeros' }).apply(input) as tfjs.SymbolicTensor;
      logit = tf.layers.add({ name: `m${k}_logit` }).apply([logit, wide]) as tfjs.SymbolicTensor;
    }
    memberOutputs.push(logit);
    members.push(tf.model({ inputs: input, outputs: logit, name: `intent_member_${k}` }));
  }
  const output = memberOutputs.length === 1 ? memberOutputs[0]! : (tf.layers.average({ name: 'ensemble_logit' }).apply(memberOutputs) as tfjs.SymbolicTensor);
  return { ensemble: tf.model({ inputs: input, outputs: output, name: 'intent' }), members };
}
