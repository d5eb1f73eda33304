//! Text renderers for trees: [`render_capi`] prints what `clusterctl describe cluster` prints (without
//! colours), [`render_flux`] what `flux tree kustomization` prints. Like upstream's presentation layer
//! (cluster-api `internal/util/tree`), this also holds clusterctl's row descriptor ([`capi_columns`]) and row
//! names ([`capi_row_name`]), which the CAPI tree builder uses for its columns and sibling order.
//!
//! fleetdeck's additions, kept minimal:
//! - CAPI: a node fleetdeck cannot show from the store has `(not watched)`, `(not found)`,
//!   `(not synced: Forbidden)`... in MESSAGE; a topology Cluster's name is followed by
//!   `  [topology: <class>]` (v1.13 names: `  [topology: <class> <version>]`); with `--show-health-checks`,
//!   a MachineHealthCheck's summary and a Machine's failed health check as `  [<note>]` after the name;
//! - Flux: after `Kind/ns/name`, `  [remote: <context>]` (or `[remote: <context>, not in fleet]`,
//!   `[remote: secret <ns>/<name>, no context]`) on objects with `spec.kubeConfig`, and `  (<why>)` on
//!   objects not shown from the store (`not found`, `not watched`, `not synced: <state>`,
//!   `cluster not in fleet`, `unreadable: <why>`, `invalid inventory id: <error>`) or with a note
//!   (`cycle: ...`); before those, `  (<State>: <Reason>)` on an object that is not Ready.
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::Value;

use super::conditions::Condition;
use super::status::{HealthState, v1beta2_counter};
use super::tree::{CapiColumns, CapiMode, CapiNames, ConditionRow, Label, Missing, TreeNode, at};

const FIRST: &str = "├─";
const LAST: &str = "└─";
const INDENT: &str = "  ";
const PIPE: &str = "│ ";
/// Condition rows are indented from their object by this many spaces (upstream `filler`).
const FILLER: usize = 10;
/// Messages wrap (v1beta2) or are cut (v1beta1) at this many bytes.
const MAX_WIDTH: usize = 100;

/// Renders a CAPI tree as the table `clusterctl describe cluster` prints (cluster-api
/// `internal/util/tree/tree.go` `PrintObjectTree` / `PrintObjectTreeV1Beta1`), `now` for SINCE:
/// - v1beta2 columns NAME, REPLICAS, AVAILABLE, READY, UP TO DATE, STATUS, REASON, SINCE, MESSAGE; a row whose
///   node shows its conditions leaves STATUS..MESSAGE blank and lists them below; messages wrap at 100
///   bytes keeping `* ` bullets indented (`formatParagraph`), continuation lines carrying the tree's pipes;
/// - v1beta1 columns NAME, READY, SEVERITY, REASON, SINCE, MESSAGE (cut at 100 bytes + ` ...`);
/// - prefixes `├─`, `└─`, `│ `, two spaces per level; condition rows indented 10 more;
/// - a group row's MESSAGE is `See a, b` or `See a, b, ...` (the first two names);
/// - columns are padded to the widest cell and separated by two spaces (the table writer's padding);
///   trailing spaces are trimmed.
pub fn render_capi(root: &TreeNode, now: Timestamp, v1beta1_mode: bool, names: CapiNames) -> String {
    let mode = if v1beta1_mode { CapiMode::V1Beta1 } else { CapiMode::V1Beta2 };
    let header: &[&str] = match mode {
        CapiMode::V1Beta2 => {
            &["NAME", "REPLICAS", "AVAILABLE", "READY", "UP TO DATE", "STATUS", "REASON", "SINCE", "MESSAGE"]
        }
        CapiMode::V1Beta1 => &["NAME", "READY", "SEVERITY", "REASON", "SINCE", "MESSAGE"],
    };
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect()];
    let mut printer = CapiPrinter { rows: &mut rows, now, mode, names };
    printer.node(root, "", &mut Vec::new(), true);
    table(&rows)
}

struct CapiPrinter<'r> {
    rows: &'r mut Vec<Vec<String>>,
    now: Timestamp,
    mode: CapiMode,
    names: CapiNames,
}

