/**
 * Sealing an instance's env for the agent's state file: AES-256-GCM with a random 256-bit key kept in
 * a 0600 key file beside the state file. The state file never holds a value in clear; the key never
 * leaves the state directory. Sealed text: `v1.<iv>.<tag>.<ciphertext>`, base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { ShipgateError } from "../../../core/errors.js";

/** Reads the key file, creating it (mode 0600) with a fresh random key when it does not exist. */
export function loadOrCreateKey(file: string): Buffer {
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process created it first: read theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  if (key.length !== 32) {
    throw new ShipgateError("TARGET_FAILED", `the agent key file ${file} is damaged`, {
      hint: "Delete it and the state file beside it, then run `shipgate deploy <env>` again.",
    });
  }
  return key;
}

export function sealEnv(env: Record<string, string>, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(env), "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

export function unsealEnv(sealed: string, key: Buffer): Record<string, string> {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new ShipgateError("TARGET_FAILED", "a sealed env in the agent state file is malformed");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const text = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
    return JSON.parse(text.toString("utf8")) as Record<string, string>;
  } catch (error) {
    throw new ShipgateError(
      "TARGET_FAILED",
      "a sealed env in the agent state file cannot be opened with its key",
      {
        hint: "The key file was replaced; stop the agent, delete the state directory's state.json, and deploy again.",
        cause: error,
      },
    );
  }
}
