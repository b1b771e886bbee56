#!/usr/bin/env bash
# Synthesizes test/python/app.py with the built wheel and aws-cdk-lib from PyPI in a fresh virtual
# environment, and compares the templates with the TypeScript twin (test/python/reference-app.ts):
# equal once asset hashes are masked, and no GWLB path validator error in either.
#
#   npm run build && bash test/python/synth-check.sh
#
# Needs PyPI (aws-cdk-lib, constructs, jsii, publication, typeguard, cattrs ...), so it is not part
# of `npm test`; `npm test` checks the wheel itself (test/python/wheel.test.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node scripts/python-package.js "$work/wheel"
cdk_version=$(node -p "require('aws-cdk-lib/package.json').version")
python3 -m venv "$work/env"
"$work/env/bin/pip" install --quiet --disable-pip-version-check "$work"/wheel/*.whl "aws-cdk-lib==$cdk_version"

"$work/env/bin/python" test/python/app.py "$work/py.out"
npx ts-node --transpile-only test/python/reference-app.ts "$work/ts.out"
npx ts-node --transpile-only test/python/compare-templates.ts "$work/ts.out" "$work/py.out"
echo "synth-check: ok in $(( $(date +%s) - start )) s"
