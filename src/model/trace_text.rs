//! Text of a Crossplane trace ([`super::xp_tree`]) as `crossplane resource trace` prints it (crossplane
//! `cmd/crank/beta/trace/internal/printer/default.go`, CLI v2.3+ `cmd/crossplane/trace/internal/printer`):
//!
//! - columns NAME, SYNCED, READY, STATUS (`wide`: RESOURCE after NAME), through Go's `text/tabwriter` as
//!   kubectl's printers configure it (minimum width 6, padding 3, spaces): a cell is padded to the widest of
//!   its column plus 3; the last column is not padded, so a row with an empty STATUS ends in spaces;
//! - NAME is `Kind/name`, then ` (namespace)` for namespaced objects; the root has no glyph, a child gets
//!   `├─ ` or `└─ `, and each deeper level is prefixed by `│  ` or three spaces;
//! - outside `wide`, a message over 64 bytes keeps its last 64, after `...`.
//!
//! fleetdeck's one addition: a node met twice on a path ends its name with `  (cycle: ...)`.
use super::tree::{Label, TreeNode};

/// Go tabwriter settings of kubectl's `printers.GetNewTabWriter`: minwidth 6, padding 3.
const MIN_WIDTH: usize = 6;
const PADDING: usize = 3;
/// Messages longer than this many bytes are cut outside `wide`.
const MAX_MESSAGE: usize = 64;

/// Renders `root` as `crossplane resource trace` (`-o wide` when `wide`) prints it, one line per object and
/// a header, each line ending in `\n`.
pub fn render_trace(root: &TreeNode, wide: bool) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let header = if wide {
        vec!["NAME", "RESOURCE", "SYNCED", "READY", "STATUS"]
    } else {
        vec!["NAME", "SYNCED", "READY", "STATUS"]
    };
    rows.push(header.into_iter().map(String::from).collect());
    push_rows(&mut rows, root, "", None, wide);
    tabwriter(&rows)
}

fn push_rows(rows: &mut Vec<Vec<String>>, node: &TreeNode, prefix: &str, last: Option<bool>, wide: bool) {
    let (mut name, child_prefix) = match last {
        None => (String::new(), prefix.to_string()),
        Some(true) => (format!("{prefix}└─ "), format!("{prefix}   ")),
        Some(false) => (format!("{prefix}├─ "), format!("{prefix}│  ")),
    };
    if let Label::Object(l) = &node.label {
        name.push_str(&format!("{}/{}", l.kind, l.name));
        if !l.namespace.is_empty() {
            name.push_str(&format!(" ({})", l.namespace));
        }
    } else if let Label::Virtual { name: n } = &node.label {
        name.push_str(n);
    }
    if let Some(note) = &node.note {
        name.push_str(&format!("  ({note})"));
    }
    let trace = node.trace.as_deref();
    let mut row = vec![name];
    if wide {
        row.push(trace.and_then(|t| t.resource.clone()).unwrap_or_default());
    }
    row.push(trace.map_or("-".into(), |t| t.synced.clone()));
    row.push(trace.map_or("-".into(), |t| t.ready.clone()));
    row.push(trace.map_or(String::new(), |t| if wide { t.status.clone() } else { cut(&t.status) }));
    rows.push(row);
    for (i, child) in node.children.iter().enumerate() {
        push_rows(rows, child, &child_prefix, Some(i + 1 == node.children.len()), wide);
    }
}

/// `<reason>: <message>` with a message over 64 bytes cut to its last 64 after `...` (on a character
/// boundary; Go cuts bytes), as trace prints STATUS outside `wide`: provider messages put what matters last
/// (`... api error InvalidParameterCombination: Cannot find version 16.1 for postgres`).
pub fn cut(status: &str) -> String {
    let Some((reason, message)) = status.split_once(": ") else { return status.to_string() };
    if message.len() <= MAX_MESSAGE {
        return status.to_string();
    }
    let mut start = message.len() - MAX_MESSAGE;
    while !message.is_char_boundary(start) {
        start += 1;
    }
    format!("{reason}: ...{}", &message[start..])
}

/// Go `text/tabwriter` with every cell but the last of a row tab-terminated: each terminated column is as
/// wide as its widest cell plus [`PADDING`] (at least [`MIN_WIDTH`]), counted in characters.
fn tabwriter(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![MIN_WIDTH; columns.saturating_sub(1)];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count() + PADDING);
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if let Some(w) = widths.get(i).filter(|_| i + 1 < row.len()) {
                out.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tree::{ObjectLabel, TraceRow};

    fn node(kind: &str, ns: &str, name: &str, synced: &str, ready: &str, status: &str) -> TreeNode {
        let mut n = TreeNode::object(ObjectLabel::new("c", "example.org", kind, ns, name), None);
        n.trace = Some(Box::new(TraceRow {
            synced: synced.into(),
            ready: ready.into(),
            status: status.into(),
            resource: Some(format!("{}-step", name)),
        }));
        n
    }

    #[test]
    fn prints_as_trace_does() {
        let mut xr = node("XAppDB", "team-a", "orders", "True", "False", "Creating: Unready resources: network");
        let mut net = node("XNetwork", "team-a", "orders-n", "True", "False", "Creating: Unready resources: subnet");
        net.children.push(node(
            "Subnet",
            "team-a",
            "orders-s",
            "False",
            "-",
            "ReconcileError: cannot get external resource",
        ));
        xr.children.push(net);
        xr.children.push(node("Instance", "team-a", "orders-i", "True", "True", "Available"));
        let want = "\
NAME                             SYNCED   READY   STATUS
XAppDB/orders (team-a)           True     False   Creating: Unready resources: network
├─ XNetwork/orders-n (team-a)    True     False   Creating: Unready resources: subnet
│  └─ Subnet/orders-s (team-a)   False    -       ReconcileError: cannot get external resource
└─ Instance/orders-i (team-a)    True     True    Available
";
        assert_eq!(render_trace(&xr, false), want);
        let wide = render_trace(&xr, true);
        assert!(
            wide.starts_with("NAME                             RESOURCE        SYNCED   READY   STATUS\n"),
            "{wide}"
        );
    }

    #[test]
    fn long_messages_keep_their_last_64_bytes() {
        let long = format!("ReconcileError: {}", "x".repeat(60) + "the end of it");
        let cut = cut(&long);
        assert_eq!(cut.len(), "ReconcileError: ...".len() + 64);
        assert!(cut.ends_with("the end of it") && cut.starts_with("ReconcileError: ..."));
        assert_eq!(super::cut("Available"), "Available");
        // An empty STATUS leaves the padding of READY, as tabwriter does.
        let n = node("X", "", "a", "-", "-", "");
        assert_eq!(render_trace(&n, false).lines().nth(1), Some("X/a    -        -       "));
    }
}
