import { describe, expect, it } from "vitest";
import {
  actionName,
  type CommandStageId,
  deployCommands,
  firstMatch,
  isAction,
  matchableText,
  productionName,
  shipgateCheck,
  smokeCommands,
  stageMatchers,
  stagingName,
  tagCommands,
} from "./matchers.js";

function matches(stage: CommandStageId, command: string): boolean {
  return firstMatch(stageMatchers[stage].run, matchableText(command)) !== undefined;
}

const table: Record<CommandStageId, { valid: string[]; invalid: string[] }> = {
  tests: {
    valid: [
      "npm test",
      "npm run test:unit",
      "pnpm --silent test",
      "yarn test",
      "bun test",
      "npx vitest run",
      "./node_modules/.bin/jest --ci",
      "node --test",
      "pytest -q",
      "python -m pytest tests/",
      "uv run --with pytest pytest",
      "go test -race ./...",
      "cargo test",
      "./mvnw -B verify",
      "./gradlew test",
      "bundle exec rspec",
      "dotnet test",
      "make test",
    ],
    invalid: [
      "npm install -D vitest",
      "pip install pytest",
      "# npm test",
      "echo testing",
      "cat jest.config.js",
      "npm run testing-library-setup",
      "go build ./...",
    ],
  },
  "type-check": {
    valid: [
      "npx tsc --noEmit",
      "vue-tsc --noEmit",
      "npm run typecheck",
      "mypy src",
      "pyright",
      "go vet ./...",
      "cargo check",
    ],
    invalid: ["npm install typescript", "cat tsconfig.json", "echo mypy-report"],
  },
  lint: {
    valid: [
      "npx eslint .",
      "npx @biomejs/biome ci .",
      "biome check",
      "ruff check .",
      "ruff .",
      "golangci-lint run",
      "npm run lint:ci",
      "cargo clippy -- -D warnings",
      "pre-commit run --all-files",
    ],
    invalid: ["ruff format --check .", "cat eslint.config.js", "npm i -D eslint", "prettier --check ."],
  },
  "dependency-audit": {
    valid: [
      "npm audit --audit-level=high",
      "pnpm audit",
      "yarn npm audit",
      "pip-audit -r requirements.txt",
      "osv-scanner -r .",
      "go run golang.org/x/vuln/cmd/govulncheck@latest ./...",
      "cargo audit",
      "trivy fs .",
    ],
    invalid: ["npm audit signatures", "pip install pip-audit", "echo audit"],
  },
  "secret-scan": {
    valid: [
      "gitleaks detect --source .",
      "npx secretlint '**/*'",
      "trufflehog git file://.",
      "detect-secrets scan",
      "ggshield secret scan ci",
    ],
    invalid: ["npm install secretlint", "echo secrets"],
  },
  "migration-lint": {
    valid: [
      "npx shipgate migrations lint",
      "npx --yes shipgate@0.1.0 migrations lint --since origin/main",
      "squawk migrations/*.sql",
      "atlas migrate lint --dev-url x",
    ],
    invalid: ["npx shipgate migrations apply", "npx shipgate check", "echo squawking"],
  },
  build: {
    valid: [
      "npm run build",
      "pnpm build",
      "vite build",
      "go build ./...",
      "docker build -t app .",
      "docker buildx build .",
      "python -m build",
      "uv build",
      "./gradlew assemble",
      "tsc -b",
    ],
    invalid: ["npx tsc --noEmit", "echo build", "cat Dockerfile"],
  },
};

describe("stage command patterns", () => {
  for (const [stage, { valid, invalid }] of Object.entries(table) as [
    CommandStageId,
    (typeof table)[CommandStageId],
  ][]) {
    for (const command of valid) {
      it(`${stage}: finds \`${command}\``, () => expect(matches(stage, command)).toBe(true));
    }
    for (const command of invalid) {
      it(`${stage}: ignores \`${command}\``, () => expect(matches(stage, command)).toBe(false));
    }
  }

  it("keeps the command after an install segment on the same line", () => {
    expect(matches("tests", "pip install pytest && pytest")).toBe(true);
    expect(matchableText("npm ci && npm test")).toBe(`${" ".repeat(7)}&& npm test`);
  });

  it("reports the match offset in the original text (lines kept)", () => {
    const text = "set -e\n# npm test\nnpm ci\nnpx vitest run";
    const m = firstMatch(stageMatchers.tests.run, matchableText(text));
    expect(m?.text).toBe("vitest");
    expect(text.slice(0, m?.index).split("\n").length).toBe(4);
  });

  it("recognises shipgate check with a pinned version", () => {
    expect(shipgateCheck.test("npx --yes shipgate@0.1.0 check --environment staging")).toBe(true);
    expect(shipgateCheck.test("npx shipgate checkout")).toBe(false);
  });
});

describe("actions", () => {
  it("matches an action without its ref, and sub-paths of an action repository", () => {
    expect(actionName("Gitleaks/Gitleaks-Action@v2")).toBe("gitleaks/gitleaks-action");
    expect(isAction("gitleaks/gitleaks-action@v2", stageMatchers["secret-scan"].uses)).toBe(true);
    expect(isAction("snyk/actions/node@master", stageMatchers["dependency-audit"].uses)).toBe(true);
    expect(isAction("snyk/actions-other@v1", stageMatchers["dependency-audit"].uses)).toBe(false);
  });
});

describe("deploy, smoke and tag patterns", () => {
  it.each([
    ["kubectl apply -f k8s/", true],
    ["helm upgrade --install app ./chart", true],
    ["npx vercel deploy --prod", true],
    ["npm run deploy:prod", true],
    ["./scripts/deploy.sh staging", true],
    ["make deploy", true],
    ['echo "Deploy to production?"', false],
    ["terraform plan", false],
  ])("deploy: %s → %s", (command, expected) => {
    expect(firstMatch(deployCommands, matchableText(command)) !== undefined).toBe(expected);
  });

  it.each([
    ["curl --fail https://staging.example.com/healthz", true],
    ["npm run test:smoke", true],
    ["npx playwright test", true],
    ["curl -o out.tgz https://example.com/pkg.tgz", false],
  ])("smoke: %s → %s", (command, expected) => {
    expect(firstMatch(smokeCommands, matchableText(command)) !== undefined).toBe(expected);
  });

  it.each([
    ['git tag "deploy-$(date +%s)"', true],
    ["git tag -a v1.2.3 -m release", true],
    ["git push origin --tags", true],
    ["gh release create v1.0.0", true],
    ["git tag -l", false],
    ["git tag --list 'v*'", false],
    ["git tag", false],
  ])("tag: %s → %s", (command, expected) => {
    expect(firstMatch(tagCommands, matchableText(command)) !== undefined).toBe(expected);
  });

  it.each([
    ["production", true, false],
    ["prod", true, false],
    ["deploy_production", true, false],
    ["preprod", false, true],
    ["pre-prod", false, true],
    ["staging", false, true],
    ["review/feature-x", false, false],
    ["products-api", false, false],
  ])("environment name %s: production %s, staging %s", (name, prod, staging) => {
    expect(productionName.test(name)).toBe(prod);
    expect(stagingName.test(name)).toBe(staging);
  });
});
