/**
 * The heuristics: which commands, actions and templates show each pipeline stage. Every pattern
 * here is listed in docs/pipeline-audit.md; change both together.
 *
 * Commands are matched as words (`eslint` does not match `eslint.config.js` or `my-eslint`), with
 * flags allowed between words (`go test -race ./...`, `npm --silent test`). Before matching, shell
 * comment lines and package-install segments (`npm install vitest`, `pip install pytest`) are
 * blanked, so installing a tool is not mistaken for running it.
 */

const before = String.raw`(?<![\w.$@-])`;
const after = String.raw`(?![\w-]|\.\w)`;
const between = String.raw`\s+(?:-{1,2}[\w-]+(?:=\S+)?\s+)*`;

/** Words (regex fragments) separated by whitespace and optional flags, matched as whole words. */
function cmd(...words: string[]): RegExp {
  return new RegExp(before + words.join(between) + after, "m");
}

const pm = "(?:npm|pnpm|yarn|bun)";
const shipgate = String.raw`shipgate(?:@[\w.^~-]+)?`;

/** `shipgate check`: runs migration lint, the dependency audit and the secret scan (issue #6). */
export const shipgateCheck = cmd(shipgate, "check");

export interface StageMatchers {
  /** Patterns for shell commands (and Jenkins stage text). */
  run: readonly RegExp[];
  /** Actions and reusable workflows (`owner/repo[/path]`, matched without the @ref, case-insensitive). */
  uses: readonly string[];
  /** GitLab `include:` templates and components. */
  include: readonly RegExp[];
  /** Jenkins: a stage name that shows the stage (Jenkinsfiles are judged by stage names too). */
  jenkinsStageName?: RegExp;
  /** `shipgate check` counts for this stage. */
  shipgateCheck?: boolean;
}

