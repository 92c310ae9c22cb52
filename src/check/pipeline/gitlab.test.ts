import { describe, expect, it } from "vitest";
import { parseGitlabCi } from "./gitlab.js";

const ci = `include:
  - template: Security/Secret-Detection.gitlab-ci.yml
  - local: ci/more.yml
  - ci/other.yml

default:
  before_script:
    - echo default

.smoke:
  script:
    - curl --fail "$URL/health"

.deploy:
  stage: deploy
  resource_group: $CI_ENVIRONMENT_NAME
  script:
    - ./deploy.sh
    - !reference [.smoke, script]

test:
  script: npm test

deploy-prod:
  extends: .deploy
  environment:
    name: production
  rules:
    - if: $CI_COMMIT_TAG
      when: manual

stop-review:
  script: [./stop.sh]
  environment:
    name: review/$CI_COMMIT_REF_SLUG
    action: stop

tag:
  script: [echo]
  needs: [deploy-prod, {job: test}]
  release:
    tag_name: v$CI_PIPELINE_IID
    description: x
`;

describe("parseGitlabCi", () => {
  const { file, localIncludes } = parseGitlabCi(".gitlab-ci.yml", ci);
  const job = (id: string) => file.jobs.find((j) => j.id === id);

  it("lists includes as commands of a pseudo-job, and local includes for the caller", () => {
    expect(job("include")?.commands.map((c) => c.text)).toEqual([
      "template: Security/Secret-Detection.gitlab-ci.yml",
    ]);
    expect(localIncludes).toEqual(["ci/more.yml", "ci/other.yml"]);
  });

  it("skips templates and global keywords; a job needs a script", () => {
    expect(file.jobs.map((j) => j.id)).toEqual(["include", "test", "deploy-prod", "stop-review", "tag"]);
  });

  it("resolves extends, !reference and default before_script, with each line's position", () => {
    const deploy = job("deploy-prod");
    expect(deploy?.commands.map((c) => [c.text, c.at.line])).toEqual([
      ["echo default", 8],
      ["./deploy.sh", 18],
      ['curl --fail "$URL/health"', 12],
    ]);
    expect(deploy?.concurrency).toMatchObject({
      keyword: "resource_group",
      group: "$CI_ENVIRONMENT_NAME",
      at: { line: 16 },
    });
  });

  it("reads manual rules, tag-only rules and the environment", () => {
    const deploy = job("deploy-prod");
    expect(deploy?.manual?.line).toBe(30);
    expect(deploy?.runsOnTags).toBe(true);
    expect(deploy?.environment?.name).toBe("production");
    expect(job("test")?.manual).toBeUndefined();
  });

  it("ignores environments that only stop, and reads release: and needs:", () => {
    expect(job("stop-review")?.environment).toBeUndefined();
    expect(job("tag")?.commands.at(-1)).toMatchObject({
      kind: "release",
      text: "release: v$CI_PIPELINE_IID",
    });
    expect(job("tag")?.needs).toEqual(["deploy-prod", "test"]);
  });
});
