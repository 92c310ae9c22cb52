/**
 * Passwords written into migrations (CREATE ROLE ... PASSWORD '...', user mapping options). The
 * rule hardcoded-password reports them; maskSecretLiterals blanks them out of any source text that
 * shipgate prints (code frames), so a secret never reaches a terminal, a CI log or a PR comment.
 */
import type { Node } from "libpg-query";
import { asKind } from "./ast.js";
import { byteToCharMapper, parseFile, parseStatementSync, scanTokens } from "./parse.js";

const secretOptionNames = new Set(["password", "passfile", "sslpassword", "sslkey"]);

/** The options of a statement that set a secret to a literal: role passwords and FDW credentials. */
export function secretOptions(node: Node): { name: string; location: number }[] {
  const options =
    asKind(node, "CreateRoleStmt")?.options ??
    asKind(node, "AlterRoleStmt")?.options ??
    asKind(node, "CreateUserMappingStmt")?.options ??
    asKind(node, "AlterUserMappingStmt")?.options ??
    asKind(node, "CreateForeignServerStmt")?.options ??
    asKind(node, "AlterForeignServerStmt")?.options ??
    [];
  const out: { name: string; location: number }[] = [];
  for (const o of options) {
    const d = asKind(o, "DefElem");
    if (
      d?.defname &&
      secretOptionNames.has(d.defname.toLowerCase()) &&
      asKind(d.arg, "String")?.sval !== undefined
    ) {
      out.push({ name: d.defname, location: d.location ?? 0 });
    }
  }
  return out;
}

const mentionsSecret = /password|passfile|sslkey/i;

/**
 * Replaces the characters inside every secret string literal with '*', keeping length and line
 * breaks. Needs the parser loaded (loadParser). Text it cannot parse is returned unchanged.
 */
export function maskSecretLiterals(text: string): string {
  if (!mentionsSecret.test(text)) return text;
  let out = text;
  for (const stmt of parseFile({ path: "", text }).statements) {
    if (!mentionsSecret.test(stmt.text)) continue;
    const tree = parseStatementSync(stmt.text);
    if (!tree) continue;
    const tokens = scanTokens(stmt.text);
    const toChar = byteToCharMapper(stmt.text);
    for (const secret of secretOptions(tree)) {
      const literal = tokens.find((t) => t.start >= secret.location && t.tokenName === "SCONST");
      if (!literal) continue;
      const start = stmt.start + toChar(literal.start);
      const end = stmt.start + toChar(literal.end);
      const masked = out.slice(start, end).replace(/[^'\n]/g, "*");
      out = out.slice(0, start) + masked + out.slice(end);
    }
  }
  return out;
}
