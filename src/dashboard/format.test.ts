/** How the dashboard words plan steps, as the CLI's renderer (src/deploy/plan.ts describeStep) does. */
import { describe, expect, it } from "vitest";
import { describeStep } from "./format.js";

const versions = new Map([
  ["rel-1", "v1"],
  ["rel-2", "v2"],
]);

describe("describeStep", () => {
  it("waits for the instances a deploy starts", () => {
    expect(describeStep({ type: "wait-ready", releaseId: "rel-2" }, versions)).toBe("wait until v2 is ready");
  });

  it("checks every running instance of a release kept warm (a blue-green deploy back to it)", () => {
    expect(describeStep({ type: "wait-ready", releaseId: "rel-1", warm: true }, versions)).toBe(
      "check that every running instance of v1 is ready",
    );
  });
});