impl CapiPrinter<'_> {
    /// One node's rows, then its conditions, then its children. `lasts` says, for each level below the
    /// root down to this node, whether the node on the path is its parent's last child.
    fn node(&mut self, node: &TreeNode, prefix: &str, lasts: &mut Vec<bool>, on_last_path: bool) {
        let mut name = format!("{prefix}{}", capi_row_name(node, self.names));
        if let Some(t) = &node.topology {
            // v1.14 names carry the version already.
            let note = match self.names {
                CapiNames::V1_14 => format!("  [topology: {}]", t.class),
                CapiNames::V1_13 => format!("  [topology: {} {}]", t.class, t.version),
            };
            name = format!("{name}{note}").trim_end().to_string();
        }
        if let Some(note) = &node.note {
            name = format!("{name}  [{note}]");
        }
        let cols = node.columns.as_deref().filter(|c| c.mode == self.mode);
        let cond = cols.and_then(|c| c.condition.as_ref());
        let mut cells = self.condition_cells(cond);
        if let Some(g) = &node.group {
            cells.message = if g.names.len() <= 2 {
                format!("See {}", g.names.join(", "))
            } else {
                format!("See {}, ...", g.names[..2].join(", "))
            };
        }
        if node.conditions.is_some() && self.mode == CapiMode::V1Beta2 {
            cells = Cells::default();
        }
        if let (true, Some(m)) = (cells.message.is_empty(), &node.missing) {
            cells.message = format!("({})", missing_text(m));
        }
        let mut lines = cells.message.split('\n');
        let first = lines.next().unwrap_or_default().to_string();
        let counters = |c: Option<&CapiColumns>| -> [String; 4] {
            let get = |v: Option<&String>| v.cloned().unwrap_or_default();
            [
                get(c.and_then(|c| c.replicas.as_ref())),
                get(c.and_then(|c| c.available.as_ref())),
                get(c.and_then(|c| c.ready.as_ref())),
                get(c.and_then(|c| c.up_to_date.as_ref())),
            ]
        };
        let row = match self.mode {
            CapiMode::V1Beta2 => {
                let mut row = vec![name];
                row.extend(counters(cols));
                row.extend([cells.status, cells.reason, cells.age, first]);
                row
            }
            CapiMode::V1Beta1 => vec![name, cells.status, cells.severity, cells.reason, cells.age, first],
        };
        self.rows.push(row);
        let continuation = self.object_continuation(lasts, on_last_path, node);
        for line in lines {
            self.continuation_row(continuation.clone(), line);
        }
        if let Some(conditions) = &node.conditions {
            let pipe = if node.children.is_empty() { INDENT } else { PIPE };
            let base = format!("{prefix}{pipe}{}", " ".repeat(FILLER));
            for (i, c) in conditions.iter().enumerate() {
                let child = child_prefix(&base, i, conditions.len());
                self.condition_row(&child, c);
            }
        }
        let n = node.children.len();
        for (i, child) in node.children.iter().enumerate() {
            lasts.push(i + 1 == n);
            self.node(child, &child_prefix(prefix, i, n), lasts, on_last_path && i + 1 == n);
            lasts.pop();
        }
    }

    /// The NAME cell of an object's message continuation lines (upstream `getRootMultiLineObjectPrefix`):
    /// nothing for the last object of the tree, else the pipes of the levels above plus one more when the
    /// object has children.
    fn object_continuation(&self, lasts: &[bool], on_last_path: bool, node: &TreeNode) -> String {
        if self.mode == CapiMode::V1Beta1 || (on_last_path && node.children.is_empty()) {
            return String::new();
        }
        let mut p: String = lasts.iter().map(|&l| if l { INDENT } else { PIPE }).collect();
        if !node.children.is_empty() {
            p.push_str(PIPE);
        }
        p
    }

    fn condition_row(&mut self, prefix: &str, c: &ConditionRow) {
        let cells = self.condition_cells(Some(c));
        let mut lines = cells.message.split('\n');
        let first = lines.next().unwrap_or_default().to_string();
        let name = format!("{prefix}{}", c.type_);
        let row = match self.mode {
            CapiMode::V1Beta2 => {
                let mut row = vec![name];
                row.extend([String::new(), String::new(), String::new(), String::new()]);
                row.extend([cells.status, cells.reason, cells.age, first]);
                row
            }
            CapiMode::V1Beta1 => vec![name, cells.status, cells.severity, cells.reason, cells.age, first],
        };
        self.rows.push(row);
        // upstream `getMultilineConditionPrefix`
        let continuation = if let Some(p) = prefix.strip_suffix(FIRST) {
            format!("{p}{PIPE}")
        } else if let Some(p) = prefix.strip_suffix(LAST) {
            p.to_string()
        } else {
            "?".to_string()
        };
        for line in lines {
            self.continuation_row(continuation.clone(), line);
        }
    }

    fn continuation_row(&mut self, name: String, message: &str) {
        let width = self.rows.first().map_or(1, Vec::len);
        let mut row = vec![name];
        row.resize(width - 1, String::new());
        row.push(message.to_string());
        self.rows.push(row);
    }

    fn condition_cells(&self, c: Option<&ConditionRow>) -> Cells {
        let Some(c) = c else {
            return Cells::default();
        };
        let message = match self.mode {
            CapiMode::V1Beta2 => format_paragraph(&c.message, MAX_WIDTH),
            CapiMode::V1Beta1 => truncate(&c.message),
        };
        Cells {
            status: c.status.as_str().to_string(),
            severity: c.severity.map(|s| format!("{s:?}")).unwrap_or_default(),
            reason: c.reason.clone(),
            age: c
                .last_transition_time
                .map(|t| human_duration(self.now.duration_since(t).as_secs()))
                .unwrap_or_default(),
            message,
        }
    }
}

