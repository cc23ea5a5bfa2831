import type { Ino } from '@juicefs/core';

/**
 * Files this client has open (one count per open). An unlinked file that is still open keeps
 * its node (nlink 0, "sustained" in the session) until the last close.
 */
export class OpenFiles {
  private readonly counts = new Map<Ino, number>();

  open(ino: Ino): void {
    this.counts.set(ino, (this.counts.get(ino) ?? 0) + 1);
  }

  /** Drop one open; true when it was the last one. */
  close(ino: Ino): boolean {
    const n = (this.counts.get(ino) ?? 0) - 1;
    if (n > 0) {
      this.counts.set(ino, n);
      return false;
    }
    this.counts.delete(ino);
    return true;
  }

  isOpen(ino: Ino): boolean {
    return (this.counts.get(ino) ?? 0) > 0;
  }

  clear(): void {
    this.counts.clear();
  }
}
