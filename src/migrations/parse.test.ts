import { beforeAll, describe, expect, it } from "vitest";
import { decodeSource, loadParser, parseFile } from "./parse.js";

const parse = (text: string) => parseFile({ path: "m.sql", text });

beforeAll(async () => {
  await loadParser();
});

describe("parseFile", () => {
  it("splits statements with their kinds, offsets and text, skipping leading comments", () => {
    const text =
      "-- add a column\nALTER TABLE users ADD COLUMN age int;\n\n/* index */ CREATE INDEX i ON users (age);";
    const file = parse(text);
    expect(file.diagnostics).toEqual([]);
    expect(file.statements.map((s) => s.kind)).toEqual(["AlterTableStmt", "IndexStmt"]);
    expect(file.statements.map((s) => s.text)).toEqual([
      "ALTER TABLE users ADD COLUMN age int",
      "CREATE INDEX i ON users (age)",
    ]);
    for (const s of file.statements) expect(text.slice(s.start, s.end)).toBe(s.text);
  });

  it("keeps semicolons inside strings, dollar quotes and comments inside their statement", () => {
    const file = parse(
      "INSERT INTO t VALUES ('a;b');\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 1 /* ; */;",
    );
    expect(file.statements.map((s) => s.kind)).toEqual(["InsertStmt", "CreateFunctionStmt", "SelectStmt"]);
  });

  it("recovers from a syntax error: the other statements are parsed, the error has its offset", () => {
    const text = "SELECT 1;\nALTR TABLE t ADD COLUMN a int;\nSELECT 3;";
    const file = parse(text);
    expect(file.statements.map((s) => s.text)).toEqual(["SELECT 1", "SELECT 3"]);
    expect(file.diagnostics.map((d) => [d.ruleId, d.start])).toEqual([
      ["syntax-error", text.indexOf("ALTR")],
    ]);
  });

  it("maps error offsets after multibyte characters, including ones outside the BMP", () => {
    const text = "SELECT '𝄞é';\nSELEC 1;";
    const file = parse(text);
    expect(file.diagnostics.map((d) => d.start)).toEqual([text.indexOf("SELEC 1")]);
    expect(file.statements[0]?.text).toBe("SELECT '𝄞é'");
  });

  it("reports an unterminated string without throwing and keeps the statements before it", () => {
    const text = "SELECT 1;\nSELECT 'abc;\nSELECT 2;";
    const file = parse(text);
    expect(file.statements.map((s) => s.text)).toEqual(["SELECT 1"]);
    expect(file.diagnostics.map((d) => [d.ruleId, d.start])).toEqual([
      ["syntax-error", text.indexOf("'abc")],
    ]);
    expect(file.diagnostics[0]?.message).not.toContain("SELECT 2");
  });

  it("reports an unterminated dollar quote and block comment without throwing", () => {
    for (const text of ["DO $$ BEGIN", "SELECT 1; /* never closed"]) {
      const file = parse(text);
      expect(file.diagnostics.map((d) => d.ruleId)).toEqual(["syntax-error"]);
    }
  });

  it("blanks psql meta-commands, keeping offsets, and reports each one", () => {
    const text = "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\i other.sql\nSELECT 2;";
    const file = parse(text);
    expect(file.statements.map((s) => [s.text, s.start])).toEqual([
      ["SELECT 1", text.indexOf("SELECT 1")],
      ["SELECT 2", text.indexOf("SELECT 2")],
    ]);
    expect(file.diagnostics.map((d) => [d.ruleId, d.start])).toEqual([
      ["psql-meta-command", 0],
      ["psql-meta-command", text.indexOf("\\i")],
    ]);
    expect(file.diagnostics[1]?.message).toContain("\\i");
  });

  it("blanks pg_dump 17's \\restrict lines, whose keys are not SQL tokens", () => {
    const text = "\\restrict 8Hx2t4bT9kLqv0Zr\nCREATE TABLE t (id int);\n\\unrestrict 8Hx2t4bT9kLqv0Zr\n";
    const file = parse(text);
    expect(file.statements.map((s) => s.kind)).toEqual(["CreateStmt"]);
    expect(file.diagnostics.map((d) => d.ruleId)).toEqual(["psql-meta-command", "psql-meta-command"]);
  });

  it("does not mistake a backslash line inside a string for a meta-command", () => {
    const file = parse("SELECT 'line one\n\\not a command';");
    expect(file.diagnostics).toEqual([]);
    expect(file.statements).toHaveLength(1);
  });

  it("collects only comments that carry a shipgate directive", () => {
    const text =
      "-- plain comment\n-- shipgate:allow ban-drop-column reason: x\nSELECT 1; /* shipgate:allow a reason: y */";
    const file = parse(text);
    expect(file.directiveComments.map((c) => [c.text, c.start])).toEqual([
      ["-- shipgate:allow ban-drop-column reason: x", text.indexOf("-- shipgate")],
      ["/* shipgate:allow a reason: y */", text.indexOf("/* shipgate")],
    ]);
  });

  it("does not treat a directive inside a string literal as a comment", () => {
    expect(parse("SELECT '-- shipgate:allow x reason: y';").directiveComments).toEqual([]);
  });
});

