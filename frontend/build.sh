#!/usr/bin/env bash
# Rebuilds the committed front-end assets under portal/static/:
#   govuk/css/app.css, govuk/js/govuk-frontend.min.js, govuk/assets/{images,manifest.json}
#   vendor/chart.js/chart.umd.min.js
# Usage (from anywhere): bash frontend/build.sh
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$FRONTEND_DIR/.." && pwd)"
STATIC_DIR="$REPO_ROOT/portal/static"
GOVUK_OUT="$STATIC_DIR/govuk"
CHARTJS_OUT="$STATIC_DIR/vendor/chart.js"

cd "$FRONTEND_DIR"
npm ci --no-audit --no-fund

NM="$FRONTEND_DIR/node_modules"
GOVUK_DIST="$NM/govuk-frontend/dist/govuk"

# Only these two output directories are owned (and wiped) by this script.
rm -rf "$GOVUK_OUT" "$CHARTJS_OUT"
mkdir -p "$GOVUK_OUT/css" "$GOVUK_OUT/js" "$GOVUK_OUT/assets/images" "$CHARTJS_OUT"

# Strip a trailing "//# sourceMappingURL=..." comment: the .map files are not
# shipped, and Django's ManifestStaticFilesStorage fails collectstatic on a
# source map reference to a missing file.
copy_without_sourcemap() {
  sed -E 's@//# sourceMappingURL=[^[:space:]]*$@@' "$1" > "$2"
}

# 1. CSS: single compressed file, no source map.
"$NM/.bin/sass" --pkg-importer=node --no-source-map --style=compressed \
  "$FRONTEND_DIR/scss/app.scss" "$GOVUK_OUT/css/app.css"

# 2. GOV.UK Frontend JS (ES module bundle: import { initAll } from it).
copy_without_sourcemap "$GOVUK_DIST/govuk-frontend.min.js" "$GOVUK_OUT/js/govuk-frontend.min.js"

# 3. Images + web app manifest. Fonts are NOT copied (no GDS Transport).
#    govuk-opengraph-image.png (crown + logotype only) is dropped: nothing in
#    the CSS or manifest.json references it. govuk-crest.svg is kept (footer CSS).
cp "$GOVUK_DIST/assets/manifest.json" "$GOVUK_OUT/assets/manifest.json"
for img in "$GOVUK_DIST"/assets/images/*; do
  case "$(basename "$img")" in
    govuk-opengraph-image.png) ;;
    *) cp "$img" "$GOVUK_OUT/assets/images/" ;;
  esac
done

# 4. Chart.js UMD build (exposes window.Chart).
CHART_SRC="$NM/chart.js/dist/chart.umd.min.js"
[[ -f "$CHART_SRC" ]] || CHART_SRC="$NM/chart.js/dist/chart.umd.js"
copy_without_sourcemap "$CHART_SRC" "$CHARTJS_OUT/chart.umd.min.js"

# 5. Licences. chart.js ships LICENSE.md. The govuk-frontend npm package ships
#    no licence file (MIT per its package.json and README), so write upstream's
#    LICENSE.txt (github.com/alphagov/govuk-frontend) verbatim.
cp "$NM/chart.js/LICENSE.md" "$CHARTJS_OUT/LICENSE.md"
[[ "$(node -p "require('$NM/govuk-frontend/package.json').license")" == "MIT" ]]
cat > "$GOVUK_OUT/LICENSE.txt" <<'LICENCE'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENCE

# 6. Sanity checks: no GDS Transport, every url() in the CSS resolves.
CSS="$GOVUK_OUT/css/app.css"
if grep -q -e "GDS Transport" -e "woff" "$CSS"; then
  echo "ERROR: GDS Transport / webfont reference found in $CSS" >&2
  exit 1
fi
while IFS= read -r url; do
  case "$url" in data:*|http:*|https:*|//*|\#*) continue ;; esac
  if [[ ! -f "$GOVUK_OUT/css/$url" ]]; then
    echo "ERROR: $CSS references missing file: $url" >&2
    exit 1
  fi
done < <(grep -oE 'url\([^)]*\)' "$CSS" | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//' | sort -u)

echo "Built assets (bytes, path):"
cd "$REPO_ROOT"
find portal/static/govuk portal/static/vendor/chart.js -type f -printf '%10s  %p\n' | sort -k2