export const stageMatchers = {
  tests: {
    run: [
      cmd(pm, String.raw`(?:(?:run|run-script)\s+)?(?:tests?|t)(?:[:_.-][\w:.-]*)?`),
      cmd("vitest"),
      cmd("jest"),
      cmd("mocha"),
      cmd("ava"),
      cmd("node", "--test"),
      cmd("deno", "test"),
      cmd("playwright", "test"),
      cmd("cypress", "run"),
      cmd("ng", "test"),
      cmd("pytest"),
      cmd("py\\.test"),
      cmd("python3?", "-m", "unittest"),
      cmd("tox"),
      cmd("nox"),
      cmd("manage\\.py", "test"),
      cmd("go", "test"),
      cmd("gotestsum"),
      cmd("cargo", "(?:test|nextest)"),
      cmd("mvnw?", "(?:test|verify)"),
      cmd("gradlew?", "(?:test|check)"),
      cmd("rspec"),
      cmd("rake", "(?:test|spec)"),
      cmd("phpunit"),
      cmd("pest"),
      cmd("dotnet", "test"),
      cmd("mix", "test"),
      cmd("swift", "test"),
      cmd("ctest"),
      cmd("bats"),
      cmd("make", "(?:test|tests|check)"),
    ],
    uses: [],
    include: [],
    jenkinsStageName: /\btests?\b|\bspecs?\b|\bunit\b/i,
  },
  "type-check": {
    run: [
      cmd("tsc"),
      cmd("vue-tsc"),
      cmd("svelte-check"),
      cmd("astro", "check"),
      cmd("deno", "check"),
      cmd(pm, String.raw`(?:run\s+)?(?:typecheck|type-check|check-types|types|tsc|check:types|lint:types)`),
      cmd("mypy"),
      cmd("dmypy"),
      cmd("pyright"),
      cmd("basedpyright"),
      cmd("pytype"),
      cmd("pyre", "check"),
      cmd("go", "(?:build|vet|test)"),
      cmd("cargo", "(?:check|build|clippy|test)"),
      cmd("mvnw?", "(?:compile|test|package|verify|install)"),
      cmd("gradlew?", String.raw`(?:build|check|test|assemble|compile\w*)`),
      cmd("dotnet", "(?:build|test|publish)"),
      cmd("swift", "build"),
      cmd("srb", "tc"),
      cmd("steep", "check"),
      cmd("make", "(?:typecheck|type-check|types)"),
    ],
    uses: [],
    include: [],
    jenkinsStageName: /type[\s_-]?check|typecheck|\btypes\b|\btsc\b|mypy|pyright|compile/i,
  },
  lint: {
    run: [
      cmd("eslint"),
      cmd("biome", "(?:check|lint|ci)"),
      cmd("oxlint"),
      cmd("xo"),
      cmd("stylelint"),
      cmd("next", "lint"),
      cmd("deno", "lint"),
      cmd(pm, String.raw`(?:run\s+)?lint(?:[:_.-][\w:.-]*)?`),
      /(?<![\w.$@-])ruff(?:@\S+)?(?!\s+format)(?![\w-]|\.\w)/m,
      cmd("flake8"),
      cmd("pylint"),
      cmd("pycodestyle"),
      cmd("pyflakes"),
      cmd("pre-commit", "run"),
      cmd("golangci-lint"),
      cmd("staticcheck"),
      cmd("go", "vet"),
      cmd("revive"),
      cmd("cargo", "clippy"),
      cmd("rubocop"),
      cmd("standardrb"),
      cmd("phpcs"),
      cmd("phpstan"),
      cmd("psalm"),
      cmd("ktlint"),
      cmd("detekt"),
      cmd("shellcheck"),
      cmd("make", "lint"),
    ],
    uses: [
      "golangci/golangci-lint-action",
      "github/super-linter",
      "super-linter/super-linter",
      "wearerequired/lint-action",
      "reviewdog/action-eslint",
      "reviewdog/action-golangci-lint",
      "reviewdog/action-rubocop",
      "reviewdog/action-shellcheck",
      "reviewdog/action-flake8",
      "astral-sh/ruff-action",
      "chartboost/ruff-action",
      "pre-commit/action",
    ],
    include: [/Code-Quality/i],
    jenkinsStageName: /lint|static[\s_-]?analysis|code[\s_-]?quality/i,
  },
  "dependency-audit": {
    run: [
      new RegExp(`${before}${pm}${between}audit(?!\\s+signatures)${after}`, "m"),
      cmd("yarn", "npm", "audit"),
      cmd("audit-ci"),
      cmd("better-npm-audit"),
      cmd("pip-audit"),
      cmd("safety", "(?:check|scan)"),
      cmd("osv-scanner"),
      cmd("govulncheck"),
      cmd("cargo", "(?:audit|deny)"),
      cmd("bundle", "audit"),
      cmd("bundler-audit"),
      cmd("composer", "audit"),
      cmd("snyk", "(?:test|monitor)"),
      cmd("trivy", "(?:fs|filesystem|repo|repository|image|rootfs|sbom)"),
      cmd("grype"),
      cmd(String.raw`dependency-check(?:\.sh)?`),
      /(?<![\w.$@-])dotnet\s+list\s+(?:\S+\s+)*package\s+(?:\S+\s+)*--vulnerable/m,
      cmd("nancy"),
    ],
    uses: [
      "actions/dependency-review-action",
      "pypa/gh-action-pip-audit",
      "google/osv-scanner-action",
      "golang/govulncheck-action",
      "snyk/actions",
      "aquasecurity/trivy-action",
      "anchore/scan-action",
      "rustsec/audit-check",
      "actions-rs/audit-check",
      "dependency-check/dependency-check_action",
    ],
    include: [/Dependency-Scanning/i, /Container-Scanning/i],
    jenkinsStageName: /audit|vulnerab|dependency[\s_-]?(?:check|scan)|\bsca\b|\bosv\b|snyk/i,
    shipgateCheck: true,
  },
  "secret-scan": {
    run: [
      cmd("gitleaks"),
      cmd("secretlint"),
      cmd("trufflehog"),
      cmd("detect-secrets"),
      cmd("ggshield"),
      cmd("git", "secrets", "--scan"),
      cmd("git-secrets"),
      cmd("talisman"),
      cmd("noseyparker"),
    ],
    uses: [
      "gitleaks/gitleaks-action",
      "zricethezav/gitleaks-action",
      "trufflesecurity/trufflehog",
      "gitguardian/ggshield-action",
      "gitguardian/ggshield",
    ],
    include: [/Secret-Detection/i, /secret-detection/i],
    jenkinsStageName: /secret/i,
    shipgateCheck: true,
  },
  "migration-lint": {
    run: [
      cmd(shipgate, "migrations", "lint"),
      cmd("squawk"),
      cmd("atlas", "migrate", "lint"),
      cmd("lintmigrations"),
      cmd("eugene", "lint"),
    ],
    uses: ["sbdchd/squawk-action", "ariga/atlas-action/migrate/lint"],
    include: [],
    jenkinsStageName: /migration[\w\s-]*(?:lint|check)|(?:lint|check)[\w\s-]*migration|squawk/i,
    shipgateCheck: true,
  },
  build: {
    run: [
      cmd(pm, String.raw`(?:run\s+)?build(?:[:_.-][\w:.-]*)?`),
      cmd("vite", "build"),
      cmd("next", "build"),
      cmd("nuxt", "(?:build|generate)"),
      cmd("astro", "build"),
      cmd("ng", "build"),
      cmd("react-scripts", "build"),
      cmd("webpack"),
      cmd("rollup"),
      cmd("esbuild"),
      cmd("tsup"),
      cmd("parcel", "build"),
      cmd("tsc", "(?:-b|--build)"),
      cmd("go", "build"),
      cmd("cargo", "build"),
      cmd("mvnw?", "(?:package|install|verify)"),
      cmd("gradlew?", "(?:build|assemble|bootJar|jar|shadowJar)"),
      cmd("docker", "(?:build|buildx\\s+build|image\\s+build)"),
      cmd("docker(?:-|\\s+)compose", "build"),
      cmd("buildah", "(?:bud|build)"),
      cmd("podman", "build"),
      /\/kaniko\/executor\b/m,
      cmd("python3?", "-m", "build"),
      cmd("(?:poetry|uv|hatch|pdm|flit)", "build"),
      cmd("dotnet", "(?:build|publish)"),
      cmd("pack", "build"),
      cmd("ko", "(?:build|publish)"),
      cmd("goreleaser"),
      cmd("bazel", "build"),
      cmd("make", "build"),
      cmd("npm", "pack"),
      cmd("sam", "build"),
      cmd("swift", "build"),
    ],
    uses: ["docker/build-push-action", "goreleaser/goreleaser-action", "redhat-actions/buildah-build"],
    include: [/Jobs\/Build/i, /Auto-DevOps/i],
    jenkinsStageName: /\bbuild|compile|\bpackage\b/i,
  },
} satisfies Record<string, StageMatchers>;