#[derive(Default)]
struct Cells {
    status: String,
    severity: String,
    reason: String,
    age: String,
    message: String,
}

/// clusterctl's row descriptor: the columns of an object's row, given its Available, Ready and UpToDate
/// (`abc`; v1beta1 mode uses only Ready, with severity). v1beta2 follows cluster-api
/// `internal/util/tree/tree.go` `newRowDescriptor`, which switches on the Go type: typed Cluster (sums of
/// `status.controlPlane` and `status.workers` counters, Available), MachineDeployment and MachineSet
/// (`status.replicas/spec.replicas`, counters; Available for the MD, no condition for the MS) and Machine
/// (`1`, 0/1 counters, Ready) have their cases; a typed MachinePool matches none and prints a blank row;
/// every other (unstructured) object shows Ready, or for a control plane (`cp_contract`) Available when it
/// has one and the control-plane contract's counters. Counters of an object read as v1beta1 come from
/// `status.v1beta2`.
pub fn capi_columns(
    obj: &DynamicObject,
    mode: CapiMode,
    kind: &str,
    typed: bool,
    cp_contract: bool,
    abc: [Option<&Condition>; 3],
) -> CapiColumns {
    let [available, ready, up_to_date] = abc;
    if mode == CapiMode::V1Beta1 {
        return CapiColumns::new(mode, ready.map(ConditionRow::from));
    }
    let d = &obj.data;
    let mut c = CapiColumns::new(mode, None);
    let shown = |n: Option<i64>| n.map(|n| n.to_string());
    match (typed, kind) {
        (true, "Cluster") => {
            let get = |part: &str, f: &str| {
                let part = at(d, "/status/v1beta2").and_then(|s| s.get(part)).or_else(|| at(d, "/status")?.get(part));
                part?.get(f)?.as_i64()
            };
            let sum = |f: &str| match (get("controlPlane", f), get("workers", f)) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
            };
            if sum("desiredReplicas").is_some() || sum("replicas").is_some() {
                let (cur, want) = (sum("replicas"), sum("desiredReplicas"));
                c.replicas = Some(format!("{}/{}", cur.unwrap_or(0), want.unwrap_or(0)));
            }
            c.available = shown(sum("availableReplicas"));
            c.ready = shown(sum("readyReplicas"));
            c.up_to_date = shown(sum("upToDateReplicas"));
            c.condition = available.map(ConditionRow::from);
        }
        (true, "MachineDeployment" | "MachineSet") => {
            if let Some(want) = int(d, "/spec/replicas") {
                c.replicas = Some(format!("{}/{want}", int(d, "/status/replicas").unwrap_or(0)));
            }
            c.available = shown(v1beta2_counter(d, "availableReplicas"));
            c.ready = shown(v1beta2_counter(d, "readyReplicas"));
            c.up_to_date = shown(v1beta2_counter(d, "upToDateReplicas"));
            if kind == "MachineDeployment" {
                c.condition = available.map(ConditionRow::from);
            }
        }
        (true, "Machine") => {
            let bit = |x: Option<&Condition>| Some(u8::from(x.is_some_and(Condition::is_true)).to_string());
            c.replicas = Some("1".into());
            (c.available, c.ready, c.up_to_date) = (bit(available), bit(ready), bit(up_to_date));
            c.condition = ready.map(ConditionRow::from);
        }
        (true, _) => {}
        (false, _) => {
            c.condition = ready.map(ConditionRow::from);
            if cp_contract {
                if let Some(a) = available {
                    c.condition = Some(ConditionRow::from(a));
                }
                if let (Some(cur), Some(want)) = (int(d, "/status/replicas"), int(d, "/spec/replicas")) {
                    c.replicas = Some(format!("{cur}/{want}"));
                }
                c.available = shown(v1beta2_counter(d, "availableReplicas"));
                c.ready = shown(v1beta2_counter(d, "readyReplicas"));
                c.up_to_date = shown(v1beta2_counter(d, "upToDateReplicas"));
            }
        }
    }
    c
}

