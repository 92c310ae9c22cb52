/**
 * SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer): one run, one
 * reportingDescriptor per rule that occurs, one result per finding. Approved findings stay in the
 * log with a suppression, so code scanning shows them as dismissed rather than forgetting them.
 *
 * GitHub rejects a whole upload when any result has no location, so findings that are not about a
 * file are reported as tool execution notifications of the run's invocation instead of results.
 */
import type * as Sarif from "sarif";
import type { Finding, Severity } from "../finding.js";
import type { RenderOptions, Report } from "../report.js";

export const sarifSchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";
export const shipgateInformationUri = "https://github.com/shipgate/shipgate";

const levels: Record<Severity, Sarif.ReportingConfiguration.level> = {
  error: "error",
  warning: "warning",
  info: "note",
};

/**
 * A relative path as a SARIF URI reference: forward slashes, no leading "./", each segment
 * percent-encoded (spaces, "#", "?" and non-ASCII would otherwise break the URI).
 */
export function toSarifUri(path: string): string {
  return path
    .replace(/\\/g, "/")
    .replace(/^(\.\/)+/, "")
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

function messageText(f: Finding): string {
  const message = f.operation ? `${f.operation}: ${f.message}` : f.message;
  return f.help ? `${message}\n\nHelp: ${f.help}` : message;
}

function descriptor(
  f: Finding,
  ruleDescriptions: Readonly<Record<string, string>> | undefined,
): Sarif.ReportingDescriptor {
  const description = ruleDescriptions?.[f.ruleId] ?? f.message;
  const rule: Sarif.ReportingDescriptor = {
    id: f.ruleId,
    shortDescription: { text: description },
    defaultConfiguration: { level: levels[f.severity] },
  };
  if (f.docsUrl) rule.helpUri = f.docsUrl;
  const helpText = [f.help, f.docsUrl ? `See ${f.docsUrl}` : undefined].filter(Boolean).join("\n\n");
  rule.help = { text: helpText || description };
  return rule;
}

function physicalLocation(f: Finding): Sarif.PhysicalLocation | undefined {
  if (f.file === undefined || f.file === "") return undefined;
  const physical: Sarif.PhysicalLocation = {
    artifactLocation: { uri: toSarifUri(f.file), uriBaseId: "%SRCROOT%" },
  };
  if (f.line !== undefined && f.line >= 1) {
    const region: Sarif.Region = { startLine: f.line };
    if (f.column !== undefined && f.column >= 1) region.startColumn = f.column;
    if (f.endLine !== undefined && f.endLine >= f.line) region.endLine = f.endLine;
    if (f.endColumn !== undefined && f.endColumn >= 1) region.endColumn = f.endColumn;
    physical.region = region;
  }
  return physical;
}

function resultProperties(f: Finding): Sarif.PropertyBag | undefined {
  const props: Sarif.PropertyBag = {};
  if (f.class !== undefined) props.class = f.class;
  if (f.lock !== undefined) props.lock = f.lock;
  if (f.rewrites !== undefined) props.rewrites = f.rewrites;
  if (f.relation !== undefined) props.relation = f.relation;
  if (f.operation !== undefined) props.operation = f.operation;
  if (f.pointer !== undefined) props.pointer = f.pointer;
  return Object.keys(props).length > 0 ? props : undefined;
}

function toResult(f: Finding, ruleIndex: number): Sarif.Result {
  const result: Sarif.Result = {
    ruleId: f.ruleId,
    ruleIndex,
    level: levels[f.severity],
    message: { text: messageText(f) },
  };
  const physical = physicalLocation(f);
  if (physical) {
    const location: Sarif.Location = { physicalLocation: physical };
    // An API operation is a logical location: code scanning shows it next to the file.
    if (f.operation) location.logicalLocations = [{ fullyQualifiedName: f.operation, kind: "function" }];
    result.locations = [location];
  }
  const props = resultProperties(f);
  if (props) result.properties = props;
  if (f.suppression) {
    result.suppressions = [
      {
        // No status field: the errata schema names it status, the earlier draft-07 schema state,
        // and it is optional in both; kind and justification are what code scanning shows.
        kind: f.suppression.kind === "inline" ? "inSource" : "external",
        justification: f.suppression.reason,
      },
    ];
  }
  return result;
}

function toNotification(f: Finding, ruleIndex: number): Sarif.Notification {
  const notification: Sarif.Notification = {
    level: levels[f.severity],
    message: { text: messageText(f) },
    associatedRule: { id: f.ruleId, index: ruleIndex },
  };
  const props = resultProperties(f) ?? {};
  if (f.suppression) props.suppression = { ...f.suppression };
  if (Object.keys(props).length > 0) notification.properties = props;
  return notification;
}

/** Not exported: its type comes from @types/sarif, a dev dependency. */
function toSarifLog(report: Report, options: RenderOptions): Sarif.Log {
  const rules: Sarif.ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Sarif.Result[] = [];
  const notifications: Sarif.Notification[] = [];
  for (const f of report.findings) {
    let index = ruleIndex.get(f.ruleId);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(f.ruleId, index);
      rules.push(descriptor(f, report.ruleDescriptions));
    }
    if (f.file === undefined || f.file === "") notifications.push(toNotification(f, index));
    else results.push(toResult(f, index));
  }
  const run: Sarif.Run = {
    tool: {
      driver: {
        name: "shipgate",
        version: options.toolVersion,
        informationUri: shipgateInformationUri,
        rules,
      },
    },
    columnKind: "utf16CodeUnits",
    results,
  };
  if (notifications.length > 0) {
    run.invocations = [{ executionSuccessful: true, toolExecutionNotifications: notifications }];
  }
  return { $schema: sarifSchemaUri, version: "2.1.0", runs: [run] };
}

/**
 * The SARIF log as 2-space indented JSON. report.ruleDescriptions gives the rules their
 * shortDescription; without it the first message of each rule is used.
 */
export function renderSarif(report: Report, options: RenderOptions): string {
  return `${JSON.stringify(toSarifLog(report, options), null, 2)}\n`;
}
