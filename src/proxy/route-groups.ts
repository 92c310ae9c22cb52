/**
 * Route groups: the proxy counts requests, errors and latency per release and per route group, so a
 * slow endpoint shows up as itself rather than averaged away. Configured groups are path prefixes
 * (the first that matches wins, the rest is "other"); without configuration a request's group is its
 * first path segment ("/items/42" → "/items"), kept to segments that look like names and to a bounded
 * number of groups so ids in paths cannot explode the series.
 */

export interface RouteGroup {
  name: string;
  /** A path prefix, e.g. "/api/" or "/items". */
  prefix: string;
}

/** Automatic groups per proxy process; requests beyond them count as "other". */
export const maxAutomaticGroups = 32;

const namelike = /^[A-Za-z][\w.-]{0,39}$/;

/** A function from a request URL (path and query) to its route group. */
export function createRouteGrouper(groups: readonly RouteGroup[] = []): (url: string) => string {
  if (groups.length > 0) {
    return (url) => {
      for (const group of groups) if (url.startsWith(group.prefix)) return group.name;
      return "other";
    };
  }
  const seen = new Set<string>();
  return (url) => {
    let end = url.indexOf("/", 1);
    const query = url.indexOf("?");
    if (query !== -1 && (end === -1 || query < end)) end = query;
    const segment = end === -1 ? url.slice(1) : url.slice(1, end);
    if (segment === "") return "/";
    if (!namelike.test(segment)) return "other";
    const group = `/${segment}`;
    if (seen.has(group)) return group;
    if (seen.size >= maxAutomaticGroups) return "other";
    seen.add(group);
    return group;
  };
}
