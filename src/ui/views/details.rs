//! The details pane of the selected object: health, the conditions table (colours follow each condition's
//! polarity: a `Paused=False` is normal, a `Ready=False` is not), a Flux object's history (`history.rs`), a
//! Cluster API rollout (`rollout.rs`) and health checks (`remediation.rs`), recent events when fetched, and the
//! YAML with Secret data redacted.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use serde_json::Value;

use crate::config::{Role, Theme};
use crate::model::conditions::{conditions_at, is_abnormal};
use crate::model::object_ref::ObjectRef;
use crate::model::store::{FleetStore, StoredObject};
use crate::ui::format::age;
use crate::ui::format::health_role;
use crate::ui::state::{Focus, State};

/// What replaces Secret values and other redacted data.
pub const REDACTED: &str = "<redacted>";

/// A copy of `v` with every value under `data` / `stringData` of a Secret replaced by [`REDACTED`].
/// Other kinds are returned unchanged. Secrets never reach the store, but a YAML view must not depend on that.
pub fn redact(kind: &str, v: &Value) -> Value {
    let mut v = v.clone();
    if kind == "Secret" {
        for key in ["data", "stringData"] {
            if let Some(m) = v.get_mut(key).and_then(Value::as_object_mut) {
                for val in m.values_mut() {
                    *val = Value::String(REDACTED.into());
                }
            }
        }
    }
    v
}

/// The lines of the details of `o` (used by the pane and by `snapshot`).
pub fn lines<'a>(store: &FleetStore, o: &StoredObject, obj: &ObjectRef, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let kind = obj.kind.spec().kind;
    out.push(Line::from(vec![
        Span::styled(format!("{kind} "), theme.style(Role::Title)),
        Span::styled(obj.namespaced_name(), theme.style(Role::Accent)),
        Span::styled(format!("  in {}", obj.context), theme.style(Role::Muted)),
    ]));
    let h = &o.health;
    out.push(Line::from(vec![
        Span::raw("health: "),
        Span::styled(format!("{:?}", h.state), theme.style(health_role(h.state))),
        Span::styled(
            if h.reason.is_empty() { String::new() } else { format!("  ({})", h.reason) },
            theme.style(Role::Muted),
        ),
    ]));
    for l in h.message.lines().filter(|l| !l.trim().is_empty()) {
        out.push(Line::raw(format!("  {l}")));
    }
    if let Some(n) = &h.note {
        out.push(Line::styled(format!("note: {n}"), theme.style(Role::Warning)));
    }
    out.push(Line::raw(""));
    // v1beta1-shaped CAPI objects keep the v1beta2 conditions under status.v1beta2.
    for (title, pointer) in [("conditions", "/status/conditions"), ("v1beta2 conditions", "/status/v1beta2/conditions")]
    {
        match conditions_at(&o.obj().data, pointer) {
            Ok(cs) if !cs.is_empty() => {
                out.push(Line::styled(format!("{title}:"), theme.style(Role::Header)));
                for c in cs {
                    let role = if is_abnormal(&c) { Role::Error } else { Role::Ok };
                    let since = c.last_transition_time.map(|t| age(t, state.now)).unwrap_or_else(|| "-".into());
                    let sev = c.severity.map(|s| format!(" {s:?}")).unwrap_or_default();
                    // Two lines per condition (type, status, reason, age; then the message) so the table
                    // stays readable in a half-width pane.
                    out.push(Line::from(vec![
                        Span::styled(format!("  {} ", c.type_), theme.style(role)),
                        Span::styled(format!("{:?}", c.status), theme.style(role)),
                        Span::raw(format!("  {}{sev}", c.reason)),
                        Span::styled(format!("  {since}"), theme.style(Role::Muted)),
                    ]));
                    let msg = crate::ui::format::first_line(&c.message);
                    if !msg.is_empty() {
                        out.push(Line::styled(format!("      {msg}"), theme.style(Role::Muted)));
                    }
                }
            }
            Ok(_) => {}
            Err(m) => out.push(Line::styled(format!("{title}: unreadable ({m})"), theme.style(Role::Warning))),
        }
    }
    for section in [
        super::history::lines(obj.kind, &o.obj().data, state, theme),
        super::rollout::lines(store, obj, theme),
        super::remediation::lines(store, obj, theme),
    ] {
        if !section.is_empty() {
            out.extend(section);
            out.push(Line::raw(""));
        }
    }
    if let Some(i) = state.jobs.inspections.get(obj) {
        inspection_lines(&mut out, i, state, theme);
    }
    out.push(Line::raw(""));
    out.push(Line::styled("yaml:", theme.style(Role::Header)));
    let yaml = yaml_of(o, obj, kind, &state.details_yaml);
    out.extend(yaml.iter().map(|l| Line::raw(l.clone())));
    out
}

