#!/usr/bin/env bash
# The whole check, as CI and the README run it: prepare the machine, start the test servers, build and
# typecheck every package, check the layering rule, run every jest test, and print one summary line
#   N passed, N failed[, N skipped]
# computed from jest's JSON report. Exits non-zero if any step or test failed. Every step runs even
# when an earlier one failed, so one run shows everything that is wrong.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}" TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 FORCE_COLOR=0
mkdir -p .tmp
REPORT=.tmp/test-results.json
problems=()
step() { echo; echo "==> $*" >&2; }

step "setup (system packages, pnpm, dependencies)"
bash scripts/setup.sh || { echo "setup failed: see the messages above" >&2; exit 1; }

step "test servers (Redis, PostgreSQL, MariaDB, S3, ssh)"
bash scripts/services/all.sh >/dev/null || { echo "could not start the test servers: see the messages above" >&2; exit 1; }
# shellcheck disable=SC1091
. "${JFS_SERVICES_DIR:-/tmp/juicefs-services}/env"

# Build first: packages resolve each other through their package.json exports (dist/), so a
# package's typecheck needs its dependencies' declarations built.
step "build"
bash scripts/build.sh build || problems+=("build")
step "typecheck"
bash scripts/build.sh typecheck || problems+=("typecheck")

step "layering check"
node scripts/check-layering.mjs || problems+=("layering")

step "jest"
rm -f "$REPORT"
node_modules/.bin/jest --ci --maxWorkers=2 --passWithNoTests --json --outputFile="$REPORT" || true
if [ ! -s "$REPORT" ]; then
  echo "jest wrote no report ($REPORT): it failed before running tests; see above" >&2
  echo "0 passed, 0 failed"; exit 1
fi
summary="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  // Suites that failed to load (syntax errors, a throw at import) have no failed tests but did fail.
  const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0);
  for (const s of broken) console.error("suite failed to run: " + s.name.replace(process.cwd() + "/", ""));
  let line = `${r.numPassedTests} passed, ${r.numFailedTests} failed`;
  if (r.numPendingTests + r.numTodoTests > 0) line += `, ${r.numPendingTests + r.numTodoTests} skipped`;
  console.log(line);
  process.exitCode = r.numFailedTests > 0 || broken.length > 0 || r.success === false ? 1 : 0;
' "$REPORT")" || problems+=("jest")

echo
if [ "${#problems[@]}" -gt 0 ]; then echo "failed steps: ${problems[*]}" >&2; fi
echo "$summary"
[ "${#problems[@]}" -eq 0 ]
