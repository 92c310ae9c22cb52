/**
 * Tests for error signatures: realistic output of pino, bunyan, winston, Node's own crash reports and
 * console.error, what is not an error (info lines, warnings, stack frames), and normalization.
 */
import { describe, expect, it } from "vitest";
import { errorSignature } from "./error-signature.js";

const sig = (line: string, stream: "out" | "err" = "err") => errorSignature(stream, line)?.signature ?? null;

describe("errorSignature: JSON lines", () => {
  it("pino: level 50 with a serialized err gives type + normalized message", () => {
    const line = JSON.stringify({
      level: 50,
      time: 1718020800000,
      pid: 4242,
      hostname: "web-1",
      reqId: "req-7",
      err: {
        type: "TypeError",
        message: "Cannot read properties of undefined (reading 'id')",
        stack:
          "TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/app/src/users.js:42:17)",
      },
      msg: "Cannot read properties of undefined (reading 'id')",
    });
    expect(errorSignature("out", line)).toEqual({
      signature: "TypeError: Cannot read properties of undefined (reading <str>)",
      sample: line,
    });
  });

  it("pino: level 60 (fatal) without err uses msg; level 30 and 40 are not errors", () => {
    expect(
      sig('{"level":60,"time":1718020800000,"msg":"database pool exhausted after 30000ms"}', "out"),
    ).toBe("database pool exhausted after <n>ms");
    expect(
      sig('{"level":30,"time":1718020800000,"msg":"request completed","responseTime":12.3}', "out"),
    ).toBeNull();
    expect(sig('{"level":40,"msg":"slow query took 2300 ms"}', "out")).toBeNull();
  });

  it("a warn line that carries an err object counts as an error", () => {
    expect(
      sig('{"level":40,"err":{"type":"AbortError","message":"This operation was aborted"},"msg":"retrying"}'),
    ).toBe("AbortError: This operation was aborted");
  });

  it("bunyan: err.name + err.message with addresses and ports normalized", () => {
    const line = JSON.stringify({
      name: "api",
      hostname: "web-2",
      pid: 77,
      level: 50,
      err: {
        message: "connect ECONNREFUSED 10.0.3.7:5432",
        name: "Error",
        stack:
          "Error: connect ECONNREFUSED 10.0.3.7:5432\n    at TCPConnectWrap.afterConnect (node:net:1555:16)",
        code: "ECONNREFUSED",
      },
      msg: "db down",
      time: "2024-06-10T12:00:00.000Z",
      v: 0,
    });
    expect(sig(line, "out")).toBe("Error: connect ECONNREFUSED <ip>:<n>");
  });

  it("winston JSON: level 'error' uses message; the type comes from a stack when there is one", () => {
    expect(
      sig(
        '{"level":"error","message":"Payment 8f14e45fceea167a5a36dedd4bea2543 declined for alice@example.com","timestamp":"2024-06-10T12:00:00.000Z"}',
      ),
    ).toBe("Payment <hex> declined for <email>");
    expect(
      sig('{"level":"error","message":"boom","stack":"RangeError: boom\\n    at f (/app/a.js:1:1)"}'),
    ).toBe("RangeError: boom");
    expect(sig('{"level":"info","message":"listening on 3000"}')).toBeNull();
  });

  it("other level fields: ECS log.level, Google Cloud severity, FATAL in capitals", () => {
    expect(sig('{"log.level":"error","message":"queue full"}')).toBe("queue full");
    expect(sig('{"severity":"CRITICAL","message":"disk full"}')).toBe("disk full");
    expect(sig('{"level":"FATAL","msg":"cannot bind"}')).toBe("cannot bind");
    expect(sig('{"level":"error"}')).toBe("(no message)");
    // bunyan's top-level `name` is the logger's name, not an error type.
    expect(sig('{"name":"api","level":50,"msg":"boom"}')).toBe("boom");
    expect(sig('{"level":"error","type":"http","name":"ValidationError","msg":"bad email"}')).toBe(
      "ValidationError: bad email",
    );
  });

  it("lines that only look like JSON fall back to the text rules", () => {
    expect(sig("{ broken json ERROR here")).toBe("here");
    expect(sig("{}")).toBeNull();
  });
});

