/**
 * What every check hands to the reporters: the files it looked at and the findings. Reporters are
 * pure functions of a Report; the CLI picks one with --format.
 */
import type { Finding, MigrationClass } from "./finding.js";

export interface ReportedFile {
  path: string;
  /** Migration files: the most severe class of their statements. */
  class?: MigrationClass;
}

export interface Report {
  /** The command that produced the report, e.g. "migrations lint". */
  command: string;
  files: ReportedFile[];
  findings: Finding[];
  /** File contents by path (as in findings), for code frames. Optional. */
  sources?: ReadonlyMap<string, string>;
  /** One-line description of each rule id, for formats that describe rules (SARIF). Optional. */
  ruleDescriptions?: Readonly<Record<string, string>>;
}

export const reportFormats = ["pretty", "json", "sarif", "github", "markdown"] as const;
export type ReportFormat = (typeof reportFormats)[number];

export interface RenderOptions {
  /** Use ANSI colours (pretty only). The CLI decides from NO_COLOR, FORCE_COLOR and isTTY. */
  color: boolean;
  /** shipgate's version, for SARIF's tool.driver.version. */
  toolVersion: string;
}
