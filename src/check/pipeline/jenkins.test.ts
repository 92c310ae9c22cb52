import { describe, expect, it } from "vitest";
import { blankGroovyComments, parseJenkinsfile } from "./jenkins.js";

const jenkinsfile = `pipeline {
  agent any
  options { disableConcurrentBuilds() }
  stages {
    // stage('Commented out') { steps { sh 'npm test' } }
    stage('Test') {
      steps { sh 'npm test' }
    }
    /* stage("Old") */
    stage("Approve") {
      steps { input message: 'Ship it?' }
    }
    stage('Deploy production') {
      when { buildingTag() }
      steps { lock('prod') { sh './deploy.sh production' } }
    }
  }
}
`;

describe("parseJenkinsfile", () => {
  const file = parseJenkinsfile("Jenkinsfile", jenkinsfile);

  it("reads stages by name, never from comments, with their lines", () => {
    expect(file.jobs.map((j) => [j.id, j.at.line])).toEqual([
      ["Test", 6],
      ["Approve", 10],
      ["Deploy production", 13],
    ]);
    expect(file.jobs[0]?.commands[0]?.text).toContain("sh 'npm test'");
  });

  it("finds input steps, locks, pipeline-level concurrency and tag-only stages", () => {
    const [test, approve, deploy] = file.jobs;
    expect(approve?.manual?.line).toBe(11);
    expect(test?.manual).toBeUndefined();
    expect(test?.concurrency).toMatchObject({
      level: "pipeline",
      keyword: "disableConcurrentBuilds()",
      at: { line: 3 },
    });
    expect(deploy?.concurrency).toMatchObject({ level: "job", keyword: "lock()", at: { line: 15 } });
    expect(deploy?.runsOnTags).toBe(true);
    expect(approve?.needs).toEqual(["Test"]);
  });

  it("blanks comments without moving offsets", () => {
    const text = "a // not a comment: http://x\n// gone\n/* x\ny */ b";
    const blanked = blankGroovyComments(text);
    expect(blanked.length).toBe(text.length);
    expect(blanked.split("\n").length).toBe(4);
    expect(blanked).toContain("http://x");
    expect(blanked).not.toContain("gone");
    expect(blanked.trimEnd().endsWith("b")).toBe(true);
  });
});
