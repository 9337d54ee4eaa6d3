#!/usr/bin/env node
// Usage: node scripts/service-dependencies.mjs dist/service
//
// Rewrites package.json's dependencies to the packages the compiled service imports, so that
// `npm prune --omit=dev` after it leaves the image only what the service runs (the CLI's
// Google Cloud clients, oclif and PGlite stay out: ~100 MB of node_modules, not ~260).
// Run from service/Dockerfile's build stage; the list is read from the code, not kept by hand.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: service-dependencies.mjs <compiled service directory>');
  process.exit(2);
}

function* jsFiles(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.isDirectory()) yield* jsFiles(join(d, e.name));
    else if (e.name.endsWith('.js')) yield join(d, e.name);
  }
}

// import … from 'x', import 'x', import('x'), require('x'), require.resolve('x'), createRequire(…).resolve('x')
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\.resolve\s*\(\s*)(['"])([^'"./][^'"]*)\1/g;
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

const used = new Set();
for (const f of jsFiles(dir)) {
  for (const m of readFileSync(f, 'utf8').matchAll(SPECIFIER)) {
    const spec = m[2];
    if (spec.startsWith('node:') || builtinModules.includes(packageOf(spec))) continue;
    used.add(packageOf(spec));
  }
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const deps = pkg.dependencies ?? {};
const dev = pkg.devDependencies ?? {};
const unlisted = [...used].filter((n) => !(n in deps) && !(n in dev));
if (unlisted.length) {
  console.error(`service-dependencies: the service imports ${unlisted.join(', ')}, which package.json does not list`);
  process.exit(1);
}
// A devDependency the service names (tsx, to run its own .ts sources in tests) is not used by the build.
const kept = Object.fromEntries(Object.entries(deps).filter(([n]) => used.has(n)));
const dropped = Object.keys(deps).filter((n) => !used.has(n));
pkg.dependencies = kept;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
console.error(`service-dependencies: kept ${Object.keys(kept).length} (${Object.keys(kept).join(', ')}); dropped ${dropped.length}`);
