# Debian package state, for bootstrap.sh and its test (tests/scripts/).
# Only a package whose status is "ii" (wanted install, currently installed) counts:
# `dpkg-query -W NAME` also succeeds for packages dpkg merely knows of (status "un",
# recorded when another package's dependencies were resolved), which is not installed.

# Prints, one per line, those of the named packages that are installed.
installed_packages() {
  dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null \
    | awk '$2 ~ /^ii/ {sub(/:.*/, "", $1); print $1}' || true
}

# Exit status 0 if the named package is installed.
package_installed() {
  [ -n "$(installed_packages "$1")" ]
}

# Prints, one per line, those of the named packages that are not installed.
missing_packages() {
  local installed p
  installed=$(installed_packages "$@")
  for p in "$@"; do
    grep -qx -- "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}
