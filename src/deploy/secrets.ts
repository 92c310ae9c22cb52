/**
 * The release's env snapshot is stored in the ledger encrypted: AES-256-GCM with a 32-byte key from
 * $SHIPGATE_SECRET_KEY, else from `.shipgate/secret.key` next to shipgate.yaml (created on first
 * use, mode 0600). Rolling back to a release restores its env, so the key must be the one used when
 * the release was recorded. Values never appear in a message; neither does the key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ShipgateError } from "../core/errors.js";
import { ensureStateDir } from "../core/state-dir.js";

export const secretKeyEnvVar = "SHIPGATE_SECRET_KEY";
/** The key file, relative to the config file's directory. */
export const secretKeyFile = ".shipgate/secret.key";

const keyBytes = 32;
const ivBytes = 12;
const sealVersion = "v1";
/** Authenticated with the ciphertext: a v1 blob cannot be replayed as another format. */
const additionalData = Buffer.from("shipgate-env-v1");
const generateHint = "generate one with `openssl rand -base64 32`";

/** Parses a key written as 64 hex digits or base64 (standard or URL-safe) of exactly 32 bytes. */
function parseKeyText(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (b.length === keyBytes) return b;
  }
  return undefined;
}

function describeMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

/**
 * The 32-byte key sealing env snapshots: $SHIPGATE_SECRET_KEY (base64 or 64 hex digits) when set,
 * else `<configDir>/.shipgate/secret.key`, created with random bytes (as base64) and mode 0600 on
 * first use. A key file readable by others is still used; `onWarning` hears about it.
 */
export async function loadSecretKey(options: {
  configDir: string;
  env?: NodeJS.ProcessEnv;
  onWarning?: (message: string) => void;
}): Promise<Buffer> {
  const env = options.env ?? process.env;
  const fromEnv = env[secretKeyEnvVar];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const key = parseKeyText(fromEnv);
    if (key) return key;
    throw new ShipgateError(
      "CONFIG_INVALID",
      `$${secretKeyEnvVar} is not a 32-byte key (expected 44 base64 characters or 64 hex digits)`,
      {
        hint: `${generateHint}, or unset ${secretKeyEnvVar} to use ${secretKeyFile}; to read releases recorded earlier, set it to the key they were recorded with`,
      },
    );
  }

  const path = join(options.configDir, secretKeyFile);
  // Keeps the key (and the rest of .shipgate/) out of commits, also in folders an older shipgate made.
  ensureStateDir(options.configDir);
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ShipgateError("CONFIG_INVALID", `cannot read the secret key file ${path}`, {
        hint: `check its permissions (chmod 600 ${path}), or set ${secretKeyEnvVar}`,
        cause: error,
      });
    }
  }
  if (text === undefined) return createKeyFile(options.configDir, path);

  const key = parseKeyText(text);
  if (!key) {
    throw new ShipgateError("CONFIG_INVALID", `the secret key file ${path} does not hold a 32-byte key`, {
      hint: `it must hold 44 base64 characters or 64 hex digits; ${generateHint} > ${path}. If releases were recorded with the old key, restore it instead`,
    });
  }
  const s = await stat(path);
  if (process.platform !== "win32" && (s.mode & 0o077) !== 0) {
    options.onWarning?.(
      `the secret key file ${path} is readable by other users (mode ${describeMode(s.mode)}); run: chmod 600 ${path}`,
    );
  }
  return key;
}

async function createKeyFile(configDir: string, path: string): Promise<Buffer> {
  const dir = join(configDir, ".shipgate");
  await mkdir(dir, { recursive: true });
  const key = randomBytes(keyBytes);
  // Written whole under a temporary name, then linked into place: link() never replaces a key
  // another process created a moment ago, and nobody ever reads a half-written key file.
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    await chmod(temp, 0o600);
    await link(temp, path).catch(async (error: NodeJS.ErrnoException) => {
      // A filesystem without hard links: create the file exclusively instead.
      if (error.code === "EEXIST") throw error;
      await writeFile(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const existing = parseKeyText(await readFile(path, "utf8"));
      if (existing) return existing;
    }
    throw new ShipgateError("CONFIG_INVALID", `cannot create the secret key file ${path}`, {
      hint: `check that ${dir} is writable, or set ${secretKeyEnvVar} (${generateHint})`,
      cause: error,
    });
  } finally {
    await unlink(temp).catch(() => {});
  }
  return key;
}

function checkKey(key: Buffer): void {
  if (key.length !== keyBytes) {
    throw new ShipgateError("CONFIG_INVALID", `the secret key must be ${keyBytes} bytes, got ${key.length}`, {
      hint: `${generateHint} and set ${secretKeyEnvVar}`,
    });
  }
}

/**
 * Encrypts an env snapshot: AES-256-GCM with a random 12-byte IV, written as
 * `v1.<iv base64>.<tag base64>.<ciphertext base64>`.
 */
export function sealEnv(env: Record<string, string>, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(additionalData);
  const plaintext = Buffer.from(JSON.stringify(env), "utf8");
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [sealVersion, iv.toString("base64"), tag.toString("base64"), ciphertext.toString("base64")].join(
    ".",
  );
}

function undecryptable(reason: string): ShipgateError {
  return new ShipgateError(
    "CONFIG_INVALID",
    `the ledger's env snapshot of this release can't be decrypted with this key (${reason})`,
    {
      hint: `set ${secretKeyEnvVar} to the key used when the release was recorded (the content of ${secretKeyFile} on the machine that recorded it); without it, deploy the version again to record a new release`,
    },
  );
}

/** Decrypts a sealed env snapshot; a wrong key or a tampered value is CONFIG_INVALID. */
export function unsealEnv(sealed: string, key: Buffer): Record<string, string> {
  checkKey(key);
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== sealVersion) {
    throw undecryptable(
      parts[0] !== undefined && /^v\d+$/.test(parts[0]) && parts[0] !== sealVersion
        ? `format ${parts[0]} is not supported by this shipgate version`
        : "not a sealed env snapshot",
    );
  }
  const [, ivText = "", tagText = "", ctText = ""] = parts;
  const iv = Buffer.from(ivText, "base64");
  const tag = Buffer.from(tagText, "base64");
  const ciphertext = Buffer.from(ctText, "base64");
  if (iv.length !== ivBytes || tag.length !== 16) throw undecryptable("the sealed value is damaged");
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw undecryptable("wrong key, or the stored value was altered");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString("utf8"));
  } catch {
    throw undecryptable("the decrypted snapshot is not valid JSON");
  }
  if (
    parsed === null ||
    typeof parsed !== "object" ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((v) => typeof v !== "string")
  ) {
    throw undecryptable("the decrypted snapshot is not a map of variables");
  }
  return parsed as Record<string, string>;
}
