#!/usr/bin/env bash
# The README's run command: installs what process mode needs, then starts the whole system
# through the AppHost (Aspire dashboard at http://localhost:15080).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash eng/bootstrap.sh
exec dotnet run --project Mnemora.AppHost --launch-profile http -- "$@"
