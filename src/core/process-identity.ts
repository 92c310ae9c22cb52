/**
 * Who and what is running: the `user@host` recorded as the actor of migrations and deploys, and
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

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
