#!/usr/bin/env bash
# Re-fetch the vendored web assets of the API (run by hand, never at run time): the console's htmx
# (supply/api/console/static/htmx/) and the API docs' Swagger UI and ReDoc (supply/api/static/docs/).
# Only the dist files the pages load are kept, each beside its package's licence.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent htmx.org@2.0.11 swagger-ui-dist@5.35.0 redoc@2.5.4 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
mkdir -p supply/api/console/static/htmx supply/api/static/docs/swagger-ui supply/api/static/docs/redoc
cp "$tmp"/htmx.org-2.0.11/package/dist/htmx.min.js "$tmp"/htmx.org-2.0.11/package/LICENSE supply/api/console/static/htmx/
cp "$tmp"/swagger-ui-dist-5.35.0/package/{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} supply/api/static/docs/swagger-ui/
cp "$tmp"/swagger-ui-dist-5.35.0/package/favicon-32x32.png supply/api/static/docs/swagger-ui/
cp "$tmp"/redoc-2.5.4/package/bundles/redoc.standalone.js "$tmp"/redoc-2.5.4/package/LICENSE supply/api/static/docs/redoc/
sha256sum "$tmp"/*.tgz
