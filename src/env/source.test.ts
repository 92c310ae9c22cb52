import { describe, expect, it } from "vitest";
import { describeSource } from "./source.js";

describe("describeSource", () => {
  it("names a command by its program only: arguments and leading assignments can hold a token", () => {
    expect(describeSource({ command: "doppler secrets download --no-file --format env" })).toBe(
      "command `doppler …`",
    );
    expect(describeSource({ command: "VAULT_TOKEN=hvs.s3cr3t vault kv get -format=json secret/app" })).toBe(
      "command `vault …`",
    );
    expect(describeSource({ command: "  printenv  " })).toBe("command `printenv`");
    expect(describeSource({ command: "TOKEN=abc" })).toBe("command `…`");
  });

  it("names a dotenv file by its path, and the process environment as such", () => {
    expect(describeSource({ dotenv: "deploy/staging.env" })).toBe("dotenv file deploy/staging.env");
    expect(describeSource({ process: true })).toBe("the process environment");
  });
});
