/**
 * Node flags that run a TypeScript file in a child process: tsx's loader by absolute URL, so a bench started
 * from any folder finds it (a bare `--import tsx` resolves against the working directory).
 */
export const TSX_CHILD_FLAGS: readonly string[] = ['--import', import.meta.resolve('tsx')];
