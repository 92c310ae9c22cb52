/**
 * Checksums of table data as COPY prints it (text format, one line per row).
 *
 * The row checksum does not depend on row order, so a table restored from a backup can be compared
 * with the backup whatever order the server returns its rows in (a sequential scan may start
 * mid-table when synchronize_seqscans kicks in), without sorting or keeping rows in memory. Each
 * row's line gets two independent 32-bit hashes (FNV-1a and a multiply-xorshift hash, each with
 * murmur3's finalizer and the line length mixed in); the checksum is the two lane sums modulo 2^32
 * and the row count. That detects any accidental difference with a probability of about 1 - 2^-64,
 * at a third of the cost of a sha256 per row (measured: docs/migrations-apply.md). The stored file
 * itself is covered by a sha256 (ByteDigestStream).
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { fmix32 } from "../core/murmur-hash.js";

const fnvOffset = 0x811c9dc5;
const seed2 = 0x9747b28c;

export class RowChecksum {
  rows = 0;
  private sum1 = 0;
  private sum2 = 0;
  private h1 = fnvOffset;
  private h2 = seed2;
  private length = 0;

  /** Feeds a chunk of COPY text output; rows may span chunks. */
  update(chunk: Uint8Array): void {
    let h1 = this.h1;
    let h2 = this.h2;
    let length = this.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === 10) {
        this.sum1 = (this.sum1 + fmix32(h1 ^ length)) >>> 0;
        this.sum2 = (this.sum2 + fmix32(h2 ^ length)) >>> 0;
        this.rows += 1;
        h1 = fnvOffset;
        h2 = seed2;
        length = 0;
        continue;
      }
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      length += 1;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length = length;
  }

  /** "rows-fp64:<16 hex digits>"; a trailing row without a newline counts as a row. */
  digest(): string {
    if (this.length > 0) this.update(Uint8Array.of(10));
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    return `rows-fp64:${hex(this.sum1)}${hex(this.sum2)}`;
  }
}

/** A pass-through stream that checksums the rows flowing through it. */
export class RowChecksumStream extends Transform {
  readonly checksum = new RowChecksum();
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.checksum.update(chunk);
    callback(null, chunk);
  }
}

/** A pass-through stream that computes the sha256 and size of the bytes flowing through it. */
export class ByteDigestStream extends Transform {
  private readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  hex(): string {
    return this.hash.digest("hex");
  }
}
