/**
 * Proxy benchmark: throughput and p99 latency of shipgate's proxy (the real local agent, started
 * detached through createLocalTarget, with its proxy workers), measured in the same run against
 * going direct to the application and against nginx (Debian's /usr/sbin/nginx) as the proxy.
 *
 *   npm run bench:proxy
 *   npm run bench:proxy -- --duration 10 --connections 64 --threads 2 --rounds 3
 *   npm run bench:proxy -- --workers 1          # proxy worker processes (default: the agent's)
 *   npm run bench:proxy -- --clients            # also minimal node:http and undici proxies (same worker count)
 *
 * The application (bench/fixtures/proxy-app.mjs, a keep-alive server answering a short body) runs as
 * two instances supervised by the agent; nginx proxies to the same two instances (upstream keepalive,
 * worker_processes auto, config, pid and logs in a temp dir). Each configuration is measured with
 * `wrk -t<threads> -c<connections> -d<duration>s --latency`, round-robin over the configurations,
 * after a warm-up run of each; "direct" runs two wrk processes at once, one per instance, with half
 * the threads and connections each. Reported: the median over rounds of requests/s and p99, and the
 * CPU time the proxy processes used per request (from /proc, robust to other load on the machine).
 * Targets (issue #7): shipgate ≥ 60% of nginx's throughput, p99 within 2×.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLocalTarget, stopLocalAgent } from "../src/deploy/targets/local/index.js";
import { freePort } from "../src/deploy/targets/local/supervisor.js";
import { median } from "./lib.js";

const repoRoot = resolve(import.meta.dirname, "..");
const fixtures = join(repoRoot, "bench/fixtures");
const nginxBin = "/usr/sbin/nginx";
const wrkBin = "/usr/bin/wrk";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "3" },
    workers: { type: "string" },
    clients: { type: "boolean", default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const threads = Number(args.threads);
const rounds = Number(args.rounds);

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return { rps, p50Ms: p50, p99Ms: p99, requests, errors: non2xx + socketErrors };
}

function wrk(url: string, t: number, c: number, seconds: number): Promise<WrkResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(wrkBin, [`-t${t}`, `-c${c}`, `-d${seconds}s`, "--latency", url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolvePromise(parseWrk(out)));
  });
}

/** CPU seconds (user + system) used so far by the processes. */
function cpuSeconds(pids: readonly number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // Exited.
    }
  }
  return total;
}

function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited while listing.
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

interface Config {
  name: string;
  urls: string[];
  /** The proxy's processes, for CPU per request (none for direct). */
  proxyPids: () => number[];
}

interface Sample extends WrkResult {
  cpuUsPerRequest: number;
}

async function measure(config: Config, seconds: number): Promise<Sample> {
  const pids = config.proxyPids();
  const before = cpuSeconds(pids);
  let result: WrkResult;
  if (config.urls.length === 1) {
    result = await wrk(config.urls[0] as string, threads, connections, seconds);
  } else {
    const each = await Promise.all(
      config.urls.map((url) =>
        wrk(url, Math.max(1, threads / config.urls.length), connections / config.urls.length, seconds),
      ),
    );
    result = {
      rps: each.reduce((s, r) => s + r.rps, 0),
      p50Ms: Math.max(...each.map((r) => r.p50Ms)),
      p99Ms: Math.max(...each.map((r) => r.p99Ms)),
      requests: each.reduce((s, r) => s + r.requests, 0),
      errors: each.reduce((s, r) => s + r.errors, 0),
    };
  }
  const used = cpuSeconds(pids) - before;
  return { ...result, cpuUsPerRequest: pids.length === 0 ? 0 : (used * 1e6) / Math.max(1, result.requests) };
}

function nginxConfig(dir: string, port: number, upstreams: number[]): string {
  const temp = (name: string) => join(dir, name);
  return `worker_processes auto;
pid ${temp("nginx.pid")};
error_log ${temp("error.log")} warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${temp("client_body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream app {
${upstreams.map((p) => `    server 127.0.0.1:${p};`).join("\n")}
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }
}
`;
}

