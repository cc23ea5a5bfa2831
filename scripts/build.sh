#!/usr/bin/env bash
# Build (tsc -> dist/) or typecheck every workspace package, dependencies first.
#   bash scripts/build.sh            build all
#   bash scripts/build.sh typecheck  typecheck all (sources and tests), after building
# Calls tsc directly rather than through turbo/pnpm: fewer moving parts, and nothing that shells
# out to `ps` (which hangs while any FUSE mount on the machine is wedged). Keeps going after a
# failure and exits non-zero if any package failed, naming them.
set -uo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-build}"
TSC="$PWD/node_modules/.bin/tsc"
failed=()
for pkg in $(node scripts/packages-in-order.mjs); do
  dir="packages/$pkg"
  if [ "$MODE" = typecheck ]; then
    [ -f "$dir/tsconfig.json" ] || continue
    (cd "$dir" && "$TSC" -p tsconfig.json --noEmit) || failed+=("$pkg")
  else
    [ -f "$dir/tsconfig.build.json" ] || continue
    (cd "$dir" && "$TSC" -p tsconfig.build.json) || failed+=("$pkg")
  fi
done
# The suites under tests/ (e2e, faults...) live outside the packages; typecheck them too.
if [ "$MODE" = typecheck ]; then
  for cfg in tests/*/tsconfig.json; do
    [ -f "$cfg" ] || continue
    "$TSC" -p "$cfg" --noEmit || failed+=("$(dirname "$cfg")")
  done
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "$MODE failed in: ${failed[*]}" >&2
  exit 1
fi
echo "$MODE ok" >&2
