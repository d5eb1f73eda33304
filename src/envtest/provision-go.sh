#!/usr/bin/env bash
# Builds the envtest binaries (kube-apiserver + etcd) of Kubernetes "$2" from the Go module proxy into "$1".
# Embedded in fleetdeck (src/envtest/assets.rs) and run under a file lock, after provision-common.sh.
#
# The usual way to build from k8s.io/kubernetes as a dependency: a throwaway wrapper module that requires
# k8s.io/kubernetes at the release and replaces each staging module it requires as v0.0.0 (k8s.io/api,
# k8s.io/apiserver, ...) with the matching published v0.<minor>.<patch>. etcd is etcdmain of
# go.etcd.io/etcd/server/v3 at the version that release's go.mod requires (one build graph for both).
# CGO off, version stamped through k8s.io/component-base/version as hack/lib/version.sh does.
# Steps print "fleetdeck-provision: <step>" lines that the caller shows as progress. Nothing is left in
# "$1" unless both binaries were built (they are moved in at the end).
dest=${1:?usage: provision-go.sh DEST_DIR VERSION}
version=${2:?usage: provision-go.sh DEST_DIR VERSION}

[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "kube-apiserver version $version is not of the form v1.MINOR.PATCH"
minor=${BASH_REMATCH[1]} patch=${BASH_REMATCH[2]}
need_go "Go (1.26 or newer) builds kube-apiserver $version from the Go module proxy; install it, or set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver"
work_beside "$dest"
download k8s.io/kubernetes "$version"
kmod=$mmod

{
  echo "module fleetdeck.invalid/envtest-build"
  echo
  echo "go ${godirective:-1.26.0}"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  # Staging modules: required as v0.0.0 and replaced by ./staging/src/... in k8s.io/kubernetes itself.
  sed -n 's/^[[:space:]]*\(k8s\.io\/[A-Za-z0-9._-]*\) v0\.0\.0$/\1/p' "$kmod" | sort -u | while read -r m; do
    echo "	$m => $m v0.$minor.$patch"
  done
  echo ")"
} > go.mod
cat > tools.go <<'EOF'
//go:build tools

// Package tools pins what this throwaway module builds.
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
)
EOF
mkdir etcd
cat > etcd/main.go <<'EOF'
// Command etcd is etcd's own main (go.etcd.io/etcd/server/v3/etcdmain).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF

step "downloading the modules kube-apiserver $version needs (once, into the Go module cache)"
go mod tidy >"$work/tidy.log" 2>&1 || { tail -20 "$work/tidy.log" >&2; die "go mod tidy failed for k8s.io/kubernetes@$version (a module it needs may not be served)"; }
etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)

pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
step "compiling kube-apiserver $version (about 4 minutes on 2 idle cores)"
go build -trimpath -ldflags "$ldflags" -o out/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; die "compiling kube-apiserver $version failed"; }
step "compiling etcd $etcd_version"
go build -trimpath -ldflags "-s -w" -o out/etcd ./etcd >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; die "compiling etcd $etcd_version failed"; }
./out/kube-apiserver --version >/dev/null 2>&1 || die "the built kube-apiserver does not run"

tmp="$dest.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
mv out/kube-apiserver out/etcd "$tmp/"
printf 'kube-apiserver %s\netcd %s\nbuilt %s with %s\n' "$version" "$etcd_version" "$(date -u +%FT%TZ)" "$(go version)" > "$tmp/VERSIONS"
rm -rf "$dest"; mv "$tmp" "$dest"
step "done: $dest"