describe("DO blocks", () => {
  it("finds direct statements and EXECUTE of string literals, with their body lines", () => {
    const file = parse(
      "DO $$\nBEGIN\n  ALTER TABLE users ADD COLUMN a int;\n  EXECUTE 'CREATE INDEX i ON users (a)';\nEND\n$$;",
    );
    const children = file.statements[0]?.children ?? [];
    expect(children.map((c) => [c.kind, c.embedded?.via, c.embedded?.bodyLine])).toEqual([
      ["AlterTableStmt", "do-block", 3],
      ["IndexStmt", "execute", 4],
    ]);
    expect(file.statements[0]?.dynamicExecutes).toBe(0);
  });

  it("finds statements nested in IF and loops, and counts dynamic EXECUTEs", () => {
    const file = parse(
      "DO $$ DECLARE t text; BEGIN\n IF true THEN\n  DROP TABLE old;\n END IF;\n FOR t IN SELECT 'x' LOOP\n  EXECUTE format('DROP TABLE %I', t);\n END LOOP;\nEND $$;",
    );
    const stmt = file.statements[0];
    expect(stmt?.children.map((c) => c.kind)).toContain("DropStmt");
    expect(stmt?.dynamicExecutes).toBe(1);
  });

  it("leaves DO blocks in other languages alone", () => {
    const file = parse("DO LANGUAGE plperl $$ my $x = 1; $$;");
    expect(file.statements[0]?.children).toEqual([]);
  });

  it("does not throw on a DO body that is not valid plpgsql", () => {
    const file = parse("DO $$ BEGIN this is not plpgsql; END $$;");
    expect(file.statements.map((s) => s.kind)).toEqual(["DoStmt"]);
    expect(file.statements[0]?.children).toEqual([]);
  });
});

describe("decodeSource", () => {
  it("decodes valid UTF-8 without an invalid offset", () => {
    const src = decodeSource("m.sql", Buffer.from("SELECT 'é𝄞';"));
    expect(src).toEqual({ path: "m.sql", text: "SELECT 'é𝄞';" });
  });

  it("notes where invalid bytes start and replaces them", () => {
    const src = decodeSource(
      "m.sql",
      Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xff, 0x27, 0x3b]),
    );
    expect(src.invalidUtf8At).toBe(8);
    expect(src.text).toBe("SELECT '\uFFFD';");
    const file = parseFile(src);
    expect(file.diagnostics.map((d) => [d.ruleId, d.start])).toEqual([["invalid-utf8", 8]]);
    expect(file.statements.map((s) => s.kind)).toEqual(["SelectStmt"]);
  });

  it("points at the lead byte of a broken multibyte sequence", () => {
    // "é" in Latin-1 (0xE9) is a UTF-8 lead byte for a 3-byte sequence; the newline breaks it.
    const src = decodeSource("m.sql", Buffer.from([0x41, 0xe9, 0x0a, 0x42]));
    expect(src.invalidUtf8At).toBe(1);
    expect(src.text).toBe("A\uFFFD\nB");
  });

  it("points at a multibyte sequence cut off at the end of the file", () => {
    const src = decodeSource("m.sql", Buffer.from([0x41, 0x42, 0xc3]));
    expect(src.invalidUtf8At).toBe(2);
  });

  it("counts characters before the invalid byte, not bytes", () => {
    const src = decodeSource("m.sql", Buffer.concat([Buffer.from("é𝄞"), Buffer.from([0xff])]));
    expect(src.invalidUtf8At).toBe("é𝄞".length);
  });
});
