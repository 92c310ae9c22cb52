/** closestName: the likely typo's intended name, and nothing for a name that is no typo. */
import { describe, expect, it } from "vitest";
import { closestName, didYouMean } from "./closest-name.js";

describe("closestName", () => {
  const environments = ["staging", "production"];

  it("finds the name a typo meant: a missing, extra, wrong or swapped letter, or another case", () => {
    expect(closestName("producton", environments)).toBe("production");
    expect(closestName("productionn", environments)).toBe("production");
    expect(closestName("stageng", environments)).toBe("staging");
    expect(closestName("prodcution", environments)).toBe("production");
    expect(closestName("Production", environments)).toBe("production");
  });

  it("suggests nothing for a different name, or when nothing is known", () => {
    expect(closestName("qa", environments)).toBeUndefined();
    expect(closestName("prod", environments)).toBeUndefined();
    expect(closestName("production", [])).toBeUndefined();
  });

  it("words the suggestion as a hint's first sentence", () => {
    expect(didYouMean("producton", environments)).toBe("Did you mean production? ");
    expect(didYouMean("qa", environments)).toBe("");
  });
});