fn int(data: &Value, pointer: &str) -> Option<i64> {
    at(data, pointer)?.as_i64()
}

/// The name clusterctl prints, and sorts siblings by: `N Machines...`, `Workers`, then per `names` v1.14's
/// `Kind ns/name[, <version>]` or v1.13's `Kind/name` / `Meta - Kind/name`, prefixed `!! DELETED !! ` when
/// deleting (cluster-api `internal/util/tree/tree.go` `getRowName`, without colours).
pub fn capi_row_name(node: &TreeNode, names: CapiNames) -> String {
    let name = capi_name(node, names);
    if node.deleted && matches!(node.label, Label::Object(_)) { format!("!! DELETED !! {name}") } else { name }
}

/// [`capi_row_name`] without the `!! DELETED !! ` prefix, which the cockpit draws in a colour of its own.
pub fn capi_name(node: &TreeNode, names: CapiNames) -> String {
    let l = match &node.label {
        Label::Virtual { name } => return name.clone(),
        Label::Object(l) => l,
    };
    match names {
        CapiNames::V1_14 => {
            // `klog.KObj`: `ns/name`, or `name` alone when cluster-scoped.
            let mut name = if l.namespace.is_empty() {
                format!("{} {}", l.kind, l.name)
            } else {
                format!("{} {}/{}", l.kind, l.namespace, l.name)
            };
            if let Some(v) = &node.version {
                name.push_str(", ");
                name.push_str(v);
            }
            name
        }
        CapiNames::V1_13 => match &l.meta_name {
            Some(meta) => format!("{meta} - {}/{}", l.kind, l.name),
            None => format!("{}/{}", l.kind, l.name),
        },
    }
}

/// A group row's name, `3 Machines...` (`flect.Pluralize` for the kinds that group).
pub fn group_row_name(kind: &str, count: usize) -> String {
    let plural = if ["s", "x", "z", "ch", "sh"].iter().any(|e| kind.ends_with(e)) {
        format!("{kind}es")
    } else if kind.ends_with('y') && !["ay", "ey", "oy"].iter().any(|e| kind.ends_with(e)) {
        format!("{}ies", &kind[..kind.len() - 1])
    } else {
        format!("{kind}s")
    };
    format!("{count} {plural}...")
}

/// Upstream `getChildPrefix`: carry `├─` on as `│ ` and `└─` as two spaces, then add the child's own.
fn child_prefix(current: &str, index: usize, count: usize) -> String {
    let mut next = current.replace(FIRST, PIPE).replace(LAST, INDENT);
    next.push_str(if index + 1 < count { FIRST } else { LAST });
    next
}

/// v1beta1 messages are cut at 100 bytes (here: at the char boundary at or before) plus ` ...`.
fn truncate(message: &str) -> String {
    if message.len() <= MAX_WIDTH {
        return message.to_string();
    }
    let mut end = MAX_WIDTH;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} ...", &message[..end])
}

