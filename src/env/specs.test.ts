import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type AnyEnvSpec, env } from "./specs.js";

function accepts(spec: AnyEnvSpec, raw: string): unknown {
  const outcome = spec.parse(raw);
  if (!outcome.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse`);
  return outcome.value;
}

function rejects(spec: AnyEnvSpec, raw: string): boolean {
  return !spec.parse(raw).ok;
}

describe("env.string", () => {
  it("accepts any non-empty string as is, whitespace included", () => {
    expect(accepts(env.string(), "hello")).toBe("hello");
    expect(accepts(env.string(), "  padded ")).toBe("  padded ");
  });
  it("rejects the empty string", () => {
    expect(rejects(env.string(), "")).toBe(true);
  });
});

describe("env.number", () => {
  it.each([
    ["3", 3],
    ["-1.5", -1.5],
    ["+2", 2],
    ["0", 0],
    [".5", 0.5],
    ["2e3", 2000],
    ["1E-2", 0.01],
  ])("accepts %j as %d", (raw, value) => {
    expect(accepts(env.number(), raw)).toBe(value);
  });
  it.each([
    "",
    " ",
    "3x",
    "x3",
    " 3",
    "3 ",
    "0x10",
    "0b1",
    "Infinity",
    "-Infinity",
    "NaN",
    "1e999",
    "1,000",
    "--1",
  ])("rejects %j", (raw) => {
    expect(rejects(env.number(), raw)).toBe(true);
  });
});

describe("env.boolean", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["Yes", true],
    ["1", true],
    ["false", false],
    ["False", false],
    ["NO", false],
    ["0", false],
  ])("accepts %j as %s", (raw, value) => {
    expect(accepts(env.boolean(), raw)).toBe(value);
  });
  it.each(["", "on", "off", "y", "n", "2", "truee", " true", "t"])("rejects %j", (raw) => {
    expect(rejects(env.boolean(), raw)).toBe(true);
  });
});

describe("env.url", () => {
  it.each([
    "https://example.com",
    "postgres://app:pw@localhost:5432/app?sslmode=require",
    "redis://:pw@cache:6379",
    "file:///tmp/socket",
  ])("accepts %j", (raw) => {
    expect(accepts(env.url(), raw)).toBe(raw);
  });
  it.each(["example.com", "localhost:3000", "mailto:a@b.c", "http://", "https://exa mple.com", "/path"])(
    "rejects %j",
    (raw) => {
      expect(rejects(env.url(), raw)).toBe(true);
    },
  );
});

describe("env.port", () => {
  it.each([
    ["1", 1],
    ["80", 80],
    ["65535", 65535],
  ])("accepts %j", (raw, value) => {
    expect(accepts(env.port(), raw)).toBe(value);
  });
  it.each(["0", "65536", "-1", "80.0", "8.5", "80x", " 80", "1e3", "http"])("rejects %j", (raw) => {
    expect(rejects(env.port(), raw)).toBe(true);
  });
  it("rejects an out-of-range default when declared", () => {
    expect(() => env.port({ default: 70000 })).toThrow(/invalid default.*1–65535/);
  });
});

describe("env.enum", () => {
  const level = env.enum(["debug", "info", "warn"]);
  it("accepts exactly one of the choices", () => {
    expect(accepts(level, "info")).toBe("info");
    expect(level.choices).toEqual(["debug", "info", "warn"]);
  });
  it.each(["INFO", "error", " info", "info,warn"])("rejects %j", (raw) => {
    expect(rejects(level, raw)).toBe(true);
  });
  it("rejects a default that is not a choice, and empty choices", () => {
    // @ts-expect-error "error" is not a choice
    expect(() => env.enum(["debug", "info"], { default: "error" })).toThrow(/invalid default/);
    // @ts-expect-error at least one choice
    expect(() => env.enum([])).toThrow(/non-empty/);
  });
});

describe("env.json", () => {
  it("parses JSON", () => {
    expect(accepts(env.json(), '{"a":1,"b":[true,null]}')).toEqual({ a: 1, b: [true, null] });
    expect(accepts(env.json(), "42")).toBe(42);
  });
  it("rejects invalid JSON without quoting the input", () => {
    const outcome = env.json().parse("{not json: sekret}");
    expect(outcome).toEqual({ ok: false, detail: "not valid JSON" });
  });
  it("validates against a zod schema and names the failing path", () => {
    const spec = env.json({ schema: z.object({ a: z.number() }) });
    expect(accepts(spec, '{"a":1}')).toEqual({ a: 1 });
    const outcome = spec.parse('{"a":"x"}');
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.detail).toMatch(/^a: /);
  });
  it("hides schema details of a secret", () => {
    const spec = env.json({ schema: z.object({ token: z.string() }), secret: true });
    expect(spec.parse('{"tokn":"x"}')).toEqual({ ok: false, detail: "does not match the schema" });
  });
  it("deep-freezes parsed values", () => {
    const value = accepts(env.json(), '{"a":{"b":[1]}}') as { a: { b: number[] } };
    expect(Object.isFrozen(value.a.b)).toBe(true);
  });
});

describe("env.duration", () => {
  it.each([
    ["0ms", 0],
    ["500ms", 500],
    ["30s", 30_000],
    ["1.5s", 1500],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
  ])("accepts %j as %d ms", (raw, value) => {
    expect(accepts(env.duration(), raw)).toBe(value);
  });
  it.each(["30", "", "30 s", "30S", "-5s", "1h30m", "s", "0.5ms", "1.s", "30sec", "1w"])(
    "rejects %j",
    (raw) => {
      expect(rejects(env.duration(), raw)).toBe(true);
    },
  );
  it("takes defaults as text or milliseconds", () => {
    expect(env.duration({ default: "30s" }).default).toBe(30_000);
    expect(env.duration({ default: 1500 }).default).toBe(1500);
    expect(() => env.duration({ default: "30" })).toThrow(/invalid default/);
  });
  it("formats milliseconds with the largest exact unit", () => {
    const spec = env.duration();
    expect([0, 500, 30_000, 90_000, 7_200_000, 86_400_000, 1500].map((ms) => spec.format(ms))).toEqual([
      "0ms",
      "500ms",
      "30s",
      "90s",
      "2h",
      "1d",
      "1500ms",
    ]);
  });
});

describe("env.list", () => {
  it("splits on commas and trims items", () => {
    expect(accepts(env.list(), "a,b, c")).toEqual(["a", "b", "c"]);
    expect(accepts(env.list(), "single")).toEqual(["single"]);
  });
  it.each(["a,,b", "a,b,", ",a", " "])("rejects %j (empty item)", (raw) => {
    expect(rejects(env.list(), raw)).toBe(true);
  });
  it("returns frozen arrays", () => {
    expect(Object.isFrozen(accepts(env.list(), "a,b"))).toBe(true);
    expect(Object.isFrozen(env.list({ default: ["x"] }).default)).toBe(true);
  });
});

describe("builder options", () => {
  it("records the metadata", () => {
    const spec = env.url({
      description: "Postgres connection string",
      secret: true,
      example: "postgres://app@localhost:5432/app",
    });
    expect(spec).toMatchObject({
      kind: "url",
      description: "Postgres connection string",
      secret: true,
      optional: false,
      example: "postgres://app@localhost:5432/app",
      default: undefined,
      devDefault: undefined,
    });
    expect(Object.isFrozen(spec)).toBe(true);
  });
  it("rejects an example that does not parse", () => {
    expect(() => env.number({ example: "three" })).toThrow(/invalid example/);
    expect(() => env.string({ example: "" })).toThrow(/invalid example/);
  });
});
