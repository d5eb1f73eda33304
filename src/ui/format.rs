//! Small text helpers for the views: relative ages ("3m", "2d") as kubectl and clusterctl print them, and
//! first lines of multi-line messages.
use k8s_openapi::jiff::Timestamp;

/// `now - t` as kubectl's short age: `45s`, `3m`, `5h`, `2d`, `3y`; `0s` for times in the future.
pub fn age(t: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(t).as_secs().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s if s < 365 * 86400 => format!("{}d", s / 86400),
        s => format!("{}y", s / (365 * 86400)),
    }
}

/// A message on one line: CAPI summaries span lines as nested `* Kind: ...` bullets
/// (`* NodeHealthy:\n  * Node.Ready: PLEG is not healthy`); the lines are joined with their bullets removed
/// (`NodeHealthy: Node.Ready: PLEG is not healthy`), so a table cell shows the cause, not just its heading.
pub fn first_line(msg: &str) -> String {
    msg.lines()
        .map(|l| l.trim().trim_start_matches("* ").trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_lines() {
        let now: Timestamp = "2026-11-21T10:00:00Z".parse().expect("ts");
        let at = |s: &str| -> Timestamp { s.parse().expect("ts") };
        assert_eq!(age(at("2026-11-21T09:59:15Z"), now), "45s");
        assert_eq!(age(at("2026-11-21T09:57:00Z"), now), "3m");
        assert_eq!(age(at("2026-11-21T05:00:00Z"), now), "5h");
        assert_eq!(age(at("2026-11-19T10:00:00Z"), now), "2d");
        assert_eq!(age(at("2026-11-21T11:00:00Z"), now), "0s");
        assert_eq!(first_line("\n* NodeHealthy: kubelet down\n* x"), "NodeHealthy: kubelet down x");
        assert_eq!(
            first_line("* NodeHealthy:\n  * Node.Ready: PLEG is not healthy"),
            "NodeHealthy: Node.Ready: PLEG is not healthy"
        );
    }
}
