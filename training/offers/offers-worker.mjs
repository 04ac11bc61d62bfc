// A worker thread's entry: the project runs from TypeScript sources through tsx, and a worker does not
// inherit the loader its parent registered, so it registers its own before loading the worker module.
import { register } from 'tsx/esm/api';

register();
await import('./offers-worker.ts');
