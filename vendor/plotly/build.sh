#!/usr/bin/env bash
# Rebuilds vendor/plotly/plotly.min.js, the slim plotly.js the app serves in place of the full
# bundle (`make plotly-bundle`). Needs node and npm; installs into a temporary directory, so
# nothing lands in the repository but the bundle and its manifest.
#
# Versions are pinned here rather than in a committed package-lock.json (a lock file records
# the registry's URLs). plotly.js's own dependencies are ranges, so npm resolves them as of
# RESOLVE_BEFORE: a rebuild picks the same versions, and bundle.json lists them.
set -euo pipefail

PLOTLY_VERSION=4.1.1   # keep equal to the python plotly package's bundle (see README.md)
ESBUILD_VERSION=0.28.2
RESOLVE_BEFORE=2026-10-01
TRACES="scatter bar heatmap funnel"  # what entry.js registers; the build fails if the bundle differs

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/plotly-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT

cp "$here/entry.js" "$work/"
cd "$work"
echo '{"private": true}' >package.json
npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error \
    --before="$RESOLVE_BEFORE" "plotly.js@$PLOTLY_VERSION" "esbuild@$ESBUILD_VERSION"

# plotly.js's banner, naming what this bundle holds.
banner=$(head -n 6 node_modules/plotly.js/dist/plotly.min.js |
    sed "s|^\* plotly.js v|* plotly.js (pulseboard: ${TRACES// /, } - minified) v|")
# The options of plotly.js's own esbuild-config.js that apply to these traces, minified as its
# dist bundles are. Its one CSS import (maplibre's, for map traces only) is left out: no GLSL or
# CSS plugins needed.
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
    --target=es2016 --define:global=window --define:define.amd=false \
    --define:process.env.NODE_DEBUG=false --alias:stream=stream-browserify --loader:.css=empty \
    --banner:js="$banner" --metafile=meta.json --log-level=warning --outfile=plotly.min.js

built=$(grep -o 'moduleType:"trace",name:"[a-z0-9]*"' plotly.min.js | sed 's/.*name:"\(.*\)"/\1/' | tr '\n' ' ')
if [ "${built% }" != "$TRACES" ]; then
    echo "bundle registers trace types '${built% }', expected '$TRACES'" >&2
    exit 1
fi

node - "$PLOTLY_VERSION" "$ESBUILD_VERSION" "$RESOLVE_BEFORE" "$TRACES" <<'JS' >bundle.json
const fs = require('fs');
const crypto = require('crypto');
const [plotly, esbuild, before, traces] = process.argv.slice(2);
const data = fs.readFileSync('plotly.min.js');
// Every npm package whose code is in the bundle: the version built, and its licence.
const packages = {};
const output = JSON.parse(fs.readFileSync('meta.json')).outputs['plotly.min.js'];
for (const [input, {bytesInOutput}] of Object.entries(output.inputs)) {
    const m = bytesInOutput > 0 && !input.endsWith('.css') && input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (!m) continue;
    const {version, license} = JSON.parse(fs.readFileSync(`node_modules/${m[1]}/package.json`));
    packages[m[1]] = `${version} (${license})`;
}
const sorted = Object.fromEntries(Object.keys(packages).sort().map((k) => [k, packages[k]]));
const manifest = {
    plotly_js: plotly, esbuild, resolved_before: before, traces: traces.split(' '),
    bytes: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex'),
    packages: sorted,
};
process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
JS

cp plotly.min.js bundle.json "$here/"
cp node_modules/plotly.js/LICENSE "$here/LICENSE"
echo "built $here/plotly.min.js ($(wc -c <plotly.min.js) bytes; traces: $TRACES)"