async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > until) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  for (const bin of [wrkBin, nginxBin]) {
    if (!existsSync(bin)) throw new Error(`${bin} is required (apt-get install wrk nginx)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "shipgate-bench-proxy-"));
  const children: ChildProcess[] = [];
  const port = await freePort();
  let previewPort = await freePort();
  while (previewPort === port) previewPort = await freePort();
  const target = {
    type: "local" as const,
    host: "127.0.0.1",
    port,
    previewPort,
    instances: 2,
    stateDir: join(dir, "run"),
  };
  writeFileSync(
    join(dir, "shipgate.yaml"),
    `environments:\n  bench:\n    target:\n      type: local\n      port: ${port}\n      previewPort: ${previewPort}\n      stateDir: ${target.stateDir}\n`,
  );
  const cleanup = async () => {
    await stopLocalAgent({ configDir: dir, environment: "bench", target, timeoutMs: 10_000 }).catch(
      () => false,
    );
    for (const child of children) child.kill("SIGTERM");
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    // The agent runs from source through tsx (its proxy workers too): the same code as dist/.
    const local = createLocalTarget({
      configDir: dir,
      environment: "bench",
      target,
      cliEntry: join(repoRoot, "src/cli/main.ts"),
      ...(args.workers !== undefined ? { agentEnv: { SHIPGATE_PROXY_WORKERS: args.workers } } : {}),
    });
    await local.ensureRunning();
    const probe = { path: "/", interval: 1000, timeout: 2000, successThreshold: 1, failureThreshold: 3 };
    const ids = await local.startInstances(
      {
        releaseId: "r-bench",
        cwd: fixtures,
        command: `"${process.execPath}" proxy-app.mjs`,
        env: { APP_VERSION: "v1" },
        readiness: probe,
        liveness: probe,
      },
      2,
    );
    await local.waitReady(ids, 30_000);
    await local.setTraffic([{ releaseId: "r-bench", weight: 100 }]);
    const instances = (await local.instances()).filter((i) => ids.includes(i.id));
    const appPorts = instances.map((i) => i.port);
    const state = await local.state();
    const agentPid = state.pid;
    const instancePids = new Set(instances.flatMap((i) => (i.pid ? processTree(i.pid) : [])));
    const agentPids = () => processTree(agentPid).filter((p) => !instancePids.has(p));

    const nginxPort = await freePort();
    writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, nginxPort, appPorts));
    const nginx = spawn(nginxBin, ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: "ignore" });
    children.push(nginx);
    await waitForHttp(`http://127.0.0.1:${nginxPort}/`);

    const configs: Config[] = [
      {
        name: "direct (2 instances)",
        urls: appPorts.map((p) => `http://127.0.0.1:${p}/`),
        proxyPids: () => [],
      },
      { name: "shipgate proxy", urls: [`${local.publicUrl}/`], proxyPids: agentPids },
      {
        name: "nginx",
        urls: [`http://127.0.0.1:${nginxPort}/`],
        proxyPids: () => processTree(nginx.pid as number),
      },
    ];
    const workers = agentPids().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("proxy-worker");
      } catch {
        return false;
      }
    }).length;
    if (args.clients) {
      // Same number of worker processes as shipgate's proxy, so the comparison is of the code alone.
      for (const mode of ["node-http", "undici"]) {
        const p = await freePort();
        const child = spawn(
          process.execPath,
          [join(fixtures, "naive-proxy.mjs"), mode, String(p), ...appPorts.map(String)],
          { stdio: "ignore", env: { ...process.env, SHIPGATE_BENCH_WORKERS: String(workers) } },
        );
        children.push(child);
        await waitForHttp(`http://127.0.0.1:${p}/`);
        configs.push({
          name: `minimal ${mode} proxy`,
          urls: [`http://127.0.0.1:${p}/`],
          proxyPids: () => processTree(child.pid as number),
        });
      }
    }

    console.log(
      `proxy benchmark: wrk -t${threads} -c${connections} -d${duration}s --latency, ${rounds} rounds; ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}; shipgate proxy workers: ${workers}`,
    );
    for (const config of configs) await measure(config, Number(args.warmup));
    const samples = new Map<string, Sample[]>(configs.map((c) => [c.name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = configs.map((_, i) => configs[(i + round) % configs.length] as Config);
      for (const config of order) {
        const sample = await measure(config, duration);
        samples.get(config.name)?.push(sample);
        console.log(
          `  round ${round + 1} ${config.name.padEnd(26)} ${fmt(sample.rps).padStart(8)} req/s  p99 ${fmt(sample.p99Ms, 2).padStart(7)} ms${sample.errors ? `  errors ${sample.errors}` : ""}`,
        );
      }
    }

    const summary = configs.map((c) => {
      const s = samples.get(c.name) ?? [];
      return {
        name: c.name,
        rps: median(s.map((x) => x.rps)),
        p50: median(s.map((x) => x.p50Ms)),
        p99: median(s.map((x) => x.p99Ms)),
        cpu: median(s.map((x) => x.cpuUsPerRequest)),
        errors: s.reduce((n, x) => n + x.errors, 0),
      };
    });
    console.log("");
    console.log(
      `${"configuration".padEnd(26)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"proxy CPU µs/req".padStart(17)} errors`,
    );
    for (const s of summary) {
      console.log(
        `${s.name.padEnd(26)} ${fmt(s.rps).padStart(9)} ${fmt(s.p50, 2).padStart(8)} ${fmt(s.p99, 2).padStart(8)} ${(s.cpu ? fmt(s.cpu, 1) : "-").padStart(17)} ${s.errors}`,
      );
    }
    const ours = summary[1] as (typeof summary)[number];
    const theirs = summary[2] as (typeof summary)[number];
    const direct = summary[0] as (typeof summary)[number];
    const throughput = ours.rps / theirs.rps;
    const tail = ours.p99 / theirs.p99;
    console.log("");
    console.log(
      `shipgate / nginx: throughput ${fmt(throughput * 100, 1)}% (target ≥ 60%), p99 ${fmt(tail, 2)}× (target ≤ 2×) — ${throughput >= 0.6 && tail <= 2 ? "targets met" : "targets not met"}`,
    );
    for (const other of summary.slice(3)) {
      console.log(
        `${other.name} / nginx: throughput ${fmt((other.rps / theirs.rps) * 100, 1)}%, p99 ${fmt(other.p99 / theirs.p99, 2)}×; shipgate / ${other.name}: ${fmt((ours.rps / other.rps) * 100, 0)}%`,
      );
    }
    console.log(
      `shipgate / direct: throughput ${fmt((ours.rps / direct.rps) * 100, 0)}%; nginx / direct: ${fmt((theirs.rps / direct.rps) * 100, 0)}%`,
    );
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
