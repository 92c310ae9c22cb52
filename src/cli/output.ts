/** How the CLI writes: the --format option, format defaults, colour decisions. */

import { Option } from "commander";
import { ShipgateError } from "../core/errors.js";
import { type ReportFormat, reportFormats } from "../core/report.js";

/** $SHIPGATE_FORMAT, where set to something (CI systems may turn an unset variable into ""). */
function formatFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.SHIPGATE_FORMAT;
  return value === undefined || value === "" ? undefined : value;
}

function unknownFormat(value: string, fromEnv: boolean): ShipgateError {
  return new ShipgateError("USAGE", `unknown format "${value}"${fromEnv ? " in $SHIPGATE_FORMAT" : ""}`, {
    hint: fromEnv
      ? `Set SHIPGATE_FORMAT to one of ${reportFormats.join("|")}, or unset it (--format overrides it).`
      : `Use --format ${reportFormats.join("|")}.`,
  });
}

function isReportFormat(value: string): value is ReportFormat {
  return (reportFormats as readonly string[]).includes(value);
}

/** The format of a reporting command: --format, else $SHIPGATE_FORMAT, else github under GitHub Actions, else pretty. */
export function chooseFormat(flag: string | undefined, env: NodeJS.ProcessEnv): ReportFormat {
  const value = flag ?? formatFromEnv(env) ?? (env.GITHUB_ACTIONS === "true" ? "github" : "pretty");
  if (isReportFormat(value)) return value;
  throw unknownFormat(value, flag === undefined);
}

export const dataFormats = ["pretty", "json"] as const;
export type DataFormat = (typeof dataFormats)[number];

/**
 * The format of a command whose result is data (deploy, status, flags …): --format, else
 * $SHIPGATE_FORMAT when it is pretty or json, else pretty. A findings format there (sarif, github,
 * markdown: set for a pipeline's lint steps) means pretty here; an unknown one is a usage error.
 */
export function chooseDataFormat(flag: string | undefined, env: NodeJS.ProcessEnv): DataFormat {
  const value = flag ?? formatFromEnv(env);
  if (value === undefined) return "pretty";
  if ((dataFormats as readonly string[]).includes(value)) return value as DataFormat;
  if (flag === undefined && isReportFormat(value)) return "pretty";
  throw unknownFormat(value, flag === undefined);
}

/** NO_COLOR (any value) turns colour off, FORCE_COLOR (not "0") on; else colour on a TTY only. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/** The options prettyOrJsonOption made: the program resolves their value with chooseDataFormat. */
const dataFormatOptions = new WeakSet<Option>();

/**
 * --format pretty|json, for commands whose result is data rather than findings. It has no default:
 * before the action runs, the program sets it to chooseDataFormat's answer (src/cli/program.ts).
 */
export function prettyOrJsonOption(): Option {
  const option = new Option(
    "--format <format>",
    "output format (default: $SHIPGATE_FORMAT when pretty or json, else pretty)",
  ).choices(dataFormats);
  dataFormatOptions.add(option);
  return option;
}

/** Whether a command's options include a prettyOrJsonOption. */
export function takesDataFormat(options: readonly Option[]): boolean {
  return options.some((o) => dataFormatOptions.has(o));
}

/** The --format option every reporting command takes. */
export function formatOption(): Option {
  return new Option(
    "--format <format>",
    "output format (default: github under GitHub Actions, else pretty)",
  ).choices(reportFormats);
}
