#!/usr/bin/env bash
# Builds the envtest binaries (etcd + kube-apiserver v1.20.2) from Debian packages into "$1".
# The opt-in fallback (FLEETDECK_KUBE_VERSION=v1.20.2): embedded in fleetdeck (src/envtest/assets.rs) and run
# under a file lock; see DESIGN.md's recipe.
# Steps print "fleetdeck-provision: <step>" lines that the caller shows as progress.
set -euo pipefail
dest=${1:?usage: provision.sh DEST_DIR}
step() { echo "fleetdeck-provision: $*"; }

pkgs=(etcd-server golang-go golang-github-modern-go-reflect2-dev rsync make)
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[ -x /usr/bin/etcd ] || missing+=(etcd-server)
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || missing+=(golang-github-modern-go-reflect2-dev)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v make >/dev/null 2>&1 || missing+=(make)
have_debsrc() { grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; }
if [ ${#missing[@]} -gt 0 ] || ! have_debsrc; then
  if [ "$(id -u)" != 0 ]; then
    echo "fleetdeck-provision: missing Debian packages (${missing[*]:-none}) or no deb-src entry; as root run:" >&2
    echo "  apt-get install -y ${pkgs[*]} and add a deb-src entry for bookworm (see README)" >&2
    exit 3
  fi
  if ! have_debsrc; then
    step "adding a deb-src entry for bookworm"
    cat > /etc/apt/sources.list.d/fleetdeck-debsrc.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  step "installing Debian packages: ${pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$(dirname "$dest")/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
step "downloading the Debian source package of kubernetes (1.20.5+really1.20.2)"
apt-get source --download-only -qq kubernetes >/dev/null
orig=$(ls kubernetes_*.orig.tar.* | head -1)
step "unpacking $orig"
mkdir src && tar -xf "$orig" -C src --strip-components=1
cd src
step "replacing vendored reflect2 v1.0.1 with Debian's v1.0.2 (Go >= 1.18 fix)"
rm -rf vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
export GOPATH=$PWD/.go CGO_ENABLED=0 HOME=$work/home GOCACHE=$work/gocache GOFLAGS=-mod=vendor
mkdir -p .go/src/k8s.io "$HOME"
ln -s ../../.. .go/src/k8s.io/kubernetes
step "compiling kube-apiserver (about 5 minutes on 2 cores)"
make WHAT=cmd/kube-apiserver >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
tmp="$dest.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
cp _output/bin/kube-apiserver "$tmp/"
cp /usr/bin/etcd "$tmp/"
rm -rf "$dest"; mv "$tmp" "$dest"
step "done: $dest"
