import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { loadSecretKey, sealEnv, unsealEnv } from "./secrets.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-secrets-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function catchError(fn: () => unknown): ShipgateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

async function catchAsync(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

const env = {
  DATABASE_URL: "postgres://app:hunter2-very-secret@db.internal:5432/app",
  STRIPE_KEY: "sk_live_abcdefghijklmnop",
  EMPTY: "",
  UNICODE: "grüße ✓",
};

function allText(error: ShipgateError): string {
  return JSON.stringify({ message: error.message, hint: error.hint, details: error.details });
}

describe("sealEnv / unsealEnv", () => {
  it("round-trips an env snapshot; the sealed text holds no value in clear", () => {
    const key = randomBytes(32);
    const sealed = sealEnv(env, key);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    for (const value of ["hunter2-very-secret", "sk_live_abcdefghijklmnop", "DATABASE_URL"]) {
      expect(sealed).not.toContain(value);
      expect(Buffer.from(sealed.split(".")[3] as string, "base64").toString("latin1")).not.toContain(value);
    }
    expect(unsealEnv(sealed, key)).toEqual(env);
    expect(unsealEnv(sealEnv({}, key), key)).toEqual({});
  });

  it("uses a fresh IV for every seal", () => {
    const key = randomBytes(32);
    const a = sealEnv(env, key);
    const b = sealEnv(env, key);
    expect(a).not.toBe(b);
    expect(a.split(".")[1]).not.toBe(b.split(".")[1]);
    expect(Buffer.from(a.split(".")[1] as string, "base64")).toHaveLength(12);
  });

  it("a wrong key is CONFIG_INVALID saying what to do, without any value", () => {
    const sealed = sealEnv(env, randomBytes(32));
    const error = catchError(() => unsealEnv(sealed, randomBytes(32)));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("env snapshot");
    expect(error.message).toContain("can't be decrypted with this key");
    expect(error.hint).toContain("SHIPGATE_SECRET_KEY");
    expect(error.hint).toContain("recorded");
    expect(allText(error)).not.toContain("hunter2");
  });

  it("a tampered ciphertext, tag or IV is refused", () => {
    const key = randomBytes(32);
    const sealed = sealEnv(env, key);
    const parts = sealed.split(".");
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index] as string, "base64");
      bytes[0] = (bytes[0] as number) ^ 1;
      const tampered = [...parts];
      tampered[index] = bytes.toString("base64");
      const error = catchError(() => unsealEnv(tampered.join("."), key));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.message).toContain("can't be decrypted");
    }
  });

  it("text that is no sealed snapshot, or a future format, is refused clearly", () => {
    const key = randomBytes(32);
    expect(catchError(() => unsealEnv("hello", key)).message).toContain("not a sealed env snapshot");
    expect(catchError(() => unsealEnv("v9.a.b.c", key)).message).toContain("format v9 is not supported");
    expect(catchError(() => unsealEnv("v1.AAAA.BBBB.CCCC", key)).message).toContain("damaged");
  });

  it("a key of the wrong length is refused", () => {
    expect(catchError(() => sealEnv(env, randomBytes(16))).code).toBe("CONFIG_INVALID");
  });
});

describe("loadSecretKey", () => {
  it("creates .shipgate/secret.key with mode 0600 on first use and reuses it", async () => {
    const dir = tempDir();
    const key = await loadSecretKey({ configDir: dir, env: {} });
    expect(key).toHaveLength(32);
    const file = join(dir, ".shipgate/secret.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64").equals(key)).toBe(true);
    // The key stays out of commits even when .shipgate/ is not ignored.
    expect(readFileSync(join(dir, ".shipgate/.gitignore"), "utf8")).toContain("secret.key");
    expect((await loadSecretKey({ configDir: dir, env: {} })).equals(key)).toBe(true);
  });

  it("concurrent first uses agree on one key", async () => {
    const dir = tempDir();
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadSecretKey({ configDir: dir, env: {} })));
    for (const k of keys) expect(k.equals(keys[0] as Buffer)).toBe(true);
  });

  it("reads $SHIPGATE_SECRET_KEY as base64 (openssl rand -base64 32), URL-safe base64 or 64 hex digits", async () => {
    const dir = tempDir();
    const raw = randomBytes(32);
    for (const text of [
      raw.toString("base64"),
      ` ${raw.toString("base64")}\n`,
      raw.toString("base64url"),
      raw.toString("hex"),
      raw.toString("hex").toUpperCase(),
    ]) {
      const key = await loadSecretKey({ configDir: dir, env: { SHIPGATE_SECRET_KEY: text } });
      expect(key.equals(raw)).toBe(true);
    }
    // The variable wins: no key file is created.
    expect(existsSync(join(dir, ".shipgate/secret.key"))).toBe(false);
  });

  it("any other $SHIPGATE_SECRET_KEY is CONFIG_INVALID with how to generate one, never echoing it", async () => {
    for (const bad of ["not-a-key-hunter2", randomBytes(16).toString("base64"), "ab".repeat(31)]) {
      const error = await catchAsync(
        loadSecretKey({ configDir: tempDir(), env: { SHIPGATE_SECRET_KEY: bad } }),
      );
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.message).toContain("SHIPGATE_SECRET_KEY");
      expect(error.hint).toContain("openssl rand -base64 32");
      expect(allText(error)).not.toContain(bad);
    }
  });

  it("uses a key file readable by others but warns about it", async () => {
    const dir = tempDir();
    const raw = randomBytes(32);
    mkdirSync(join(dir, ".shipgate"));
    const file = join(dir, ".shipgate/secret.key");
    writeFileSync(file, raw.toString("hex"));
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    const key = await loadSecretKey({ configDir: dir, env: {}, onWarning: (w) => warnings.push(w) });
    expect(key.equals(raw)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("0644");
    expect(warnings[0]).toContain(`chmod 600 ${file}`);

    chmodSync(file, 0o600);
    warnings.length = 0;
    await loadSecretKey({ configDir: dir, env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });

  it("a key file without a 32-byte key is CONFIG_INVALID", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".shipgate"));
    writeFileSync(join(dir, ".shipgate/secret.key"), "short\n", { mode: 0o600 });
    const error = await catchAsync(loadSecretKey({ configDir: dir, env: {} }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.hint).toContain("openssl rand -base64 32");
  });

  it("a key from the file seals what the same key from the variable opens", async () => {
    const dir = tempDir();
    const fileKey = await loadSecretKey({ configDir: dir, env: {} });
    const sealed = sealEnv({ A: "1" }, fileKey);
    const text = readFileSync(join(dir, ".shipgate/secret.key"), "utf8");
    const envKey = await loadSecretKey({ configDir: tempDir(), env: { SHIPGATE_SECRET_KEY: text } });
    expect(unsealEnv(sealed, envKey)).toEqual({ A: "1" });
  });
});
