/**
 * A real browser for end-to-end tests: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core. Never downloads a browser build: when Chromium is missing it installs Debian's
 * package if allowed (root and CI=true, or SHIPGATE_INSTALL_TEST_DEPS=1), like the Prometheus tests
 * do, and otherwise fails with the command to run.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const chromiumBinary = "/usr/bin/chromium";

/** The path of Debian's Chromium, installing the package first when missing and allowed. */
export function ensureChromium(): string {
  if (existsSync(chromiumBinary)) return chromiumBinary;
  const mayInstall =
    process.getuid?.() === 0 && (process.env.CI === "true" || process.env.SHIPGATE_INSTALL_TEST_DEPS === "1");
  if (!mayInstall) {
    throw new Error(
      `${chromiumBinary} not found: the dashboard tests drive Debian's Chromium. Run \`sudo apt-get install -y chromium\` ` +
        "(or set SHIPGATE_INSTALL_TEST_DEPS=1 when running as root to install it automatically).",
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { env, stdio: "ignore" });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { env, stdio: "ignore" });
  if (!existsSync(chromiumBinary)) {
    throw new Error(`apt-get install chromium finished but ${chromiumBinary} is still missing`);
  }
  return chromiumBinary;
}

/** Launches headless Chromium (with --no-sandbox when running as root, where its sandbox cannot start). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = ensureChromium();
  return await chromium.launch({
    executablePath,
    headless: true,
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
}
