/** Name templates (`${region}` ...) and GCP's naming rules for every name we generate. */

export interface TemplateVars {
  project: string;
  region?: string;
  regionShort?: string;
  primaryRegion?: string;
  sqlInstance?: string;
  tier?: string;
}

const PLACEHOLDER = /\$\{([A-Za-z]+)\}/g;
/** Late-bound references resolved by the engine, not by templating. */
const REF = /\$\{ref:[^}]+\}/g;

export function placeholders(template: string): string[] {
  return [...template.replace(REF, '').matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function usesRegion(template: string): boolean {
  return placeholders(template).some((p) => p === 'region' || p === 'regionShort' || p === 'sqlInstance' || p === 'tier');
}

export function usesPrimaryRegion(template: string): boolean {
  return placeholders(template).includes('primaryRegion');
}

/** Fill a template; unknown or unavailable placeholders are left as written (validation reports them). */
export function fill(template: string, vars: TemplateVars): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => {
    const v = (vars as unknown as Record<string, string | undefined>)[key];
    return v ?? whole;
  });
}

export type NameRule =
  | 'compute'
  | 'run'
  | 'redis'
  | 'sqlInstance'
  | 'bucket'
  | 'pubsub'
  | 'secret'
  | 'serviceAccount'
  | 'connector';

// GCP's documented rules, per API.
const RULES: Record<NameRule, { re: RegExp; text: string }> = {
  compute: { re: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, text: 'Compute names: 1-63 chars, lowercase letters, digits and -, letter first, no trailing -' },
  run: { re: /^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$/, text: 'Cloud Run service names: 1-49 chars, lowercase letters, digits and -, letter first, no trailing -' },
  redis: { re: /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, text: 'Memorystore instance ids: 1-40 chars, lowercase letters, digits and -, letter first, no trailing -' },
  sqlInstance: { re: /^[a-z]([-a-z0-9]{0,82}[a-z0-9])?$/, text: 'Cloud SQL instance ids: lowercase letters, digits and -, letter first, no trailing -, at most 84 chars' },
  bucket: { re: /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, text: 'bucket names: 3-63 chars, lowercase letters, digits, -, _ and ., alphanumeric at both ends' },
  pubsub: { re: /^[a-zA-Z][a-zA-Z0-9\-_.~+%]{2,254}$/, text: 'Pub/Sub ids: 3-255 chars, letter first, then letters, digits, - _ . ~ + %' },
  secret: { re: /^[a-zA-Z0-9_-]{1,255}$/, text: 'secret ids: 1-255 chars of letters, digits, - and _' },
  serviceAccount: { re: /^[a-z]([-a-z0-9]{4,28}[a-z0-9])$/, text: 'service account ids: 6-30 chars, lowercase letters, digits and -, letter first, no trailing -' },
  connector: { re: /^[a-z][-a-z0-9]{0,23}[a-z0-9]$/, text: 'VPC Access connector names: 2-25 chars, lowercase letters, digits and -, letter first, no trailing -' },
};

/** Why `name` breaks GCP's rule for its kind, or undefined if it is valid. */
export function nameProblem(rule: NameRule, name: string): string | undefined {
  const leftover = placeholders(name);
  if (leftover.length > 0) return `unknown placeholder \${${leftover[0]}} in "${name}"`;
  const r = RULES[rule];
  if (!r.re.test(name)) return `"${name}" is not a valid name (${r.text})`;
  if ((rule === 'pubsub' || rule === 'bucket') && name.startsWith('goog')) return `"${name}" must not start with "goog"`;
  if (rule === 'bucket' && /google|g00gle/.test(name)) return `"${name}" must not contain "google"`;
  return undefined;
}