/// The YAML lines of `o` (Secret data redacted, indented two spaces), from `cache` while the stored version
/// is the one they were written from.
fn yaml_of(
    o: &StoredObject,
    obj: &ObjectRef,
    kind: &str,
    cache: &crate::ui::state::YamlCache,
) -> std::rc::Rc<Vec<String>> {
    let key: crate::ui::state::YamlKey =
        (obj.clone(), o.obj().metadata.resource_version.clone(), std::ptr::from_ref(o) as usize);
    if let Some((k, lines)) = cache.borrow().as_ref()
        && *k == key
    {
        return lines.clone();
    }
    let value = redact(kind, &serde_json::to_value(o.obj()).unwrap_or(Value::Null));
    let yaml = serde_saphyr::to_string(&value).unwrap_or_else(|e| format!("(cannot render: {e})"));
    let lines = std::rc::Rc::new(yaml.lines().map(|l| format!("  {l}")).collect::<Vec<_>>());
    *cache.borrow_mut() = Some((key, lines.clone()));
    lines
}

/// The actions (allowed, or disabled with the reason) and recent events of an inspected object.
fn inspection_lines(out: &mut Vec<Line<'_>>, i: &crate::ui::jobs::Inspection, state: &State, theme: &Theme) {
    if !i.verbs.is_empty() {
        out.push(Line::raw(""));
        out.push(Line::styled("actions:", theme.style(Role::Header)));
        // Verbs padded to the longest ("scale to 3") and a space, so the state never runs into the verb.
        let w = i.verbs.iter().map(|(v, _)| v.chars().count()).max().unwrap_or(0).max(9) + 1;
        for (verb, denial) in &i.verbs {
            out.push(match denial {
                None => {
                    Line::from(vec![Span::raw(format!("  {verb:<w$}")), Span::styled("allowed", theme.style(Role::Ok))])
                }
                Some(why) => Line::from(vec![
                    Span::styled(format!("  {verb:<w$}"), theme.style(Role::Muted)),
                    Span::styled(format!("disabled: {why}"), theme.style(Role::Muted)),
                ]),
            });
        }
    }
    match &i.plan {
        Some(Ok(plan)) => {
            if let Some(s) = &i.plan_summary {
                plan_summary_lines(out, s, theme);
            }
            out.push(Line::raw(""));
            out.push(Line::styled("plan (stored readable):", theme.style(Role::Header)));
            for l in plan.lines() {
                let role = match l.trim_start().chars().next() {
                    Some('+') => Role::Ok,
                    Some('-') => Role::Error,
                    Some('~') => Role::Warning,
                    _ => Role::Base,
                };
                out.push(Line::styled(format!("  {l}"), theme.style(role)));
            }
        }
        Some(Err(why)) => {
            out.push(Line::raw(""));
            out.push(Line::styled(format!("plan: {why}"), theme.style(Role::Muted)));
        }
        None => {}
    }
    out.push(Line::raw(""));
    match &i.events {
        None => out.push(Line::styled("events: reading...", theme.style(Role::Muted))),
        Some(Err(e)) => out.push(Line::styled(format!("events: {e}"), theme.style(Role::Warning))),
        Some(Ok(events)) if events.is_empty() => out.push(Line::styled("events: none", theme.style(Role::Muted))),
        Some(Ok(events)) => {
            out.push(Line::styled("events (newest first):", theme.style(Role::Header)));
            for e in events {
                let role = if e.type_ == "Warning" { Role::Warning } else { Role::Muted };
                let when = e.time.map(|t| age(t, state.now)).unwrap_or_else(|| "-".into());
                let count = if e.count > 1 { format!(" (x{})", e.count) } else { String::new() };
                out.push(Line::from(vec![
                    Span::styled(format!("  {when:>4} {:<8}", e.type_), theme.style(role)),
                    Span::raw(format!("{}{count}", e.reason)),
                ]));
                if !e.message.is_empty() {
                    out.push(Line::styled(format!("       {}", e.message), theme.style(Role::Muted)));
                }
            }
        }
    }
}

