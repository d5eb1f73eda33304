#!/usr/bin/env bash
# Builds one upstream CLI (an "oracle" for parity tests: flux, clusterctl) from the Go module proxy into "$1".
# Embedded in fleetdeck (src/envtest/oracles.rs) and run under a file lock, after provision-common.sh.
# Test-time only: nothing built here is shipped or needed by the fleetdeck binary.
#
# Arguments: DEST_FILE MODULE VERSION PACKAGE [REQUIRE_MODULE@VERSION ...]
# Environment: STANDIN_DIR, a folder inside MODULE that holds generated files the module zip does not carry
# (flux's cmd/flux/manifests, made by `make` upstream): the module is copied, the folder gets one empty YAML
# stand-in so that its go:embed pattern matches, and the copy replaces the module. VERSION_LDFLAGS: -X flags
# that stamp the version the way the project's own release build does.
# A throwaway wrapper module requires MODULE (and the extra requirements) and repeats MODULE's own replace
# directives, which a dependency's go.mod cannot impose. Nothing is left at DEST_FILE unless the build worked.
dest=${1:?usage: provision-oracle.sh DEST_FILE MODULE VERSION PACKAGE [REQUIRE...]}
module=${2:?} version=${3:?} package=${4:?}
shift 4
need_go "the oracle $(basename "$dest") is built from the Go module proxy with Go 1.26 or newer"
work_beside "$dest"
download "$module" "$version"

{
  echo "module fleetdeck.invalid/oracle-build"
  echo
  echo "go ${godirective:-1.26.0}"
  echo
  echo "require $module $version"
  for r in "$@"; do echo "require ${r%@*} ${r#*@}"; done
  # MODULE's own single-line replace directives (a dependency's are ignored by Go).
  grep -E '^replace [^ ]+( v[^ ]+)? => [^ .][^ ]* v[^ ]+$' "$mmod" || true
} > go.mod
if [ -n "${STANDIN_DIR:-}" ]; then
  step "copying $module@$version with a stand-in for the generated $STANDIN_DIR"
  cp -r "$mdir" src && chmod -R u+w src
  mkdir -p "src/$STANDIN_DIR"
  printf '# stand-in: upstream generates this folder with make; fleetdeck tests do not use it\n' > "src/$STANDIN_DIR/stand-in.yaml"
  echo "replace $module => ./src" >> go.mod
fi
printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" > tools.go

step "downloading the modules $(basename "$dest") needs (once, into the Go module cache)"
go mod tidy >"$work/tidy.log" 2>&1 || { tail -20 "$work/tidy.log" >&2; die "go mod tidy failed for $module@$version (a module it needs may not be served)"; }
step "compiling $(basename "$dest") from $module@$version (a few minutes on 2 cores)"
go build -trimpath -ldflags "-s -w ${VERSION_LDFLAGS:-}" -o out/bin "$package" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; die "compiling $package@$version failed"; }
./out/bin --help >/dev/null 2>&1 || die "the built $(basename "$dest") does not run"
mv out/bin "$dest.tmp.$$" && mv "$dest.tmp.$$" "$dest"
step "done: $dest"
