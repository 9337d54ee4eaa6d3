/** Google Cloud resource names ('projects/p/locations/l/services/s' and the like). */

/** The last path segment: the resource's own id ('.../services/s' -> 's'); the whole string when it has no '/'. */
export function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** 'projects/p/regions/r/subnetworks/x' | 'projects/p/locations/r/...' -> r */
export function regionFromName(name: string): string | undefined {
  return /\/(?:regions|locations)\/([^/]+)\//.exec(name)?.[1];
}
