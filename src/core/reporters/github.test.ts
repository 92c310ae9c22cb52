import { describe, expect, it } from "vitest";
import type { Finding } from "../finding.js";
import type { Report } from "../report.js";
import { escapeData, escapeProperty, githubAnnotation, renderGithub } from "./github.js";

const base: Finding = {
  ruleId: "ban-drop-column",
  severity: "error",
  file: "migrations/0002.sql",
  line: 3,
  column: 7,
  message: "DROP COLUMN email",
  help: "Stop using it first.",
};

/** Splits "::cmd props::data" into its parts. */
function parse(line: string): { command: string; props: Map<string, string>; data: string } {
  const m = /^::(\w+) ([^:]*)::(.*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const props = new Map<string, string>();
  for (const kv of (m[2] as string).split(",")) {
    const eq = kv.indexOf("=");
    props.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return { command: m[1] as string, props, data: m[3] as string };
}

const decode = (s: string) =>
  s
    .replace(/%0D/g, "\r")
    .replace(/%0A/g, "\n")
    .replace(/%3A/g, ":")
    .replace(/%2C/g, ",")
    .replace(/%25/g, "%");

describe("escaping", () => {
  it("escapes data: %, CR, LF", () => {
    expect(escapeData("100% done\r\nnext: a,b")).toBe("100%25 done%0D%0Anext: a,b");
  });

  it("escapes properties: also : and ,", () => {
    expect(escapeProperty("C:\\dir,x%\n")).toBe("C%3A\\dir%2Cx%25%0A");
  });

  it("escapes % first, so an existing escape sequence survives a round trip", () => {
    expect(decode(escapeProperty("%0A:,"))).toBe("%0A:,");
  });
});

describe("githubAnnotation", () => {
  it("maps severity to error, warning and notice", () => {
    expect(parse(githubAnnotation(base)).command).toBe("error");
    expect(parse(githubAnnotation({ ...base, severity: "warning" })).command).toBe("warning");
    expect(parse(githubAnnotation({ ...base, severity: "info" })).command).toBe("notice");
  });

  it("carries file, line, col and the rule id as title", () => {
    const { props } = parse(githubAnnotation(base));
    expect(props.get("file")).toBe("migrations/0002.sql");
    expect(props.get("line")).toBe("3");
    expect(props.get("col")).toBe("7");
    expect(props.get("title")).toBe("ban-drop-column");
  });

  it("puts the help after a newline in the message, escaped onto one line", () => {
    const line = githubAnnotation({ ...base, message: "bad: 50% of rows\nsecond line" });
    expect(line).not.toContain("\n");
    const { data } = parse(line);
    const message = decode(data).split("\n");
    expect(message[0]).toBe("bad: 50% of rows");
    expect(message).toContain("Stop using it first.");
  });

  it("shows a migration finding's class, lock and rewrite in the message", () => {
    const line = githubAnnotation({
      ...base,
      class: "transformative",
      lock: "ACCESS EXCLUSIVE",
      relation: "public.orders",
      rewrites: true,
    });
    const message = decode(parse(line).data).split("\n");
    expect(message[1]).toBe(
      "class: transformative · lock: ACCESS EXCLUSIVE on public.orders · rewrites table",
    );
  });

  it("escapes properties so a path with : and , cannot break the command", () => {
    const line = githubAnnotation({ ...base, file: "db/a:b,c.sql", ruleId: "x,y:z" });
    const { props } = parse(line);
    expect(props.get("file")).toBe("db/a%3Ab%2Cc.sql");
    expect(decode(props.get("title") as string)).toBe("x,y:z");
  });

  it("leaves out the location when the finding has none, and col/line when below 1", () => {
    const noFile = parse(githubAnnotation({ ruleId: "r", severity: "info", message: "m" }));
    expect([...noFile.props.keys()]).toEqual(["title"]);
    const noLine = parse(githubAnnotation({ ...base, line: 0, column: 0 }));
    expect(noLine.props.has("line")).toBe(false);
    expect(noLine.props.has("col")).toBe(false);
    expect(noLine.props.get("file")).toBe("migrations/0002.sql");
  });
});

describe("renderGithub", () => {
  const report: Report = {
    command: "migrations lint",
    files: [],
    findings: [
      base,
      { ...base, line: 5, suppression: { kind: "inline", reason: "fine" } },
      { ...base, severity: "warning", line: 8 },
    ],
  };

  it("writes one command per unapproved finding, nothing for approved ones", () => {
    const lines = renderGithub(report).trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => parse(l).props.get("line"))).toEqual(["3", "8"]);
  });

  it("writes nothing when there is nothing to annotate", () => {
    expect(renderGithub({ command: "x", files: [], findings: [] })).toBe("");
  });
});

describe("githubAnnotation: API compatibility findings", () => {
  it("puts the operation and the pointer on their own line of the message", () => {
    const line = githubAnnotation({
      ruleId: "response-property-removed",
      severity: "error",
      file: "api/openapi.yaml",
      line: 12,
      operation: "GET /orders/{id}",
      pointer: "/paths/~1orders~1{id}/get/responses/200",
      message: "response 200: `note` was removed",
    });
    const { props, data } = parse(line);
    expect(props.get("file")).toBe("api/openapi.yaml");
    expect(props.get("line")).toBe("12");
    expect(decode(data).split("\n")).toEqual([
      "response 200: `note` was removed",
      "GET /orders/{id}  #/paths/~1orders~1{id}/get/responses/200",
    ]);
  });
});
