/**
 * Turns an async iterable of batches into an async iterable of items.
 *
 * Hand-written rather than `for await (…) yield* batch`: an async generator pays for a queue and several
 * promises per item (measured ~4 M items/s on the target machine), this iterator one resolved promise
 * (~9 M items/s), which matters when the item is a parsed event and the budget is 1 µs per event.
 */
export function flattenBatches<T>(batches: AsyncIterable<readonly T[]>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const source = batches[Symbol.asyncIterator]();
      let batch: readonly T[] = [];
      let index = 0;

      const next = (): Promise<IteratorResult<T>> => {
        if (index < batch.length) return Promise.resolve({ value: batch[index++] as T, done: false });
        return source.next().then((result) => {
          if (result.done) return { value: undefined, done: true };
          batch = result.value;
          index = 0;
          return next();
        });
      };

      return {
        next,
        // Called when the consumer leaves the loop early: lets the source close its file.
        async return(): Promise<IteratorResult<T>> {
          batch = [];
          await source.return?.();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
