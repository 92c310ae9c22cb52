/**
 * What a user sees from the release commands on the local target, end to end with the built CLI and
 * the deploy fixture: status after `shipgate down` starts nothing, a release that crashes at start
 * shows its last output and log file, and rollback refuses a target that already serves or never
 * served.
 */
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runShipgate } from "./support/cli.js";
import { copyDeployFixture } from "./support/deploy-fixture.js";

const dirs: string[] = [];

async function project() {
  const { dir, url } = await copyDeployFixture();
  dirs.push(dir);
  return { url, sg: (...args: string[]) => runShipgate(args, dir) };
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

const answers = (url: string) =>
  fetch(`${url}/version`, { signal: AbortSignal.timeout(2000) }).then(
    (res) => res.arrayBuffer().then(() => true),
    () => false,
  );

describe("the release commands as a user sees them", () => {
  it("status after down starts nothing and says the target is not running", async () => {
    const p = await project();
    expect((await p.sg("deploy", "local", "--version", "good-a")).code).toBe(0);
    expect(await answers(p.url)).toBe(true);
    expect((await p.sg("down", "local")).code).toBe(0);

    const pretty = await p.sg("status", "local");
    expect(pretty.code, pretty.stderr).toBe(0);
    expect(pretty.stdout).toContain("current: good-a");
    expect(pretty.stdout).toContain(
      "target: not running (shipgate down, or the agent stopped) — the next deploy or rollback starts it",
    );
    const json = await p.sg("status", "local", "--format", "json");
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).instances).toBeNull();
    expect((await p.sg("history", "local")).code).toBe(0);
    // Nothing was started: no agent, no proxy.
    expect(await answers(p.url)).toBe(false);
  }, 60_000);

  it("a release that crashes at start shows its last output and log; rollback refuses what serves or never served", async () => {
    const p = await project();
    expect((await p.sg("deploy", "local", "--version", "good-a")).code).toBe(0);
    const bad = await p.sg("deploy", "local", "--version", "boot-fail");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(
      /\[\d+\/\d+\] wait until boot-fail is ready .* FAILED: instance \S+ of r-[0-9a-f]+ exited with code 1 before it was ready/,
    );
    expect(bad.stderr).toContain(
      "      | boot-fail: cannot read required setting PAYMENT_API_URL (simulated boot failure)",
    );
    expect(bad.stderr).toMatch(/Its full log: \/\S+\.log\./);

    const same = await p.sg("rollback", "local", "--to", "good-a");
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^good-a \(r-[0-9a-f]+\) already serves local: nothing to roll back\./);
    expect(same.stdout).not.toMatch(/Rolled back|Schema:/);

    const never = await p.sg("rollback", "local", "--to", "boot-fail");
    expect(never.code).toBe(2);
    expect(never.stderr).toMatch(/boot-fail \(r-[0-9a-f]+\) never served local/);
    expect(never.stderr).toContain("shipgate deploy local --version boot-fail");
    expect(await answers(p.url)).toBe(true);
  }, 60_000);
});