export type CommandStageId = keyof typeof stageMatchers;

/** A step or job that runs smoke tests, by its name. */
export const smokeName = /smoke/i;

/** Commands that smoke-test a deployed environment. */
export const smokeCommands: readonly RegExp[] = [
  /smoke/i,
  /(?<![\w.$@-])(?:curl|wget|http|https|xh|httpie)(?![\w-])[^\n]*(?:health|healthz|readyz|livez|ready|alive|ping|status)/i,
  cmd(shipgate, "deploy"),
  cmd("playwright", "test"),
  cmd("cypress", "run"),
  cmd("k6", "run"),
];

/** Commands that deploy. A job running one is a deploy job (as is a job with an environment). */
export const deployCommands: readonly RegExp[] = [
  cmd(shipgate, "(?:deploy|promote)"),
  cmd("kubectl", "(?:apply|rollout|set\\s+image|replace)"),
  cmd("helm", "(?:upgrade|install)"),
  cmd("helmfile", "(?:apply|sync)"),
  cmd("argocd", "app", "sync"),
  cmd("(?:flyctl|fly)", "deploy"),
  cmd("vercel"),
  cmd("netlify", "deploy"),
  cmd("(?:serverless|sls)", "deploy"),
  cmd("cdk", "deploy"),
  cmd("terraform", "apply"),
  cmd("tofu", "apply"),
  cmd("pulumi", "up"),
  cmd("aws", "ecs", "update-service"),
  cmd("aws", "deploy"),
  cmd("aws", "lambda", "update-function-code"),
  cmd("sam", "deploy"),
  cmd("gcloud", "(?:run|app|functions)", "deploy"),
  cmd("az", "(?:webapp|containerapp|functionapp)", "(?:deploy|up|update)"),
  cmd("heroku", "container:release"),
  /(?<![\w.$@-])git\s+push\s+(?:\S+\s+)*heroku\b/m,
  cmd("kamal", "deploy"),
  /(?<![\w.$@-])cap\s+\w+\s+deploy\b/m,
  cmd("eb", "deploy"),
  cmd("railway", "up"),
  cmd("copilot", "(?:svc\\s+)?deploy"),
  cmd("docker", "stack", "deploy"),
  cmd("firebase", "deploy"),
  cmd("wrangler", "(?:deploy|publish)"),
  // A project's own deploy script or target: `npm run deploy:prod`, `make deploy`, `./scripts/deploy.sh`, `bin/deploy`.
  cmd(pm, String.raw`(?:run\s+)?deploy[\w:-]*`),
  cmd("make", String.raw`deploy[\w-]*`),
  /(?:^|[\s;&|(])(?:\.{0,2}\/)?(?:[\w.-]+\/)*deploy[\w.-]*\.(?:sh|bash|py|rb|js|mjs|ts)(?![\w-])/m,
  /(?:^|[\s;&|(])\.{0,2}\/(?:[\w.-]+\/)*deploy[\w-]*(?=\s|$)/m,
  /(?:^|[\s;&|(])bin\/deploy[\w-]*(?=\s|$)/m,
];

/** Actions that deploy. */
export const deployActions: readonly string[] = [
  "azure/webapps-deploy",
  "aws-actions/amazon-ecs-deploy-task-definition",
  "google-github-actions/deploy-cloudrun",
  "google-github-actions/deploy-appengine",
  "superfly/flyctl-actions",
  "amondnet/vercel-action",
  "cloudflare/wrangler-action",
  "actions/deploy-pages",
  "peaceiris/actions-gh-pages",
];

/** Commands that tag the deployed version. */
export const tagCommands: readonly RegExp[] = [
  /(?<![\w.$@-])git\s+(?:-[cC]\s+\S+\s+)*tag\s+(?!-l\b|--list\b|-d\b|--delete\b|-n\d*\b|--contains\b|--points-at\b|--merged\b|--no-merged\b|-v\b|--verify\b)\S[^\n;&|]*/m,
  /(?<![\w.$@-])git\s+push\b[^\n]*(?:--tags|--follow-tags|refs\/tags\/)/m,
  cmd("gh", "release", "create"),
  cmd("glab", "release", "create"),
  cmd("release-cli", "create"),
  cmd(shipgate, "deploy"),
  cmd("semantic-release"),
  cmd("release-please"),
  cmd("changeset", "(?:publish|tag)"),
  cmd("goreleaser"),
  cmd("npm", "version"),
  cmd("standard-version"),
  cmd("release-it"),
  cmd("(?:bumpversion|bump2version|bump-my-version)"),
  cmd("cz", "bump"),
];

/** Actions that create a tag or a release (which tags). */
export const tagActions: readonly string[] = [
  "softprops/action-gh-release",
  "ncipollo/release-action",
  "actions/create-release",
  "googleapis/release-please-action",
  "google-github-actions/release-please-action",
  "changesets/action",
  "goreleaser/goreleaser-action",
  "mathieudutour/github-tag-action",
  "anothrnick/github-tag-action",
  "rickstaa/action-create-tag",
  "negz/create-tag",
];

/** actions/github-script creating a tag through the API. */
export const githubScriptTag = /createRef|createTag|refs\/tags\//;

/** Environment, job and stage names that mean production (not pre-production). */
export const productionName = /(?<!pre-?)(?<![a-z])(?:prod|production|live|prd)(?![a-z])/i;

/** Environment, job and stage names that mean staging. */
export const stagingName = /(?<![a-z])(?:staging|stage|stg|pre-?prod(?:uction)?|uat|qa)(?![a-z])/i;

/** Deploy-ish job names. */
export const deployName = /deploy|rollout|promote/i;

/** A package-install segment of a shell line: installing a tool is not running it. */
const installSegment =
  /^\s*(?:sudo\s+)?(?:(?:npm|pnpm|yarn|bun)\s+(?:-\S+\s+)*(?:i|install|ci|add)\b|(?:python3?\s+-m\s+)?pip3?\s+install\b|(?:pipx|go|cargo|gem|brew|apt-get|apt|apk|choco|dnf|yum)\s+(?:-\S+\s+)*install\b|(?:poetry|uv|pdm)\s+add\b|uv\s+(?:pip|tool)\s+install\b)/;

/**
 * The text commands are matched against: shell comment lines and package-install segments
 * (`npm install -D vitest`, `pip install pytest && pytest` keeps `pytest`) blanked with spaces, so
 * offsets (and so line numbers) stay exact.
 */
export function matchableText(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*#/.test(line)) return " ".repeat(line.length);
      return line.replace(/[^;&|]+/g, (segment) =>
        installSegment.test(segment) ? " ".repeat(segment.length) : segment,
      );
    })
    .join("\n");
}

export interface CommandMatch {
  /** The matched text, whitespace collapsed. */
  text: string;
  /** Offset in the text. */
  index: number;
}

/** The earliest match of any pattern in the (already matchable) text. */
export function firstMatch(patterns: readonly RegExp[], text: string): CommandMatch | undefined {
  let best: CommandMatch | undefined;
  for (const p of patterns) {
    const m = p.exec(text);
    if (m && (best === undefined || m.index < best.index)) {
      best = { text: m[0].replace(/\s+/g, " ").trim(), index: m.index };
    }
  }
  return best;
}

/** `owner/repo/path@ref` → `owner/repo/path`, lowercased; docker:// and local refs as they are. */
export function actionName(ref: string): string {
  return ref.replace(/@.*$/, "").toLowerCase();
}

/** Whether an action reference is one of `names` (or a sub-path of one, e.g. snyk/actions/node). */
export function isAction(ref: string, names: readonly string[]): boolean {
  const name = actionName(ref);
  return names.some((n) => name === n || name.startsWith(`${n}/`));
}
