#!/usr/bin/env bash
# The README's test command: installs what the tests need (eng/bootstrap.sh), builds the
# solution with warnings as errors, runs every test project against the real stores, and
# ends with the line "N passed, N failed, N skipped".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash eng/bootstrap.sh
dotnet build Mnemora.sln --configuration Release

results="$ROOT/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test Mnemora.sln --configuration Release --no-build \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?

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
