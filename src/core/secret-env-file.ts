/**
 * Which files are env files holding values (secrets): never committed (`shipgate check`'s
 * hygiene.env-files) and never copied into a stored release artifact (the env is sealed instead).
 * Templates that hold names only (`.env.example`, `staging.env.sample`, …) and dotenv-vault's
 * encrypted `.env.vault` are made to be committed and shipped.
 */

/** `.env.example`, `.env.sample`, `.env.template` and their variants, `*.env.example`, `example.env`. */
export function isEnvTemplateFile(path: string): boolean {
  const name = baseName(path);
  return (
    name.endsWith(".example") ||
    /\.env(?:\..+)?\.(?:sample|template)$/.test(name) ||
    /^\.env\.(?:example|sample|template)\../.test(name) ||
    /(?:^|\.)(?:example|sample|template)\.env$/.test(name)
  );
}

/** `.env`, `.env.<anything>` and `<anything>.env` at any depth, except templates and `.env.vault`. */
export function isSecretEnvFile(path: string): boolean {
  const name = baseName(path);
  if (!/^\.env(?:\..+)?$/.test(name) && !/.\.env$/.test(name)) return false;
  return !isEnvTemplateFile(name) && name !== ".env.vault";
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}