describe("errorSignature: plain text", () => {
  it("a Node crash report: only the TypeError line is an error, not the source excerpt or stack frames", () => {
    const report = [
      "/app/server.js:10",
      "    res.send(user.profile.name);",
      "                          ^",
      "",
      "TypeError: Cannot read properties of undefined (reading 'name')",
      "    at /app/server.js:10:27",
      "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "",
      "Node.js v20.11.1",
    ];
    const found = report.map((line) => sig(line)).filter((s) => s !== null);
    expect(found).toEqual(["TypeError: Cannot read properties of undefined (reading <str>)"]);
  });

  it("console.error('Error: …') with a URL: the query string is dropped from signature and sample", () => {
    const result = errorSignature(
      "err",
      "Error: ETIMEDOUT calling https://ci:s3cr3t@api.example.com/v1/charge?token=abc123&amount=12 after 3 tries",
    );
    expect(result?.signature).toBe(
      "Error: ETIMEDOUT calling https://api.example.com/v1/charge after <n> tries",
    );
    expect(result?.sample).not.toContain("abc123");
    expect(result?.sample).not.toContain("s3cr3t");
  });

  it("error codes, Uncaught, custom error classes and exceptions", () => {
    expect(sig("Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client")).toBe(
      "Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client",
    );
    expect(sig("Uncaught ReferenceError: foo is not defined")).toBe("ReferenceError: foo is not defined");
    expect(sig("PrismaClientKnownRequestError: Unique constraint failed on the fields: (`email`)")).toBe(
      "PrismaClientKnownRequestError: Unique constraint failed on the fields: (<str>)",
    );
    expect(sig("NullPointerException: order 42", "out")).toBe("NullPointerException: order <n>");
  });

  it("an error type inside a line counts on stderr only", () => {
    expect(sig("Failed to sync orders: TypeError: fetch failed", "err")).toBe(
      "Failed to sync orders: TypeError: fetch failed",
    );
    expect(sig("Failed to sync orders: TypeError: fetch failed", "out")).toBeNull();
  });

  it("unhandled rejections (Node ≥ 15, bluebird, Node ≤ 14 warning) and uncaught exceptions", () => {
    expect(
      sig(
        '[UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason "oops".] {',
      ),
    ).toBe("UnhandledPromiseRejection: <str>");
    expect(sig("  code: 'ERR_UNHANDLED_REJECTION'")).toBeNull();
    expect(sig("}")).toBeNull();
    expect(sig("Unhandled rejection Error: boom")).toBe("Unhandled rejection Error: boom");
    expect(sig("(node:4242) UnhandledPromiseRejectionWarning: Error: boom 17")).toBe(
      "UnhandledPromiseRejection: Error: boom <n>",
    );
    expect(sig("process uncaughtException: socket hang up")).toBe("uncaughtException: socket hang up");
  });

  it("level markers: ERROR, FATAL, [error], level=error (logfmt), winston's 'error:'", () => {
    expect(sig("2024-06-10T12:00:00.123Z ERROR [db] query failed after 3021 ms", "out")).toBe(
      "[db] query failed after <n> ms",
    );
    expect(sig("[error] upstream timed out (110: Connection timed out)", "out")).toBe(
      "upstream timed out (<n>: Connection timed out)",
    );
    expect(
      sig(
        'time=2024-06-10T12:00:00Z level=error msg="failed to charge card 4411" order_id=9912 err="declined"',
        "out",
      ),
    ).toBe("failed to charge card <n>");
    expect(sig("level=fatal cannot open /var/lib/app/db", "out")).toBe("cannot open /var/lib/app/db");
    expect(sig("error: Unable to reach Redis at 10.0.0.5:6379", "out")).toBe(
      "Unable to reach Redis at <ip>:<n>",
    );
    expect(sig("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory")).toBe(
      "ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    );
    expect(sig("npm ERR! code ELIFECYCLE")).toBe("code ELIFECYCLE");
  });

  it("Node warnings are not errors", () => {
    expect(
      sig(
        "(node:4242) Warning: Possible EventEmitter memory leak detected. 11 error listeners added to [Server]. Use emitter.setMaxListeners() to increase limit",
      ),
    ).toBeNull();
    expect(
      sig(
        "(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.",
      ),
    ).toBeNull();
    expect(sig("(node:1) ExperimentalWarning: The Fetch API is an experimental feature.")).toBeNull();
    expect(sig("(Use `node --trace-warnings ...` to show where the warning was created)")).toBeNull();
  });

  it("ordinary lines on either stream are not errors", () => {
    for (const line of [
      "Server listening on http://127.0.0.1:3000",
      "GET /users/42 200 12.345 ms - 512",
      "INFO 2024-06-10 request done",
      "0 errors, 0 warnings",
      "retrying after error in upstream",
      "Compiled with 0 ERRORS",
      "ErrorHandler: registered",
      "",
      "   ",
    ]) {
      expect(sig(line, "out"), line).toBeNull();
      expect(sig(line, "err"), line).toBeNull();
    }
  });

  it("stack frames and other continuation lines are never separate errors", () => {
    for (const line of [
      "    at getUser (/app/src/users.js:42:17)",
      "    at handleERROR (/app/ERROR.js:1:2)",
      "    at async Promise.all (index 0)",
      "    at new Promise (<anonymous>)",
      "at Object.<anonymous> (/app/index.js:3:9)",
      "  [cause]: Error: connect ECONNREFUSED ::1:5432",
      "    Error: connect ECONNREFUSED 127.0.0.1:5432",
    ]) {
      expect(sig(line), line).toBeNull();
    }
  });
});

describe("errorSignature: normalization", () => {
  it("replaces uuids, hex ids, numbers, quoted strings, timestamps, IPs and emails", () => {
    expect(
      sig(
        "Error: job 3f2a9c1e-8b7d-4e6f-a1b2-c3d4e5f60718 for bob.smith+x@mail.example.org on 192.168.10.2 and fe80::1ff:fe23:4567:890a failed at 2024-06-10T12:00:00.000+02:00 (doc 507f1f77bcf86cd799439011, addr 0x7ffd1234, 'cart-9' \"blue\" `x`) after 150ms",
      ),
    ).toBe(
      "Error: job <uuid> for <email> on <ip> and <ip> failed at <time> (doc <hex>, addr <hex>, <str> <str> <str>) after <n>ms",
    );
  });

  it("keeps words with digits and apostrophes, drops query strings of paths, collapses whitespace", () => {
    expect(sig("Error: can't   decode utf8 from v2\tERR_HTTP2 at /api/users?id=5&x=1 (::1)")).toBe(
      "Error: can't decode utf8 from v2 ERR_HTTP2 at /api/users (<ip>)",
    );
  });

  it("cuts the signature to 200 and the sample to 500 characters", () => {
    const line = `Error: ${"overflow ".repeat(100)}`;
    const result = errorSignature("err", line);
    expect(result?.signature.length).toBe(200);
    expect(result?.sample.length).toBe(500);
    expect(errorSignature("err", "Error: short\r\n")?.sample).toBe("Error: short");
  });

  it("strips ANSI colours", () => {
    expect(sig("\u001b[31mERROR\u001b[39m payment failed")).toBe("payment failed");
  });

  it("two lines differing only in ids and numbers share a signature; different error types do not", () => {
    const a = sig(
      '{"level":50,"err":{"type":"NotFoundError","message":"order 1234 not found for 3f2a9c1e-8b7d-4e6f-a1b2-c3d4e5f60718"},"msg":"x","reqId":1}',
    );
    const b = sig(
      '{"level":50,"err":{"type":"NotFoundError","message":"order 99 not found for 0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3"},"msg":"y","reqId":2}',
    );
    expect(a).toBe(b);
    expect(sig("Error: timeout after 5000 ms talking to 10.0.0.1")).toBe(
      sig("Error: timeout after 30 ms talking to 10.9.8.7"),
    );
    expect(sig("TypeError: x is not a function")).not.toBe(sig("RangeError: x is not a function"));
    expect(sig("Error: order 12 not found")).not.toBe(sig("Error: user 12 not found"));
    // The same error logged by pino and printed by Node has one signature.
    expect(sig('{"level":50,"err":{"type":"TypeError","message":"fetch failed"},"msg":"fetch failed"}')).toBe(
      sig("TypeError: fetch failed"),
    );
  });
});
