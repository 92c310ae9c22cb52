/**
 * The shipgate.yaml `shipgate init` writes: every detected fact as a key, every choice explained in
 * a comment, and the keys a team usually sets next commented out. It must load with the config
 * schema unchanged (a test loads it with src/config/load.ts).
 */

import { conventionalDirs as sqlMigrationDirs } from "../migrations/discover.js";
import type { ProjectFacts } from "./detect.js";
import { languageNames } from "./stack.js";
import { scalar } from "./yaml-text.js";

export const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs";

function list(key: string, values: readonly string[], indent: number): string[] {
  const pad = " ".repeat(indent);
  if (values.length === 0) return [`${pad}${key}: []`];
  return [`${pad}${key}:`, ...values.map((v) => `${pad}  - ${scalar(v)}`)];
}

/** One line describing the stack, e.g. "TypeScript with npm (package.json, package-lock.json)". */
export function describeStack(facts: ProjectFacts): string {
  const { stack } = facts;
  if (stack.language === undefined)
    return "no package.json, pyproject.toml, requirements.txt or go.mod found";
  const others = stack.languages.slice(1).map((l) => languageNames[l]);
  return `${languageNames[stack.language]}${stack.packageManager && stack.packageManager !== "go" ? ` with ${stack.packageManager}` : ""} (${stack.markers.join(", ")})${others.length > 0 ? `; also ${others.join(", ")}` : ""}`;
}

export function renderShipgateYaml(facts: ProjectFacts, envExample: string): string {
  const out: string[] = [
    "# shipgate.yaml, written by `shipgate init`. Every key is optional and has a default; the reference",
    `# is ${docsUrl}/config.md (editors: schema/shipgate.schema.json in the shipgate package).`,
    `# Detected: ${describeStack(facts)}.`,
    "version: 1",
    "",
    "# Migration safety: `shipgate migrations lint` (in CI and `shipgate check`) and `migrations apply`.",
    "migrations:",
  ];
  const m = facts.migrations;
  if (m) {
    out.push(
      `  # Detected: ${m.framework}, ${m.files} migration${m.files === 1 ? "" : "s"} in ${m.dir}.`,
      `  framework: ${m.framework}`,
      ...list("paths", [m.dir], 2),
    );
  } else {
    out.push(
      `  # No migrations found (looked in ${sqlMigrationDirs.join(", ")}). List their directory`,
      "  # here when you add them.",
      ...list("paths", [], 2),
    );
    if (facts.alembic) {
      out.push(
        "  # Alembic is set up: lint the SQL it would run with",
        '  # sqlFrom: "alembic upgrade head --sql"',
      );
    }
  }
  out.push(
    "  # Postgres major version of production; rules whose hazard depends on the version use it.",
    "  # pgVersion: 15",
    "",
    "# Environment variables: `shipgate env audit` checks every read in code against this file.",
    "env:",
    `  example: ${scalar(envExample)}`,
  );
  const { openapi, graphql } = facts.specs;
  out.push("");
  if (openapi.length + graphql.length > 0) {
    out.push(
      "# API compatibility: `shipgate compat openapi|graphql --since <ref>` checks these specs for breaking changes.",
      "compat:",
      ...list("openapi", openapi, 2),
      ...list("graphql", graphql, 2),
    );
  } else {
    out.push(
      "# API compatibility: no OpenAPI/Swagger or GraphQL schema file found. List yours to check them",
      "# for breaking changes (`shipgate compat openapi|graphql --since <ref>`):",
      "# compat:",
      "#   openapi: [openapi.yaml]",
      "#   graphql: [schema.graphql]",
    );
  }
  out.push(
    "",
    "# Deploy targets (the CI workflows deploy to these). Where each one's variables come from, for",
    "# `shipgate env verify <name>`: env: { process: true } (the CI job's environment), { dotenv: <file> }",
    '# or { command: "<prints KEY=VALUE lines>" }.',
    "# `shipgate deploy <name>` needs a target: `type: local` (processes on this machine behind",
    "# shipgate's proxy) or `type: command` (your own deploy/switch/rollback commands), e.g.:",
    "#   production:",
    "#     url: https://app.example.com",
    "#     target:",
    "#       type: command",
    '#       deploy: "./deploy.sh start"      # receives SHIPGATE_VERSION, SHIPGATE_RELEASE_DIR',
    '#       switch: "./deploy.sh route"      # receives SHIPGATE_TRAFFIC',
    '#       rollback: "./deploy.sh remove"',
    "#     strategy: blue-green",
    "#     smoke:",
    "#       - { path: /health/ready, status: 200 }",
    "# (docs/deploy.md lists every key.)",
    "environments:",
    "  staging: {}",
    "  production: {}",
    "",
    "# The pre-deploy gate, `shipgate check`. By default production deploys are blocked on Friday from",
    "# 15:00 and at weekends (UTC). For your team's time zone and holidays:",
    "# check:",
    "#   window:",
    "#     timezone: Europe/Berlin",
    "#     holidays:",
    '#       - { date: "2026-12-25", name: Christmas }',
  );
  return `${out.join("\n")}\n`;
}
