/**
 * Progress for long work: a live line on a terminal, nothing when stderr is not a TTY (CI logs and
 * pipes stay quiet and line-oriented).
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, finish() {} };
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      shown = true;
      stream.write(`\r${label} ${done}/${total}\x1b[K`);
    },
    finish() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}
