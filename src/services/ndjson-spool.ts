import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const CHUNK = 1 << 20;

/**
 * Objects spooled to a file, one JSON line each, and read back as often as needed: a report's pool table is
 * rendered five times (JSON, CSV, PDF, two OSCAL documents) without holding 40,000 pools in memory.
 */
export class NdjsonSpool {
  private fd: number | null;
  private pending = '';

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'w', 0o600);
  }

  append(value: unknown): void {
    this.pending += `${JSON.stringify(value)}\n`;
    if (this.pending.length >= CHUNK) this.flush();
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** A fresh pass over every spooled value, read a megabyte at a time. */
  *read(): Generator<unknown> {
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK);
      let carry = '';
      for (;;) {
        const bytes = readSync(fd, buffer, 0, CHUNK, null);
        if (bytes === 0) break;
        const text = carry + buffer.toString('utf8', 0, bytes);
        const lines = text.split('\n');
        carry = lines.pop()!;
        for (const line of lines) if (line !== '') yield JSON.parse(line);
      }
      if (carry !== '') yield JSON.parse(carry);
    } finally {
      closeSync(fd);
    }
  }

  private flush(): void {
    if (this.fd === null || this.pending === '') return;
    writeSync(this.fd, this.pending);
    this.pending = '';
  }
}
