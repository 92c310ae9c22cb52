/**
 * Who and what is running: the actor recorded for migrations, deploys and flag changes, and
 * whether a process is still alive (to tell a dead lock holder or agent from a live one).
 */
import { hostname, userInfo } from "node:os";

/** `user@host`; $USER when the user has no passwd entry (containers). */
export function whoAmI(env: NodeJS.ProcessEnv): string {
  let user = env.USER ?? env.USERNAME ?? "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's answer
  }
  return `${user}@${hostname()}`;
}

/** Who acts (deploys, flag changes, tokens): $SHIPGATE_ACTOR, else the GitHub Actions actor, else user@host. */
export function defaultActor(env: NodeJS.ProcessEnv): string {
  if (env.SHIPGATE_ACTOR) return env.SHIPGATE_ACTOR;
  if (env.GITHUB_ACTOR) return `${env.GITHUB_ACTOR} (GitHub Actions)`;
  return whoAmI(env);
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
