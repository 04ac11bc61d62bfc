/**
 * The intent model's door for serving: load a version (or the serving one) and score with the pure-TS
 * forward pass. Nothing here imports TF.js; the TF.js side (build, save, predict) is in build.ts and
 * tf-model.ts, used by training, parity tests and benchmarks.
 */
export type { IntentArchitecture } from './architecture.ts';
export { INTENT_CARD_FILE, INTENT_CARD_SCHEMA_VERSION, parseIntentCard, type IntentModelCard } from './card.ts';
export { IntentForward, type IntentForwardParts, type NamedWeights } from './forward.ts';
export { loadIntentForward, loadServingIntentModel, readIntentCard, type LoadedIntentModel } from './load.ts';
