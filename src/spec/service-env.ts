/**
 * The Cloud Run container's environment as the spec makes it (the seed's defaults merged
 * with service.env and service.secretEnv), against Cloud Run's rules and one of ours: a
 * secret's value never goes into a plain variable.
 */
import type { Check } from './check.js';
import { DEFAULT_ENV, DEFAULT_SECRET_ENV } from './schema.js';

/**
 * "You can set a maximum of 1000 environment variables for a Cloud Run service"
 * (https://cloud.google.com/run/docs/configuring/services/overview-environment-variables).
 */
export const MAX_ENV_VARS = 1000;
/** run v2 EnvVar (k8s.min.proto): a name "must not exceed 32768 characters", a value's "maximum length is 32768 bytes". */
export const MAX_ENV_NAME_CHARS = 32_768;
export const MAX_ENV_VALUE_BYTES = 32_768;
/** Set by Cloud Run's container runtime contract; a service may not set them. */
const RESERVED = new Set(['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']);
/** A late-bound reference to a secret version's data (topology/refs.ts). */
const PAYLOAD_REF = /\$\{ref:([^#}]*)#payload\}/;

export const checkServiceEnv: Check = (spec, out, written) => {
  const s = spec.service;
  const env = s.env ?? {};
  const secretEnv = s.secretEnv ?? {};
  for (const [name, value] of Object.entries(env)) {
    const m = PAYLOAD_REF.exec(value);
    if (m) {
      const secret = /\/secrets\/([^/#]+)/.exec(m[1]!)?.[1];
      out.push({
        path: ['service', 'env', name],
        message: `this puts a secret's value in a plain env var, readable by anyone who can view the service; use service.secretEnv.${name}: { secret: ${secret ?? '<secret id>'} } (a secretKeyRef) instead`,
      });
    }
    if (Buffer.byteLength(value, 'utf8') > MAX_ENV_VALUE_BYTES) out.push({ path: ['service', 'env', name], message: `Cloud Run allows env values of at most ${MAX_ENV_VALUE_BYTES} bytes` });
  }
  for (const [where, map] of [['env', env], ['secretEnv', secretEnv]] as const) {
    for (const name of Object.keys(map)) {
      if (RESERVED.has(name)) out.push({ path: ['service', where, name], atKey: true, message: `${name} is set by Cloud Run itself (container runtime contract); a service cannot set it` });
      if (name.length > MAX_ENV_NAME_CHARS) out.push({ path: ['service', where, name], atKey: true, message: `Cloud Run allows env names of at most ${MAX_ENV_NAME_CHARS} characters` });
    }
  }

  // What the container gets, as topology/build/run.ts builds it: "" removes a plain default,
  // and a default secret env var whose secret the spec does not declare is left out.
  const plain = Object.entries({ ...DEFAULT_ENV, ...env }).filter(([, v]) => v !== '').map(([n]) => n);
  const declared = new Set(spec.secrets.map((x) => x.name));
  const fromSecrets = Object.entries({ ...DEFAULT_SECRET_ENV, ...secretEnv })
    .filter(([n, ref]) => secretEnv[n] || declared.has(ref.secret))
    .map(([n]) => n);
  const secretNames = new Set(fromSecrets);
  for (const name of plain) {
    if (secretNames.has(name) && env[name] !== undefined) {
      out.push({
        path: ['service', 'env', name],
        atKey: true,
        message: `${name} also comes from a secret (${secretEnv[name] ? 'service.secretEnv' : "the seed's secretEnv default"}); one variable cannot be both`,
      });
    }
  }
  const total = plain.length + fromSecrets.length;
  if (total > MAX_ENV_VARS) {
    out.push({
      path: ['service', written.has(['service', 'env']) ? 'env' : 'secretEnv'],
      message: `the service would get ${total} environment variables (${plain.length} plain, ${fromSecrets.length} from secrets, the seed's defaults included); Cloud Run allows at most ${MAX_ENV_VARS}`,
    });
  }
};
