//! Small text helpers for the views: relative ages ("3m", "2d") as kubectl and clusterctl print them,
//! first lines of multi-line messages, short revisions, and the theme role of a health state.
//!
//! Ages also drive the cockpit's clock: each [`age`] drawn notes when its text will next change, and the
//! loop asks [`take_next_change`] after a frame and redraws then (but not sooner than a second after the
//! frame: `ui::app::CLOCK_TICK`), so an idle screen shows `17s`, `18s`, ... (one frame a second while a
//! seconds age is visible, one a minute for `3m`) and nothing more.
use std::cell::Cell;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::config::Role;
use crate::model::status::HealthState;

thread_local! {
    /// The soonest change of an age text drawn since the last [`take_next_change`], in nanoseconds from its `now`.
    static NEXT_CHANGE: Cell<Option<i128>> = const { Cell::new(None) };
}

/// `now - t` as kubectl's short age: `45s`, `3m`, `5h`, `2d`, `3y`; `0s` for times in the future. Notes when
/// the text will change (see the module docs).
pub fn age(t: Timestamp, now: Timestamp) -> String {
    let nanos = now.duration_since(t).as_nanos().max(0);
    let secs = (nanos / 1_000_000_000) as i64;
    let (text, unit) = match secs {
        s if s < 120 => (format!("{s}s"), 1),
        s if s < 2 * 3600 => (format!("{}m", s / 60), 60),
        s if s < 48 * 3600 => (format!("{}h", s / 3600), 3600),
        s if s < 365 * 86400 => (format!("{}d", s / 86400), 86400),
        s => (format!("{}y", s / (365 * 86400)), 365 * 86400),
    };
    let unit_nanos = i128::from(unit) * 1_000_000_000;
    let until = unit_nanos - nanos % unit_nanos;
    NEXT_CHANGE.with(|n| n.set(Some(n.get().map_or(until, |m| m.min(until)))));
    text
}

/// How long until the soonest age drawn (on this thread) since the last call changes its text; `None` when no
/// age was drawn. Resets.
pub fn take_next_change() -> Option<Duration> {
    NEXT_CHANGE.with(|n| n.take()).map(|nanos| Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)))
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

/// The theme role of a health state.
pub fn health_role(h: HealthState) -> Role {
    match h {
        HealthState::Ready => Role::Ok,
        HealthState::Failed => Role::Error,
        HealthState::Progressing => Role::Progressing,
        HealthState::PlanPending => Role::Warning,
        HealthState::Suspended => Role::Suspended,
        HealthState::Paused => Role::Paused,
        HealthState::Deleting => Role::Deleting,
        HealthState::Unknown => Role::Unknown,
    }
}

/// `main@sha1:0123456789abcdef...` -> `main@sha1:0123456`; versions stay as they are.
pub fn short_revision(r: &str) -> String {
    match r.split_once(":") {
        Some((head, hex)) if hex.len() > 12 => format!("{head}:{}", &hex[..7]),
        _ => r.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_change_is_the_soonest_drawn_text_change() {
        let now: Timestamp = "2026-11-21T10:00:00.250Z".parse().expect("ts");
        let at = |s: &str| -> Timestamp { s.parse().expect("ts") };
        take_next_change();
        assert_eq!(take_next_change(), None, "nothing drawn");
        assert_eq!(age(at("2026-11-21T09:57:00Z"), now), "3m");
        assert_eq!(take_next_change(), Some(Duration::from_millis(59_750)), "3m turns 4m at 4:00");
        assert_eq!(age(at("2026-11-21T09:57:00Z"), now), "3m");
        assert_eq!(age(at("2026-11-21T09:59:15Z"), now), "45s");
        assert_eq!(take_next_change(), Some(Duration::from_millis(750)), "45s turns 46s first");
        assert_eq!(age(at("2026-11-21T09:58:00.250Z"), now), "2m", "120 s");
        assert_eq!(take_next_change(), Some(Duration::from_secs(60)));
    }

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
        take_next_change();
        assert_eq!(
            first_line("* NodeHealthy:\n  * Node.Ready: PLEG is not healthy"),
            "NodeHealthy: Node.Ready: PLEG is not healthy"
        );
    }
}