/// The plan's summary: counts, drift, each resource (destroys first, in red) and the outputs that change.
fn plan_summary_lines(out: &mut Vec<Line<'_>>, s: &crate::model::plan_summary::PlanSummary, theme: &Theme) {
    use crate::model::plan_summary::Change;
    out.push(Line::raw(""));
    let mut head = vec![Span::styled("plan summary: ", theme.style(Role::Header)), Span::raw(s.counts_text())];
    if let Some((add, change, destroy)) = s.totals {
        head.push(Span::styled(
            format!("  (Plan: {add} to add, {change} to change, {destroy} to destroy)"),
            theme.style(Role::Muted),
        ));
    }
    if s.drift {
        head.push(Span::styled("  drift detected outside Terraform", theme.style(Role::Warning)));
    }
    out.push(Line::from(head));
    for (c, address) in &s.resources {
        let role = match c {
            Change::Destroy | Change::Replace => Role::Error,
            Change::Update => Role::Warning,
            Change::Create => Role::Ok,
            Change::Read => Role::Muted,
        };
        out.push(Line::styled(format!("  {:>3} {address}", c.symbol()), theme.style(role)));
    }
    if !s.outputs.is_empty() {
        let names: Vec<String> = s.outputs.iter().map(|(c, n)| format!("{}{n}", c.symbol())).collect();
        out.push(Line::styled(format!("  outputs: {}", names.join(" ")), theme.style(Role::Muted)));
    }
    for n in &s.notes {
        out.push(Line::styled(format!("  note: {n}"), theme.style(Role::Warning)));
    }
}

/// Draws the pane for `obj` (or a hint when nothing is selected).
pub fn draw(f: &mut Frame, area: Rect, state: &State, store: &FleetStore, obj: Option<&ObjectRef>, theme: &Theme) {
    let border = if state.nav.focus == Focus::Details { Role::BorderFocused } else { Role::Border };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(border))
        .title(Span::styled(" Details ", theme.style(Role::Title)));
    let found = obj.and_then(|o| store.get(&o.context, o.kind, &o.namespace, &o.name).map(|s| (o, s)));
    let text = match found {
        Some((o, s)) => lines(store, s, o, state, theme),
        None => vec![Line::styled("select an object to see its conditions and YAML", theme.style(Role::Muted))],
    };
    let p = Paragraph::new(text).block(block).wrap(Wrap { trim: false }).scroll((state.nav.details_scroll, 0));
    f.render_widget(p, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_and_other_kinds_untouched() {
        let s = json!({"kind": "Secret", "data": {"value": "c2VjcmV0"}, "stringData": {"token": "t"}});
        let r = redact("Secret", &s);
        assert_eq!(r["data"]["value"], REDACTED);
        assert_eq!(r["stringData"]["token"], REDACTED);
        assert!(!r.to_string().contains("c2VjcmV0"));
        let cm = json!({"kind": "ConfigMap", "data": {"a": "b"}});
        assert_eq!(redact("ConfigMap", &cm), cm);
    }
}
