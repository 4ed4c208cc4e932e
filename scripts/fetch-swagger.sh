#!/usr/bin/env bash
# fetch-swagger.sh: install Swagger UI (npm package swagger-ui-dist, major
# version 5) into OUTDIR, with an index.html that loads /openapi.json.
# nginx serves OUTDIR at /docs (nginx/dev.conf.in).
#
# usage: scripts/fetch-swagger.sh OUTDIR
#
# A no-op when OUTDIR already has the files. /docs is optional for the
# build and the tests, so when npm is missing or fails this prints one
# line and exits 0.
set -euo pipefail

(($# == 1)) || {
	echo "usage: ${0##*/} OUTDIR" >&2
	exit 2
}
out=$1
pkg=swagger-ui-dist@5
assets=(swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js
	favicon-16x16.png favicon-32x32.png)
ours=(index.html swagger-initializer.js)

have_all() {
	local f
	for f in "${assets[@]}" "${ours[@]}"; do
		[[ -s $out/$f ]] || return 1
	done
}

have_all && exit 0

skip() {
	echo "${0##*/}: $*; /docs will answer 404 (the rest works without it)" >&2
	exit 0
}

command -v npm >/dev/null 2>&1 || skip "npm not found, Swagger UI not installed"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# npm pack checks the tarball against the registry's integrity hash.
# A private cache keeps ~/.npm clean; the retry and time limits keep an
# offline machine from waiting for minutes.
if ! (cd "$tmp" && timeout 180 npm pack "$pkg" --loglevel error \
	--cache "$tmp/cache" --fetch-retries 1 --fetch-timeout 60000 \
	>"$tmp/pack.out" 2>"$tmp/pack.err"); then
	skip "npm pack $pkg failed: $(grep -m 1 'npm error' "$tmp/pack.err" || echo 'timed out')"
fi
tgz=$(tail -n 1 "$tmp/pack.out")
[[ -f $tmp/$tgz ]] || skip "npm pack $pkg produced no tarball"
tar -xzf "$tmp/$tgz" -C "$tmp"
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n 1)

mkdir -p "$out"
for f in "${assets[@]}"; do
	[[ -f $tmp/package/$f ]] || skip "$pkg has no $f"
	install -m 0644 "$tmp/package/$f" "$out/$f"
done
printf '%s\n' "$version" >"$out/VERSION"

# The start-up script is a file, not inline, so the page works under a
# Content-Security-Policy without 'unsafe-inline' scripts. URLs are
# absolute because nginx serves the page at both /docs and /docs/.
cat >"$out/swagger-initializer.js" <<'EOF'
window.onload = function () {
	window.ui = SwaggerUIBundle({
		url: "/openapi.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		validatorUrl: null,
		presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
		plugins: [SwaggerUIBundle.plugins.DownloadUrl],
		layout: "StandaloneLayout"
	});
};
EOF
cat >"$out/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>quetzal API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js" charset="utf-8"></script>
<script src="/docs/swagger-ui-standalone-preset.js" charset="utf-8"></script>
<script src="/docs/swagger-initializer.js" charset="utf-8"></script>
</body>
</html>
EOF
echo "${0##*/}: Swagger UI $version installed in $out" >&2
