import { nanoid } from 'nanoid';

/** A fresh message or call id: 21 url-safe characters, within the protocol's 1–64. */
export function newId(): string {
  return nanoid();
}

/**
 * Remembers the message ids seen in one call, to drop duplicates. Bounded, so
 * that a flood of distinct ids cannot grow memory without limit: the oldest
 * ids are forgotten first (a duplicate that old is no longer a risk).
 */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 4096) {}

  /** Records an id; returns false if it was already seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  clear(): void {
    this.ids.clear();
  }
}
