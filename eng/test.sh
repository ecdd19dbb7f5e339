#!/usr/bin/env bash
# The README's test command: installs what the tests need (eng/bootstrap.sh), builds the
# solution with warnings as errors, runs every test project (at once) against the real stores,
# prints each project's wall time, and ends with the line "N passed, N failed, N skipped".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash eng/bootstrap.sh
dotnet build Mnemora.sln --configuration Release

results="$ROOT/artifacts/test-results"
logs="$ROOT/artifacts/test-logs"
rm -rf "$results" "$logs"
mkdir -p "$logs"

# Test projects run at once, each its own process (they share no system; most of their time is waiting on
# stores and processes, not CPU). The longest starts first. MNEMORA_TEST_JOBS caps how many run together.
# Every tests/*.Tests project runs; the known long ones first, so a new project can never be skipped.
longest_first=(Resilience Api Dashboard Client Agents Storage Unit)
projects=()
for name in "${longest_first[@]}"; do
  if [[ -d "tests/Mnemora.$name.Tests" ]]; then projects+=("tests/Mnemora.$name.Tests"); fi
done
for dir in tests/*.Tests; do
  if [[ " ${projects[*]} " != *" $dir "* ]]; then projects+=("$dir"); fi
done
# Three at once: each project runs whole systems (the resilience suite several), and with more at once two
# cores starve the emulators past the store timeouts (503s) and systems past their start timeout.
jobs_max="${MNEMORA_TEST_JOBS:-3}"
declare -A started=() pids=()
run_project() {
  local name
  name="$(basename "$1")"
  dotnet test "$1" --configuration Release --no-build \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/$name" "${@:2}" \
    >"$logs/$name.log" 2>&1
}

status=0
for project in "${projects[@]}"; do
  [[ -d "$project" ]] || continue
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n || true; done
  name="$(basename "$project")"
  started[$name]=$SECONDS
  ( code=0; run_project "$project" "$@" || code=$?; echo "$code $SECONDS" >"$logs/$name.done"; exit "$code" ) &
  pids[$name]=$!
  echo "test: started $name"
done

wait || true
# Each project's exit code is in its .done file (a job reaped early by `wait -n` cannot be waited for again).
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  [[ -f "$logs/$name.done" ]] || { status=1; continue; }
  read -r code _ <"$logs/$name.done"
  if [[ "$code" != 0 ]]; then status=1; fi
done

# Each project's log whole (not interleaved), then the wall time of each.
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  [[ -f "$logs/$name.log" ]] || continue
  echo "===== $name"
  cat "$logs/$name.log"
done
echo "===== wall time per test project (they ran at once; the whole run took ${SECONDS}s with the build)"
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  [[ -f "$logs/$name.done" ]] || continue
  read -r code ended <"$logs/$name.done"
  printf '%-28s %4ds  exit %s\n' "$name" "$(( ended - started[$name] ))" "$code"
done

# Sum the counters of every TRX file (one per test project).
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True):
    root = ET.parse(path).getroot()
    # Repeat each failure here, so the end of the log says what failed and why.
    for r in root.iterfind("t:Results/t:UnitTestResult", ns):
        if r.get("outcome") not in ("Passed", "NotExecuted"):
            message = r.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip()
            print(f"FAILED {r.get('testName')}\n  {message[:2000]}")
    c = root.find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    # xunit v3 leaves skipped tests out of "executed" without counting them as notExecuted.
    skipped += max(int(c.get("notExecuted", 0)), int(c.get("total", 0)) - int(c.get("executed", 0)))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