/// Upstream `formatParagraph`: wraps each line at `max_width` bytes between words, keeping the line's leading
/// spaces (plus two more under a `* ` bullet) on the wrapped parts; line breaks are kept.
pub fn format_paragraph(text: &str, max_width: usize) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let lead = line.len() - line.trim_start_matches(' ').len();
        let mut indent = " ".repeat(lead);
        if line.trim().starts_with("* ") {
            indent.push_str("  ");
        }
        let mut current = " ".repeat(lead);
        let words = line.split(char::is_whitespace).enumerate().filter(|(i, w)| {
            // a leading run of whitespace yields one empty word upstream (regexp split); later runs
            // are single separators here, so drop the empty pieces they leave.
            *i == 0 || !w.is_empty()
        });
        for (_, word) in words {
            if current.len() + word.len() < max_width {
                if !current.trim().is_empty() {
                    current.push(' ');
                }
                current.push_str(word);
                continue;
            }
            lines.push(std::mem::take(&mut current));
            current = format!("{indent}{word}");
        }
        lines.push(current);
    }
    lines.join("\n")
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration` for a whole number of seconds: `45s`, `3m20s`,
/// `15m`, `4h5m`, `20h`, `3d2h`, `40d`, `2y10d`, `9y`; `0s` for up to a second in the future,
/// `<invalid>` beyond that.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    let (days, years) = (hours / 24, hours / 24 / 365);
    match hours {
        h if h < 8 => match minutes % 60 {
            0 => format!("{h}h"),
            m => format!("{h}h{m}m"),
        },
        h if h < 48 => format!("{h}h"),
        h if h < 24 * 8 => match h % 24 {
            0 => format!("{days}d"),
            rest => format!("{days}d{rest}h"),
        },
        h if h < 24 * 365 * 2 => format!("{days}d"),
        h if h < 24 * 365 * 8 => match days % 365 {
            0 => format!("{years}y"),
            d => format!("{years}y{d}d"),
        },
        _ => format!("{years}y"),
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders a Flux (or Terraform) tree as `flux tree kustomization` prints it (flux2 `internal/tree/tree.go`):
/// the root's text, then each child prefixed `├── ` / `└── ` under `│   ` / four spaces; an object's text is
/// `Kind/namespace/name`, or `Kind/name` when cluster-scoped. fleetdeck's additions: see the module docs; and
/// after an object that is not Ready, its state and reason (`  (Failed: ProgressDeadlineExceeded)`), so that
/// what is broken shows without `-o json`.
pub fn render_flux(root: &TreeNode) -> String {
    let mut out = flux_text(root);
    out.push('\n');
    flux_items(&mut out, &root.children, &mut Vec::new());
    out
}

fn flux_items(out: &mut String, nodes: &[TreeNode], spaces: &mut Vec<bool>) {
    for (i, node) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        for &space in spaces.iter() {
            out.push_str(if space { "    " } else { "│   " });
        }
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&flux_text(node));
        out.push('\n');
        if !node.children.is_empty() {
            spaces.push(last);
            flux_items(out, &node.children, spaces);
            spaces.pop();
        }
    }
}

fn flux_text(node: &TreeNode) -> String {
    let mut text = match &node.label {
        Label::Object(l) => match &l.meta_name {
            Some(meta) => format!("{meta}: {}", l.flux_text()),
            None => l.flux_text(),
        },
        Label::Virtual { name } => name.clone(),
    };
    if let Some(r) = &node.remote {
        let target = match (&r.context, r.found, &r.secret_ref) {
            (Some(c), true, _) => c.clone(),
            (Some(c), false, _) => format!("{c}, not in fleet"),
            (None, _, Some(s)) => format!("secret {s}, no context"),
            (None, _, None) => "no kubeconfig Secret".into(),
        };
        text.push_str(&format!("  [remote: {target}]"));
    }
    let object = matches!(node.label, Label::Object(_));
    if let Some(h) = node.health.as_deref().filter(|h| object && h.state != HealthState::Ready) {
        match h.reason.as_str() {
            "" => text.push_str(&format!("  ({:?})", h.state)),
            reason => text.push_str(&format!("  ({:?}: {reason})", h.state)),
        }
    }
    if let Some(m) = &node.missing {
        text.push_str(&format!("  ({})", missing_text(m)));
    }
    if let Some(note) = &node.note {
        text.push_str(&format!("  ({note})"));
    }
    text
}

/// The words for why a node is not shown from the store.
pub fn missing_text(missing: &Missing) -> String {
    match missing {
        Missing::NotFound => "not found".into(),
        Missing::NotWatched => "not watched".into(),
        Missing::NotSynced { state: Some(s) } => format!("not synced: {s:?}"),
        Missing::NotSynced { state: None } => "not synced".into(),
        Missing::NoContext => "cluster not in fleet".into(),
        Missing::Unreadable { error } => format!("unreadable: {error}"),
        Missing::InvalidId { error } => format!("invalid inventory id: {error}"),
    }
}
