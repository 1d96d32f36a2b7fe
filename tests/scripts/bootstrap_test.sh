#!/usr/bin/env bash
# The set-up's package logic against a fake dpkg database: a package dpkg merely knows
# of (status "un") is not installed. The first run on a fresh machine used to stop with
# "Boost 1.74 dev headers are installed" because `dpkg-query -W` succeeds for those.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    echo "ok   $1"
  else
    echo "FAIL $1: expected [$2], got [$3]"
    failures=$((failures + 1))
  fi
}

# A fake dpkg-query over $WORK/status ("name status-abbrev" lines), answering the one
# form the scripts use: -W [-f=FORMAT] NAME...
mkdir -p "$WORK/bin"
cat >"$WORK/bin/dpkg-query" <<'FAKE'
#!/usr/bin/env bash
[ "$1" == "-W" ] || { echo "fake dpkg-query: unsupported $*" >&2; exit 2; }
shift
fmt='${Package}\t${Version}\n'
if [[ "${1:-}" == -f=* ]]; then fmt=${1#-f=}; shift; elif [ "${1:-}" == "-f" ]; then fmt=$2; shift 2; fi
rc=0
for p in "$@"; do
  st=$(awk -v p="$p" '$1 == p {print $2}' "$FAKE_STATUS")
  if [ -z "$st" ]; then echo "dpkg-query: no packages found matching $p" >&2; rc=1; continue; fi
  line=${fmt//'${Package}'/$p}
  line=${line//'${db:Status-Abbrev}'/"$st "}
  line=${line//'${Version}'/1.0}
  printf "$line"
done
exit $rc
FAKE
# apt-get marks what it "installs" as ii; id says root.
cat >"$WORK/bin/apt-get" <<'FAKE'
#!/usr/bin/env bash
echo "$*" >>"$FAKE_APT_LOG"
[ "$1" == "install" ] || exit 0
for p in "$@"; do
  case $p in -*|install) continue ;; esac
  grep -v "^$p " "$FAKE_STATUS" >"$FAKE_STATUS.new" || true
  echo "$p ii" >>"$FAKE_STATUS.new"
  mv "$FAKE_STATUS.new" "$FAKE_STATUS"
done
FAKE
printf '#!/bin/sh\necho 0\n' >"$WORK/bin/id"
chmod +x "$WORK/bin/"*
export PATH="$WORK/bin:$PATH" FAKE_STATUS="$WORK/status" FAKE_APT_LOG="$WORK/apt.log"

# --- the functions
cat >"$FAKE_STATUS" <<'DB'
cmake ii
libboost1.74-dev un
flite rc
DB
. "$SRC/scripts/lib/packages.sh"
check "installed (ii) counts" yes "$(package_installed cmake && echo yes || echo no)"
check "known only (un) is not installed" no "$(package_installed libboost1.74-dev && echo yes || echo no)"
check "removed, config kept (rc) is not installed" no "$(package_installed flite && echo yes || echo no)"
check "unknown to dpkg is not installed" no "$(package_installed nosuchpkg && echo yes || echo no)"
check "missing list" "libboost1.74-dev flite nosuchpkg" "$(missing_packages cmake libboost1.74-dev flite nosuchpkg | xargs)"

# --- the whole bootstrap on a machine where one listed package is missing and
# libboost1.74-dev is merely known: it installs the one package and goes on.
ROOT="$WORK/tree"
mkdir -p "$ROOT/scripts/lib"
cp "$SRC/scripts/bootstrap.sh" "$ROOT/scripts/"
cp "$SRC/scripts/lib/packages.sh" "$ROOT/scripts/lib/"
printf '#!/bin/sh\necho "[assets] fake"\n' >"$ROOT/scripts/fetch_assets.sh"
chmod +x "$ROOT/scripts/"*.sh
mapfile -t listed < <(sed -n '/^PACKAGES=(/,/^)/p' "$SRC/scripts/bootstrap.sh" | sed '1d;$d' | tr ' ' '\n' | grep -v '^$')
[ "${#listed[@]}" -gt 10 ] || { echo "FAIL cannot read the package list"; exit 1; }
: >"$FAKE_STATUS"
for p in "${listed[@]}"; do [ "$p" == flite ] || echo "$p ii" >>"$FAKE_STATUS"; done
echo "libboost1.74-dev un" >>"$FAKE_STATUS"
: >"$FAKE_APT_LOG"
if out=$("$ROOT/scripts/bootstrap.sh" 2>&1); then rc=0; else rc=$?; fi
check "first run exits 0" 0 "$rc"
[ "$rc" == 0 ] || echo "$out"
check "first run installs only the missing package" "install -y -qq flite" "$(grep '^install' "$FAKE_APT_LOG")"
if out=$("$ROOT/scripts/bootstrap.sh" 2>&1); then rc=0; else rc=$?; fi
check "second run exits 0" 0 "$rc"
check "second run installs nothing" 1 "$(grep -c '^install' "$FAKE_APT_LOG")"

# --- a real conflict is still refused, on every run
sed -i "s/^libboost1.74-dev un$/libboost1.74-dev ii/" "$FAKE_STATUS"
if out=$("$ROOT/scripts/bootstrap.sh" 2>&1); then rc=0; else rc=$?; fi
check "an installed Boost 1.74 stops the set-up" 1 "$rc"
check "and says why" 1 "$(grep -c 'libboost1.74-dev' <<<"$out")"

[ "$failures" == 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
