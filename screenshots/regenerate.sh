#!/usr/bin/env bash
# Regenerates screenshots/ from the real program against the demo fleet:
#   <view>.txt  one frame from `fleetdeck snapshot` (plain text, 140x40);
#   <view>.png  the real cockpit in tmux: `tmux capture-pane -e` (ANSI) -> aha (HTML) -> headless Chromium.
# Needs tmux, aha and chromium (`apt-get install -y tmux aha chromium`). Run from anywhere:
#   bash screenshots/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
BIN=$PWD/target/release/fleetdeck
export FLEETDECK_HOME; FLEETDECK_HOME=$(mktemp -d)
SOCK=fleetdeck-shots-$$
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  "$BIN" demo down >/dev/null 2>&1 || true
  rm -rf "$FLEETDECK_HOME"
}
trap cleanup EXIT
"$BIN" demo up >/dev/null
export KUBECONFIG="$FLEETDECK_HOME/state/demo/kubeconfig"

for v in fleet clusters flux terraform pulse crossplane; do
  "$BIN" snapshot --view "$v" --width 140 --height 40 > "screenshots/$v.txt"
done
"$BIN" snapshot --view tree --context mgmt --object cluster/platform/prod-us --width 140 --height 40 > screenshots/tree-prod-us.txt
"$BIN" snapshot --view terraform --details --width 140 --height 40 > screenshots/terraform-details.txt
"$BIN" snapshot --view tree --context mgmt --object postgresqlinstance/team-a/orders-db --width 140 --height 40 > screenshots/trace-orders-db.txt

profile=$(mktemp -d)
shot() {
  local name=$1 html
  html=$(mktemp --suffix=.html)
  tmux -L "$SOCK" capture-pane -e -p -t shots \
    | aha --black --title "fleetdeck: $name" \
    | sed 's|</head>|<style>body{margin:0;background:#000}pre{margin:8px;font:14px/1.25 "DejaVu Sans Mono",monospace}</style></head>|' > "$html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
    --window-size=1200,740 --screenshot="$PWD/screenshots/$name.png" "file://$html" >/dev/null 2>&1
  rm -f "$html"
}
# One call per Escape: an ESC followed at once by another key reads as Alt-<key>.
keys() { tmux -L "$SOCK" send-keys -t shots "$@"; sleep 1.5; }

# The demo fleet's GitOps repository (a clone and its bare remote), for the drift diff and the wizards.
REPO="$FLEETDECK_HOME/state/demo/fleet"

tmux -L "$SOCK" new-session -d -s shots -x 140 -y 40 "env TERM=xterm-256color $BIN --repo $REPO"
sleep 8
shot fleet
keys 2; shot clusters
keys Enter; shot tree-prod-us
keys Escape; keys 3; shot flux
keys 4 d; sleep 2; shot terraform-details
# The details pane of a Kustomization: actions allowed (SelfSubjectAccessReview) and recent events.
# (the first dev-eu row is its suspended HelmRelease; the next, Kustomization apps, is Ready)
keys d 3 / dev-eu Enter j; keys d; sleep 3; shot flux-details-actions
# A destructive action asks first.
keys s; shot confirm-suspend
keys n; keys Escape; keys Escape
# The create wizard: template, then the form checked as typed.
keys n; sleep 2; shot wizard-templates
keys Enter; sleep 1; shot wizard-form
keys Escape; keys Escape
# Drift from git: prod-us' apps, its podinfo HelmRelease scaled by hand.
keys 1 3 g j D; sleep 3; shot diff-prod-us-apps
keys Escape
# The pulse: Warning Events and health transitions, newest first.
keys 5; shot pulse
# A HelmRelease's history in the details pane: prod-us' podinfo, its failed upgrade to 6.7.1.
keys 3 / HelmRelease Enter G; keys d; sleep 2; shot helmrelease-history
keys d Escape
# Pinned: the failing prod-us Cluster (Clusters view, worst first) and the Fleet view with it on top.
keys 2 g '*' 1; sleep 1; shot fleet-pinned
keys 2 g '*'
# Health checks: legacy-aws' tree, its control-plane MachineHealthCheck (the last line) blocked at max
# unhealthy, in the details pane.
keys / legacy-aws Enter; keys Enter G d; sleep 2; shot tree-legacy-aws-health-check
keys d; keys Escape; keys 2
# A rollout: edge-eu upgrading to v1.34.1, its MachineDeployment (the sixth line) in the details pane.
keys / edge-eu Enter; keys Enter j j j j j d; sleep 2; shot tree-edge-eu-rollout
keys d; keys Escape
# Crossplane: the view (a claim failing on its RDS Instance first), its trace, and the Instance's details.
keys 6; sleep 1; shot crossplane
keys j Enter; sleep 1; shot trace-orders-db
keys j j d; sleep 2; shot trace-rds-details
keys d Escape
keys q

# A thousand contexts (issue 18): the demo again with `--contexts 1000`; the dead ones first, then the failing
# ones (three pages down, where the last dead row meets the first failing one).
tmux -L "$SOCK" kill-server 2>/dev/null || true
"$BIN" demo down >/dev/null
"$BIN" demo up --contexts 1000 >/dev/null
tmux -L "$SOCK" new-session -d -s shots -x 140 -y 40 "env TERM=xterm-256color $BIN"
sleep 15
keys PageDown PageDown PageDown; shot fleet-1000
keys q
rm -rf "$profile"
echo "screenshots/ regenerated"
