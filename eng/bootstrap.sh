#!/usr/bin/env bash
# Installs what Mnemora's container-free "process mode" needs on Debian 12:
#   PostgreSQL 15 server, pgvector 0.8 built for it, redis-server (the shared
#   limits of several API replicas), the npm emulators
#   (dynalite, s3rver) in eng/emulators, and chromium + chromedriver for browser
#   tests (skipped with MNEMORA_SKIP_BROWSER=1).
# Idempotent: when everything is present it only runs a few file tests and
# prints "bootstrap: ok". Used by the README and by .ci/run alike.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMU_DIR="$ROOT/eng/emulators"

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_CONFIG="$PG_BIN/pg_config"
PG_EXTDIR="/usr/share/postgresql/$PG_MAJOR/extension"
PGVECTOR_SERIES=0.8
# Debian 12 ships no pgvector; trixie's source package (0.8.0) builds against PG 15.
TRIXIE_SRC_LIST=/etc/apt/sources.list.d/mnemora-trixie-src.sources

export DEBIAN_FRONTEND=noninteractive

log() { echo "bootstrap: $*"; }
die() { echo "bootstrap: error: $*" >&2; exit 1; }

# --- cheap presence checks (this is all a no-op run does) -------------------

pg_pkglibdir() {
  # Debian's layout as fallback: pg_config comes with postgresql-client-15.
  if [[ -x "$PG_CONFIG" ]]; then "$PG_CONFIG" --pkglibdir; else echo "/usr/lib/postgresql/$PG_MAJOR/lib"; fi
}

have_pg() { [[ -x "$PG_BIN/postgres" && -x "$PG_BIN/initdb" ]]; }

have_pgvector() {
  [[ -f "$PG_EXTDIR/vector.control" && -f "$(pg_pkglibdir)/vector.so" ]] &&
    grep -Eq "^default_version = '${PGVECTOR_SERIES//./\\.}\\." "$PG_EXTDIR/vector.control"
}

have_redis() { [[ -x /usr/bin/redis-server ]]; }

want_browser() { [[ "${MNEMORA_SKIP_BROWSER:-0}" != 1 ]]; }
have_browser() { [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; }

have_emulators() {
  # npm ci rewrites node_modules/.package-lock.json, so it is newer than the
  # lock file unless the lock changed since (e.g. after a git pull).
  [[ -f "$EMU_DIR/node_modules/.package-lock.json" &&
     ! "$EMU_DIR/package-lock.json" -nt "$EMU_DIR/node_modules/.package-lock.json" ]]
}

# --- helpers used only when something is missing ----------------------------

SUDO=()
need_root() {
  (( EUID == 0 )) && return 0
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); return 0; fi
  die "root is needed to install: $*. Re-run as root, or install sudo."
}
as_root() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"; }

TMP=""
CREATED_SRC_LIST=0
cleanup() {
  [[ -n "$TMP" ]] && rm -rf "$TMP"
  # The trixie deb-src entry is only needed for one `apt-get source`; leaving
  # it would make every later `apt-get update` on this machine fetch trixie's
  # whole Sources index for nothing. The stale index goes on the next update.
  if (( CREATED_SRC_LIST )); then as_root rm -f "$TRIXIE_SRC_LIST" || true; fi
}
trap cleanup EXIT

# Run quietly; show the captured output only if the command fails.
quiet() {
  local out="$TMP/cmd.log"
  if ! "$@" >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    die "command failed: $*"
  fi
}

APT=(apt-get -y -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)

# --- decide -----------------------------------------------------------------

missing=()
have_pg || missing+=("postgresql-$PG_MAJOR")
have_pgvector || missing+=("pgvector $PGVECTOR_SERIES")
have_redis || missing+=("redis-server")
if want_browser && ! have_browser; then missing+=("chromium"); fi

if (( ${#missing[@]} )); then
  need_root "${missing[*]}"
  TMP="$(mktemp -d)"

  pkgs=()
  have_pg || pkgs+=("postgresql-$PG_MAJOR")
  have_pgvector || pkgs+=("postgresql-server-dev-$PG_MAJOR" make gcc libc6-dev)
  have_redis || pkgs+=(redis-server)
  if want_browser && ! have_browser; then pkgs+=(chromium chromium-driver); fi

  if ! have_pgvector; then
    # deb-src only: a `deb` line for trixie would offer its binaries to the
    # whole system. Same mirror host and keyring as debian.sources.
    printf '%s\n' \
      '# Added by Mnemora eng/bootstrap.sh to fetch the pgvector source package; removed again afterwards.' \
      'Types: deb-src' \
      'URIs: http://deb.debian.org/debian' \
      'Suites: trixie' \
      'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$TMP/trixie.sources"
    as_root install -m 0644 "$TMP/trixie.sources" "$TRIXIE_SRC_LIST"
    CREATED_SRC_LIST=1
  fi

  log "apt-get update"
  quiet as_root "${APT[@]}" update
  log "apt-get install ${pkgs[*]}"
  quiet as_root "${APT[@]}" install --no-install-recommends "${pkgs[@]}"
  have_pg || die "postgresql-$PG_MAJOR installed but $PG_BIN/postgres is missing"
  have_redis || die "redis-server installed but /usr/bin/redis-server is missing"

  if ! have_pgvector; then
    log "building pgvector $PGVECTOR_SERIES.x from Debian trixie sources"
    mkdir -p "$TMP/src"
    (cd "$TMP/src" && quiet apt-get -qq source --download-only pgvector)
    as_root rm -f "$TRIXIE_SRC_LIST"; CREATED_SRC_LIST=0

    orig=("$TMP"/src/pgvector_*.orig.tar.*)
    [[ -f "${orig[0]}" ]] || die "apt-get source pgvector gave no .orig tarball"
    [[ "${orig[0]##*/}" == pgvector_"$PGVECTOR_SERIES".* ]] ||
      die "trixie offers ${orig[0]##*/}, expected pgvector $PGVECTOR_SERIES.x"
    mkdir -p "$TMP/build"
    tar -xf "${orig[0]}" -C "$TMP/build"
    control="$(find "$TMP/build" -maxdepth 2 -name vector.control -print -quit)"
    [[ -n "$control" ]] || die "no vector.control in ${orig[0]##*/}"
    srcdir="$(dirname "$control")"
    # OPTFLAGS="": no -march=native, so the installed .so also runs on other
    # CPUs (machine images); pgvector dispatches SIMD at run time anyway.
    quiet make -C "$srcdir" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
    quiet as_root make -C "$srcdir" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" install
    have_pgvector || die "pgvector install did not produce vector.control $PGVECTOR_SERIES.x / vector.so"
    log "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$PG_EXTDIR/vector.control") installed"
  fi

  if want_browser; then have_browser || die "chromium/chromium-driver installed but /usr/bin/chromium or /usr/bin/chromedriver is missing"; fi
fi

if ! have_emulators; then
  command -v npm >/dev/null 2>&1 || die "npm (Node 20+) is required for eng/emulators but is not on PATH"
  log "npm ci in eng/emulators"
  [[ -n "$TMP" ]] || TMP="$(mktemp -d)"
  (cd "$EMU_DIR" && quiet npm ci --no-audit --no-fund)
  missing+=("emulators")
fi

if (( ${#missing[@]} )); then log "ok (installed: ${missing[*]})"; else log "ok"; fi
