#!/usr/bin/env bash
# Builds one upstream Go binary from the Go module proxy into "$1": a CLI used as an "oracle" by parity tests
# (flux, clusterctl, ...) or a Flux controller run against envtest. Embedded in fleetdeck (src/envtest/oracles.rs,
# src/envtest/flux_controllers.rs) and run under a file lock, after provision-common.sh.
# Test-time only: nothing built here is shipped or needed by the fleetdeck binary.
#
# Arguments: DEST_FILE MODULE VERSION PACKAGE [REQUIRE_MODULE@VERSION ...]
# Environment: STANDIN_DIR, a folder inside MODULE that holds generated files the module zip does not carry
# (flux's cmd/flux/manifests, made by `make` upstream): the module is copied, the folder gets one empty YAML
# stand-in so that its go:embed pattern matches, and the copy replaces the module. VERSION_LDFLAGS: -X flags
# that stamp the version the way the project's own release build does. EXTRA_REPLACES: further replace
# directives, one `OLD_PATH => NEW_PATH VERSION` a line (e.g. a dependency version the proxy refuses, pointed at
# one it serves); one for a path MODULE replaces too wins over MODULE's.
# A throwaway wrapper module requires MODULE (and the extra requirements) and repeats MODULE's own replace
# directives (single-line ones and the entries of `replace ( ... )` blocks, but those to a local folder), which
# a dependency's go.mod cannot impose, then the extra ones. Nothing is left at DEST_FILE unless the build worked.
dest=${1:?usage: provision-oracle.sh DEST_FILE MODULE VERSION PACKAGE [REQUIRE...]}
module=${2:?} version=${3:?} package=${4:?}
shift 4
need_go "the oracle $(basename "$dest") is built from the Go module proxy with Go 1.26 or newer"
work_beside "$dest"
download "$module" "$version"

# A replace directive to a module version, without `replace`: `OLD [OLDVER] => NEW NEWVER` (not to a folder).
replace_re='^[^ ]+( v[^ ]+)? => [^ ./][^ ]* v[^ ]+$'
# module_replaces GOMOD: its replace directives of that form, single-line and inside `replace ( ... )` blocks,
# one a line, comments and indentation dropped.
module_replaces() {
  awk '/^replace *\( *$/ { block = 1; next }
       block && /^\)/ { block = 0; next }
       block || /^replace / { sub(/\/\/.*/, ""); sub(/^replace /, ""); gsub(/^[ \t]+|[ \t]+$/, ""); gsub(/[ \t]+/, " "); print }' "$1" \
    | grep -E "$replace_re" || true
}
extra=$(printf '%s\n' "${EXTRA_REPLACES:-}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; /^$/d')
if [ -n "$extra" ]; then
  bad=$(grep -vE "$replace_re" <<<"$extra" || true)
  [ -z "$bad" ] || die "EXTRA_REPLACES line is not 'OLD => NEW VERSION': $bad"
fi
extra_paths=$(printf '%s\n' "$extra" | sed -n 's/^\([^ ]*\) .*/\1/p')

{
  echo "module fleetdeck.invalid/oracle-build"
  echo
  echo "go ${godirective:-1.26.0}"
  echo
  echo "require $module $version"
  for r in "$@"; do echo "require ${r%@*} ${r#*@}"; done
  # MODULE's own replace directives (a dependency's are ignored by Go), but those the caller's override.
  module_replaces "$mmod" | while read -r line; do
    grep -qxF "${line%% *}" <<<"$extra_paths" || echo "replace $line"
  done
  printf '%s\n' "$extra" | sed -n 's/^./replace &/p'
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
