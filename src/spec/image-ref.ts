/**
 * Container image references, by the grammar Docker and every OCI registry use
 * (github.com/distribution/reference, regexp.go):
 *   reference := name [":" tag] ["@" digest];  name := [domain "/"] path-component ["/" path-component]*
 * Cloud Run takes the same form. Checked before anything is deployed: an image the registry
 * cannot even name fails only once a revision is made, minutes later, per region.
 */
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
/** The grammar's limit on the name part. */
const NAME_MAX = 255;

/** Undefined for a valid reference, else what is wrong with it. */
export function imageRefProblem(ref: string): string | undefined {
  const m = REFERENCE.exec(ref);
  if (!m) {
    if (ref.trim() === '') return 'an image reference is required (e.g. us-docker.pkg.dev/PROJECT/REPO/ruvector:1.4.0)';
    if (REFERENCE.test(ref.toLowerCase())) return `${JSON.stringify(ref)} is not an image reference: repository names are lowercase`;
    return `${JSON.stringify(ref)} is not an image reference (REGISTRY/PATH[:TAG][@sha256:DIGEST], e.g. us-docker.pkg.dev/PROJECT/REPO/ruvector:1.4.0)`;
  }
  if (m[1]!.length > NAME_MAX) return `image name longer than ${NAME_MAX} characters`;
  return undefined;
}
