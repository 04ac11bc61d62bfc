/**
 * Pure TF.js builder for the intent network: no data, no training, no I/O. Given an architecture and a seed
 * it returns the ensemble model (standardized features → mean member logit) and one sub-model per member
 * that shares the ensemble's layers, so training a member trains the ensemble in place.
 *
 * The output is the raw logit (linear): the loss works on logits for numerical stability, and calibration
 * maps logits to probabilities outside the network (see calibration.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { averageMembers, hiddenStack, layerSeed, type MemberEnsemble } from '../member-ensemble.ts';
import { memberLayerNames, validateArchitecture, type IntentArchitecture } from './architecture.ts';

type Tf = typeof tfjs;

export type IntentNetwork = MemberEnsemble;

export function buildIntentNetwork(tf: Tf, arch: IntentArchitecture, seed: number): IntentNetwork {
  validateArchitecture(arch);
  const input = tf.input({ shape: [arch.inputs], name: 'features' });
  const memberOutputs: tfjs.SymbolicTensor[] = [];
  const members: tfjs.LayersModel[] = [];
  for (let k = 0; k < arch.members; k++) {
    const names = memberLayerNames(arch, k);
    const h = hiddenStack(tf, input, { names: names.hidden, units: arch.hidden, activation: arch.activation }, seed, k);
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
  return { ensemble: averageMembers(tf, input, memberOutputs, { layer: 'ensemble_logit', model: 'intent' }), members };
}
