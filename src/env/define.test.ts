import { inspect } from "node:util";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { designSchema } from "../../test/support/env-schema.js";
import { defineEnv, defineEnvOrExit, EnvValidationError, env } from "./index.js";

/** The schema of the design, as an application would declare it. */
const schema = designSchema;

const minimal = { DATABASE_URL: "postgres://app:pw@db:5432/app", API_KEY: "key-123456", DEBUG: "false" };

function captureError(run: () => unknown): EnvValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvValidationError) return error;
    throw error;
  }
  throw new Error("expected an EnvValidationError");
}

describe("defineEnv", () => {
  it("parses every type and applies defaults", () => {
    const config = defineEnv(schema, {
      source: {
        ...minimal,
        PORT: "8080",
        FEATURES: "a,b, c",
        TIMEOUT: "2m",
        PAYLOAD: '{"a":1}',
      },
      nodeEnv: "production",
    });
    expect({ ...config }).toEqual({
      DATABASE_URL: "postgres://app:pw@db:5432/app",
      PORT: 8080,
      LOG_LEVEL: "info",
      FEATURES: ["a", "b", "c"],
      TIMEOUT: 120_000,
      DEBUG: false,
      RETRIES: 3,
      PAYLOAD: { a: 1 },
      API_KEY: "key-123456",
    });
  });

  it("infers the type of every variable", () => {
    const config = defineEnv(schema, { source: minimal });
    expectTypeOf(config.DATABASE_URL).toEqualTypeOf<string>();
    expectTypeOf(config.PORT).toEqualTypeOf<number>();
    expectTypeOf(config.LOG_LEVEL).toEqualTypeOf<"debug" | "info" | "warn">();
    expectTypeOf(config.FEATURES).toEqualTypeOf<readonly string[]>();
    expectTypeOf(config.TIMEOUT).toEqualTypeOf<number>();
    expectTypeOf(config.DEBUG).toEqualTypeOf<boolean>();
    expectTypeOf(config.RETRIES).toEqualTypeOf<number>();
    expectTypeOf(config.PAYLOAD).toEqualTypeOf<{ a: number } | undefined>();
    expectTypeOf(config.API_KEY).toEqualTypeOf<string>();
    expectTypeOf(config).toEqualTypeOf<{
      readonly DATABASE_URL: string;
      readonly PORT: number;
      readonly LOG_LEVEL: "debug" | "info" | "warn";
      readonly FEATURES: readonly string[];
      readonly TIMEOUT: number;
      readonly DEBUG: boolean;
      readonly RETRIES: number;
      readonly PAYLOAD: { a: number } | undefined;
      readonly API_KEY: string;
    }>();
  });

  it("infers optional, defaulted and schema-typed variables", () => {
    const config = defineEnv(
      {
        A: env.string({ optional: true }),
        B: env.string({ optional: true, default: "b" }),
        C: env.port({ optional: false }),
        D: env.enum(["x", "y"], { optional: true }),
        E: env.json({ schema: z.object({ n: z.number() }) }),
        F: env.json(),
        G: env.number({ devDefault: 1 }),
      },
      { source: { C: "1", E: '{"n":1}', F: "null", G: "2" }, nodeEnv: "test" },
    );
    expectTypeOf(config.A).toEqualTypeOf<string | undefined>();
    expectTypeOf(config.B).toEqualTypeOf<string>();
    expectTypeOf(config.C).toEqualTypeOf<number>();
    expectTypeOf(config.D).toEqualTypeOf<"x" | "y" | undefined>();
    expectTypeOf(config.E).toEqualTypeOf<{ n: number }>();
    expectTypeOf(config.F).toEqualTypeOf<unknown>();
    expectTypeOf(config.G).toEqualTypeOf<number>();
    expect(config).toEqual({ A: undefined, B: "b", C: 1, D: undefined, E: { n: 1 }, F: null, G: 2 });
    // @ts-expect-error unknown keys are a type error too
    expect(() => config.H).toThrow();
  });

  it("reports every problem at once", () => {
    const error = captureError(() =>
      defineEnv(schema, {
        source: { PORT: "http", LOG_LEVEL: "verbose", TIMEOUT: "30", API_KEY: "key-123456", DEBUG: "1" },
        nodeEnv: "production",
      }),
    );
    expect(error.problems.map((p) => [p.name, p.kind])).toEqual([
      ["DATABASE_URL", "missing"],
      ["PORT", "invalid"],
      ["LOG_LEVEL", "invalid"],
      ["TIMEOUT", "invalid"],
    ]);
    expect(error.message.split("\n")).toEqual([
      "Invalid environment: 4 problems",
      "  - Missing required environment variable: DATABASE_URL (Postgres connection string); expected an absolute URL (scheme://host...), e.g. postgres://app@localhost:5432/app",
      '  - Invalid environment variable PORT (HTTP port): expected a port number 1–65535, got "http"',
      '  - Invalid environment variable LOG_LEVEL: expected one of: debug, info, warn, got "verbose"',
      '  - Invalid environment variable TIMEOUT: expected a duration: a number with a unit ms, s, m, h or d (e.g. 500ms, 30s, 5m), got "30"',
    ]);
    expect(error.name).toBe("EnvValidationError");
    expect(error.exitCode).toBe(1);
    expect(error).toBeInstanceOf(Error);
  });

  it("counts an empty value as missing and says so", () => {
    const error = captureError(() => defineEnv({ NAME: env.string() }, { source: { NAME: "" } }));
    expect(error.problems).toEqual([
      {
        name: "NAME",
        kind: "missing",
        message:
          "Missing required environment variable: NAME - it is set but empty, and an empty value counts as missing; expected a non-empty string",
      },
    ]);
    expect(error.message).toMatch(/^Invalid environment: 1 problem\n/);
  });

  it("uses the default for an empty value, never a silent default for an invalid one", () => {
    const spec = { RETRIES: env.number({ default: 3 }) };
    expect(defineEnv(spec, { source: { RETRIES: "" } }).RETRIES).toBe(3);
    for (const raw of [" ", "3x", "three"]) {
      expect(() => defineEnv(spec, { source: { RETRIES: raw } })).toThrow(EnvValidationError);
    }
  });

  it("uses devDefault only when NODE_ENV is development or test", () => {
    const spec = {
      DEBUG: env.boolean({ devDefault: true }),
      LEVEL: env.string({ default: "a", devDefault: "b" }),
    };
    expect(defineEnv(spec, { source: { NODE_ENV: "development" } })).toEqual({ DEBUG: true, LEVEL: "b" });
    expect(defineEnv(spec, { source: {}, nodeEnv: "test" })).toEqual({ DEBUG: true, LEVEL: "b" });
    expect(defineEnv(spec, { source: { DEBUG: "no" }, nodeEnv: "production" })).toEqual({
      DEBUG: false,
      LEVEL: "a",
    });
    for (const nodeEnv of ["production", "staging", undefined]) {
      const error = captureError(() => defineEnv(spec, { source: {}, nodeEnv }));
      expect(error.problems.map((p) => p.name)).toEqual(["DEBUG"]);
      expect(error.message).toContain(
        "its development default applies only when NODE_ENV is development or test",
      );
    }
    expect(captureError(() => defineEnv(spec, { source: {} })).message).toContain("(NODE_ENV is not set)");
  });

  it("nodeEnv overrides source.NODE_ENV", () => {
    const spec = { DEBUG: env.boolean({ devDefault: true }) };
    expect(() => defineEnv(spec, { source: { NODE_ENV: "development" }, nodeEnv: "production" })).toThrow(
      EnvValidationError,
    );
  });

  it("distinguishes default from optional", () => {
    const spec = {
      WITH_DEFAULT: env.number({ default: 5 }),
      OPTIONAL: env.number({ optional: true }),
      BOTH: env.number({ optional: true, default: 7 }),
      REQUIRED: env.number(),
    };
    const error = captureError(() => defineEnv(spec, { source: {} }));
    expect(error.problems.map((p) => p.name)).toEqual(["REQUIRED"]);
    const config = defineEnv(spec, { source: { REQUIRED: "1", OPTIONAL: "" } });
    expect({ ...config }).toEqual({ WITH_DEFAULT: 5, OPTIONAL: undefined, BOTH: 7, REQUIRED: 1 });
    expect(Object.hasOwn(config, "OPTIONAL")).toBe(true);
  });

  it("reads process.env by default", () => {
    vi.stubEnv("SHIPGATE_ENV_TEST_PORT", "4321");
    try {
      expect(defineEnv({ SHIPGATE_ENV_TEST_PORT: env.port() }).SHIPGATE_ENV_TEST_PORT).toBe(4321);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("reads only own string values of the source", () => {
    const spec = { constructor: env.string({ optional: true }), toString: env.string({ default: "d" }) };
    expect({ ...defineEnv(spec, { source: {} }) }).toEqual({ constructor: undefined, toString: "d" });
  });

  it("rejects a schema entry that is not a spec", () => {
    expect(() => defineEnv({ A: "string" } as never, { source: {} })).toThrow(/A is not a variable spec/);
  });
});

describe("the result", () => {
  const spec = { PORT: env.port({ default: 3000 }), TAGS: env.list({ default: ["a"] }) };

  it("is frozen, deeply", () => {
    for (const nodeEnv of ["development", "production"]) {
      const config = defineEnv(spec, { source: { TAGS: "x,y" }, nodeEnv });
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.TAGS)).toBe(true);
      expect(() => {
        (config as { PORT: number }).PORT = 1;
      }).toThrow(TypeError);
      expect(() => {
        (config.TAGS as string[]).push("z");
      }).toThrow(TypeError);
    }
  });

  it("throws on an unknown key in development and test", () => {
    for (const nodeEnv of ["development", "test"]) {
      const config = defineEnv(spec, { source: {}, nodeEnv }) as Record<string, unknown>;
      expect(() => config.PROT).toThrow(
        "Unknown environment variable PROT: it is not in the schema passed to defineEnv (declared: PORT, TAGS)",
      );
      expect("PROT" in config).toBe(false);
    }
  });

  it("returns undefined for an unknown key in production", () => {
    for (const nodeEnv of ["production", undefined]) {
      const config = defineEnv(spec, { source: {}, nodeEnv }) as Record<string, unknown>;
      expect(config.PROT).toBeUndefined();
    }
  });

  it("works with JSON.stringify, await, console.log, spread and matchers in development", async () => {
    const config = defineEnv(spec, { source: {}, nodeEnv: "development" });
    expect(JSON.stringify(config)).toBe('{"PORT":3000,"TAGS":["a"]}');
    expect(await Promise.resolve(config)).toBe(config);
    expect(inspect(config)).toBe("{ PORT: 3000, TAGS: [ 'a' ] }");
    expect(String(config)).toBe("[object Object]");
    expect({ ...config }).toEqual({ PORT: 3000, TAGS: ["a"] });
    expect(config).toEqual({ PORT: 3000, TAGS: ["a"] });
    expect(config).toMatchObject({ PORT: 3000 });
    expect(Object.keys(config)).toEqual(["PORT", "TAGS"]);
  });
});

describe("secrets never leak", () => {
  const secretKey = "sk_live_SUPERSECRET_4242";
  const urlPassword = "hunter2-url-password";
  const secretJson = '{"token":"json-secret-value-777"';

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("keeps secret values and URL passwords out of the message, String(), stack and JSON", () => {
    const error = captureError(() =>
      defineEnv(
        {
          API_KEY: env.enum(["a", "b"], { secret: true, description: "the API key" }),
          DATABASE_URL: env.url({ secret: true }),
          // Not secret, invalid: its shown value has the URL password masked.
          REPLICA_URL: env.port(),
          // Not secret, invalid, and it happens to contain the API key.
          NOTE: env.number(),
          TOKEN_JSON: env.json({ secret: true }),
          SHORT: env.number({ secret: true }),
        },
        {
          source: {
            API_KEY: secretKey,
            DATABASE_URL: `postgres://app:${urlPassword}@db:5432/app not a url`,
            REPLICA_URL: `postgres://replica:${urlPassword}@replica:5432/app`,
            NOTE: `copy of ${secretKey}`,
            TOKEN_JSON: secretJson,
            SHORT: "abc",
          },
        },
      ),
    );
    expect(error.problems).toHaveLength(6);
    const surfaces = [error.message, String(error), error.stack ?? "", JSON.stringify(error), inspect(error)];
    for (const text of surfaces) {
      for (const secret of [
        secretKey,
        urlPassword,
        "json-secret-value-777",
        "abc",
        "SUPERSECRET",
        "hunter2",
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(error.message).toContain(
      'Invalid environment variable REPLICA_URL: expected a port number 1–65535, got "postgres://replica:***@replica:5432/app"',
    );
    expect(error.message).toContain(
      "Invalid environment variable API_KEY (the API key): expected one of: a, b, got a hidden value (secret)",
    );
    expect(error.message).toContain(
      "Invalid environment variable TOKEN_JSON: expected valid JSON, got a hidden value (secret): not valid JSON",
    );
    expect(error.message).toContain(
      'Invalid environment variable NOTE: expected a number (decimal, e.g. 3, -1.5 or 2e3), got "copy of ***"',
    );
  });

  it("defineEnvOrExit prints the message to stderr and exits with the configured code", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => {
      throw new Error("exit called");
    }) as never);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const spec = { API_KEY: env.number({ secret: true }) };
    expect(() => defineEnvOrExit(spec, { source: { API_KEY: secretKey } })).toThrow("exit called");
    expect(exit).toHaveBeenLastCalledWith(1);
    expect(() => defineEnvOrExit(spec, { source: { API_KEY: secretKey }, exitCode: 78 })).toThrow(
      "exit called",
    );
    expect(exit).toHaveBeenLastCalledWith(78);
    const written = stderr.mock.calls.map((call) => String(call[0])).join("");
    expect(written).toContain("Invalid environment variable API_KEY");
    expect(written).not.toContain(secretKey);
  });

  it("defineEnvOrExit returns the config when valid and rethrows schema mistakes", () => {
    expect(defineEnvOrExit({ PORT: env.port() }, { source: { PORT: "80" } })).toEqual({ PORT: 80 });
    expect(() => defineEnvOrExit({ A: 1 } as never, { source: {} })).toThrow(TypeError);
  });
});
