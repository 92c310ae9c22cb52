/** How the CLI writes: the --format option, format defaults, colour decisions. */

import { Option } from "commander";
import { ShipgateError } from "../core/errors.js";
import { type ReportFormat, reportFormats } from "../core/report.js";

export function chooseFormat(flag: string | undefined, env: NodeJS.ProcessEnv): ReportFormat {
  const value = flag ?? env.SHIPGATE_FORMAT ?? (env.GITHUB_ACTIONS === "true" ? "github" : "pretty");
  if ((reportFormats as readonly string[]).includes(value)) return value as ReportFormat;
  const fromEnv = flag === undefined && env.SHIPGATE_FORMAT !== undefined;
  throw new ShipgateError("USAGE", `unknown format "${value}"${fromEnv ? " in $SHIPGATE_FORMAT" : ""}`, {
    hint: fromEnv
      ? `Set SHIPGATE_FORMAT to one of ${reportFormats.join("|")}, or unset it (--format overrides it).`
      : `Use --format ${reportFormats.join("|")}.`,
  });
}

/** NO_COLOR (any value) turns colour off, FORCE_COLOR (not "0") on; else colour on a TTY only. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/** --format pretty|json, for commands whose result is data rather than findings. */
export function prettyOrJsonOption(): Option {
  return new Option("--format <format>", "output format").choices(["pretty", "json"]).default("pretty");
}

/** The --format option every reporting command takes. */
export function formatOption(): Option {
  return new Option(
    "--format <format>",
    "output format (default: github under GitHub Actions, else pretty)",
  ).choices(reportFormats);
}
