/**
 * The `compat` command group: `shipgate compat openapi` and `shipgate compat graphql`. Registered by
 * program.ts; the command modules load on demand so that `--help` stays instant.
 */
import { type Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { reportFormats } from "../core/report.js";
import { toolVersion } from "../core/version.js";
import { chooseFormat, useColor } from "./output.js";
import type { CliIo } from "./program.js";

interface CompatCliOptions {
  since?: string;
  accept?: string;
  format?: string;
}

export function registerCompat(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const compat = program
    .command("compat")
    .description(
      "API compatibility: breaking changes between two versions of an OpenAPI spec or a GraphQL schema.",
    );

  const common = (cmd: Command): Command =>
    cmd
      .option("--since <ref>", "compare each file with its version at this git ref (branch, tag, commit)")
      .option("--accept <file>", "accepted breaks (default: compat.acceptFile, .shipgate-compat.yaml)")
      .addOption(
        new Option(
          "--format <format>",
          "output format (default: github under GitHub Actions, else pretty)",
        ).choices(reportFormats),
      );

  const run = async (kind: "openapi" | "graphql", specs: string[], opts: CompatCliOptions): Promise<void> => {
    const format = chooseFormat(opts.format, io.env);
    const [commands, { renderReport }] = await Promise.all([
      import("./commands/compat.js"),
      import("../core/reporters/index.js"),
    ]);
    const global = program.opts<{ config?: string }>();
    const options = {
      cwd: io.cwd,
      specs,
      ...(global.config ? { configPath: global.config } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.accept !== undefined ? { accept: opts.accept } : {}),
    };
    const result =
      kind === "openapi"
        ? await commands.runCompatOpenapi(options)
        : await commands.runCompatGraphql(options);
    io.stdout.write(renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }));
    setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
  };

  common(
    compat
      .command("openapi")
      .description(
        "Breaking changes between two OpenAPI 3.0/3.1 or Swagger 2.0 specs, judged per direction (requests vs responses), reported at every affected operation.",
      )
      .argument(
        "[specs...]",
        "base and head files; with --since, the specs to check (default: compat.openapi)",
      ),
  )
    .addHelpText(
      "after",
      `
Examples:
  shipgate compat openapi old/openapi.yaml openapi.yaml
  shipgate compat openapi openapi.yaml --since origin/main        the spec now against the spec on main
  shipgate compat openapi --since origin/main                     every spec listed in compat.openapi
  shipgate compat openapi v1.json v2.json --format json           { "findings": [...] }
  shipgate compat openapi openapi.yaml --since origin/main --format github

Rules are direction-aware: removing a response property breaks readers (error), removing a request
property does not break writers (warning). A change inside components is reported at every operation
it reaches, with its JSON pointer. A removed operation is allowed only when it was deprecated and its
x-sunset date has passed. Accept a break in .shipgate-compat.yaml (rule, operation, pointer, reason,
expires). Rules and examples: docs/compat.md.

Exit codes: 0 pass, 1 an unapproved error finding, 2 usage error or unreadable spec, 70 internal error.`,
    )
    .action(async (specs: string[], opts: CompatCliOptions) => run("openapi", specs, opts));

  common(
    compat
      .command("graphql")
      .description(
        "Breaking changes between two GraphQL schemas (SDL or introspection JSON), found by @graphql-inspector/core.",
      )
      .argument(
        "[schemas...]",
        "base and head files; with --since, the schemas to check (default: compat.graphql)",
      ),
  )
    .addHelpText(
      "after",
      `
Examples:
  shipgate compat graphql old/schema.graphql schema.graphql
  shipgate compat graphql schema.graphql --since origin/main
  shipgate compat graphql introspection-v1.json introspection-v2.json --format json

Severity follows graphql-inspector's criticality: BREAKING → error, DANGEROUS → warning,
NON_BREAKING → info. Rule ids are its change types (FIELD_REMOVED → graphql-field-removed); the
pointer is the schema coordinate (/User/email); root fields are the operation (Query.user).

Exit codes: 0 pass, 1 an unapproved error finding, 2 usage error or unreadable schema, 70 internal error.`,
    )
    .action(async (schemas: string[], opts: CompatCliOptions) => run("graphql", schemas, opts));
}
