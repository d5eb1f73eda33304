# Shared by the provisioning scripts (src/envtest/provision-*.sh): src/envtest/script.rs runs each one with this
# prelude in front of it.
set -euo pipefail
# A progress line the caller shows; a reason on stderr, then exit 3.
step() { echo "fleetdeck-provision: $*"; }
die() { echo "fleetdeck-provision: $*" >&2; exit 3; }
# need_go WHAT: dies unless `go` is on PATH, saying what Go was needed for.
need_go() { command -v go >/dev/null 2>&1 || die "no 'go' command on PATH: $*"; }
# work_beside DEST: a temporary folder beside DEST (same file system, so the result moves in at once), removed
# on exit, made the current folder, with Go set up for a throwaway module.
work_beside() {
  mkdir -p "$(dirname "$1")"
  work=$(mktemp -d "$(dirname "$1")/build.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cd "$work"
  export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
}
# download MODULE VERSION: `go mod download`, setting mdir (the module's folder), mmod (its go.mod) and
# godirective (its go line); dies naming the module when the proxy does not serve it.
download() {
  step "resolving $1@$2 on the Go module proxy"
  local info
  if ! info=$(go mod download -json "$1@$2" 2>&1); then
    die "the Go module proxy does not serve $1@$2: $(printf '%s' "$info" | grep -m1 -o '"Error": *"[^"]*"' || printf '%s' "$info" | tail -1)"
  fi
  mdir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": *"\(.*\)",*$/\1/p')
  mmod=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"GoMod": *"\(.*\)",*$/\1/p')
  [ -d "$mdir" ] && [ -f "$mmod" ] || die "go mod download gave no folder or go.mod for $1@$2"
  godirective=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$mmod" | head -1)
}
