import { describe, expect, it } from "vitest";
import { isEnvTemplateFile, isSecretEnvFile } from "./secret-env-file.js";

describe("isSecretEnvFile", () => {
  it("matches .env, .env.* and *.env at any depth", () => {
    for (const f of [
      ".env",
      ".env.local",
      ".env.production",
      "app/.env.production",
      ".env.vault.bak",
      "deploy/staging.env",
      "production.env",
      "a\\b\\prod.env",
    ]) {
      expect(isSecretEnvFile(f), f).toBe(true);
    }
  });

  it("leaves out templates, dotenv-vault's encrypted file and other names", () => {
    for (const f of [
      ".env.example",
      ".env.sample",
      ".env.template",
      ".env.prod.example",
      ".env.prod.sample",
      ".env.example.prod",
      "deploy/staging.env.example",
      "deploy/staging.env.sample",
      "deploy/staging.env.template",
      "example.env",
      "deploy/staging.example.env",
      ".env.vault",
      ".envrc",
      "env.ts",
      "src/env.ts",
      "dotenv",
    ]) {
      expect(isSecretEnvFile(f), f).toBe(false);
    }
    expect(isEnvTemplateFile("config/.env.example")).toBe(true);
    expect(isEnvTemplateFile(".env")).toBe(false);
  });
});
