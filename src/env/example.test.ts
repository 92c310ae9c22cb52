import { parse } from "dotenv";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { designSchema } from "../../test/support/env-schema.js";
import { quoteDotenvValue } from "./example.js";
import { defineEnv, env, generateEnvExample } from "./index.js";

const schema = {
  ...designSchema,
  API_KEY: env.string({ secret: true, description: "Key of the payments API\nRotate it monthly." }),
};

describe("generateEnvExample", () => {
  it("writes comments and values in declaration order", () => {
    expect(generateEnvExample(schema)).toBe(
      `# Generated from the environment schema (shipgate/env). Copy to .env and fill in the empty values.
# Secrets are left empty: set them in your deployment, never commit them.

# Postgres connection string
# required, secret; an absolute URL (scheme://host...)
# example: postgres://app@localhost:5432/app
DATABASE_URL=

# HTTP port
# optional; a port number 1–65535
# default: 3000
PORT=3000

# optional; one of: debug, info, warn
# default: info
LOG_LEVEL=info

# optional; a comma-separated list (e.g. a,b,c)
# default: (empty)
FEATURES=

# optional; a duration: a number with a unit ms, s, m, h or d (e.g. 500ms, 30s, 5m)
# default: 30s
TIMEOUT=30s

# required; a boolean: true, false, 1, 0, yes or no
# default in development and test: true
DEBUG=

# optional; a number (decimal, e.g. 3, -1.5 or 2e3)
# default: 3
RETRIES=3

# optional; valid JSON
PAYLOAD=

# Key of the payments API
# Rotate it monthly.
# required, secret; a non-empty string
API_KEY=
`,
    );
  });

  it("fills in examples, never for secrets, and quotes values dotenv would change", () => {
    const text = generateEnvExample(
      {
        GREETING: env.string({ example: "hello world # not a comment" }),
        RULES: env.json({ default: { "it's": "a b" } }),
        TOKEN: env.string({ secret: true, example: "tok_example", default: "tok_default" }),
      },
      { header: [] },
    );
    expect(text).toBe(`# required; a non-empty string
GREETING='hello world # not a comment'

# optional; valid JSON
# default: {"it's":"a b"}
RULES=\`{"it's":"a b"}\`

# optional, secret; a non-empty string
# default: tok_default
# example: tok_example
TOKEN=
`);
    expect(parse(text)).toEqual({
      GREETING: "hello world # not a comment",
      RULES: '{"it\'s":"a b"}',
      TOKEN: "",
    });
  });

  it("quotes values so that dotenv reads them back unchanged", () => {
    const values = [
      "plain",
      "with space",
      " lead",
      "a#b",
      "it's",
      'say "hi"',
      "back\\slash",
      "$HOME",
      "x=y",
      '{"a":[1, 2]}',
      "`tick` and 'quote'",
    ];
    const text = values.map((value, i) => `V${i}=${quoteDotenvValue(value)}`).join("\n");
    expect(Object.values(parse(text))).toEqual(values);
  });

  it("round-trips: the generated file, parsed by dotenv and completed with secrets, is valid", () => {
    const parsed = parse(generateEnvExample(schema));
    expect(Object.keys(parsed)).toEqual(Object.keys(schema));
    const source = { ...parsed, DATABASE_URL: "postgres://app:pw@localhost:5432/app", API_KEY: "key" };
    const development = defineEnv(schema, { source, nodeEnv: "development" });
    expect({ ...development }).toEqual({
      DATABASE_URL: "postgres://app:pw@localhost:5432/app",
      PORT: 3000,
      LOG_LEVEL: "info",
      FEATURES: [],
      TIMEOUT: 30_000,
      DEBUG: true,
      RETRIES: 3,
      PAYLOAD: undefined,
      API_KEY: "key",
    });
    // In production the development default does not apply: DEBUG must be set.
    expect(() => defineEnv(schema, { source, nodeEnv: "production" })).toThrow(/DEBUG/);
    expect(defineEnv(schema, { source: { ...source, DEBUG: "false" }, nodeEnv: "production" }).DEBUG).toBe(
      false,
    );
  });

  it("round-trips examples and defaults of every type", () => {
    const every = {
      S: env.string({ example: "a value with spaces" }),
      N: env.number({ example: "-2.5" }),
      B: env.boolean({ default: false }),
      U: env.url({ example: "https://example.com/path?q=1#top" }),
      P: env.port({ example: "8080" }),
      E: env.enum(["x", "y"], { example: "y" }),
      J: env.json({ schema: z.object({ list: z.array(z.string()) }), default: { list: ["a b", "c#d"] } }),
      D: env.duration({ default: 90_000 }),
      L: env.list({ example: "a, b,c" }),
    };
    const config = defineEnv(every, { source: parse(generateEnvExample(every)), nodeEnv: "production" });
    expect({ ...config }).toEqual({
      S: "a value with spaces",
      N: -2.5,
      B: false,
      U: "https://example.com/path?q=1#top",
      P: 8080,
      E: "y",
      J: { list: ["a b", "c#d"] },
      D: 90_000,
      L: ["a", "b", "c"],
    });
  });
});
