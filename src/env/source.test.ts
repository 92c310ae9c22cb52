import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeSource, readEnvironment } from "./source.js";

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

describe("readEnvironment: dotenv", () => {
  it("says a missing file does not exist, and a directory given for the file is a directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-env-source-"));
    mkdirSync(join(dir, "deploy"));
    await expect(readEnvironment({ dotenv: "nope.env" }, dir, {}, 1000)).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
      message: "the environment's dotenv file nope.env does not exist",
    });
    await expect(readEnvironment({ dotenv: "deploy" }, dir, {}, 1000)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: "the environment's dotenv file deploy is a directory",
      hint: expect.stringContaining("Name the dotenv file itself"),
    });
  });
});
