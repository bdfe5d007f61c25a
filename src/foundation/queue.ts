/**
 * Runs async tasks one after another, in the order they were queued. A task
 * that fails rejects its own promise only; the queue goes on.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
