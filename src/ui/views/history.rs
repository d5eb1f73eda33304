//! The history section of the details pane: a HelmRelease's Helm releases (newest first, failed ones in
//! red), its last attempted action, failure counters and values (inline YAML; `valuesFrom` as names and keys,
//! never content); a Kustomization's reconciliation snapshots and last revisions. The facts come from
//! `model::flux_history`, which says what is missing instead of guessing.
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::config::{Role, Theme};
use crate::model::flux_history::{self, HelmReleaseHistory, KustomizationHistory};
use crate::model::kinds::KindId;
use crate::ui::format::age;
use crate::ui::state::State;

/// The section's lines for an object of `kind` with JSON `data`; empty for kinds without a history.
pub fn lines<'a>(kind: KindId, data: &Value, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    if kind == KindId::HELM_RELEASE {
        helm(&flux_history::helm_release(data), state, theme)
    } else if kind == KindId::KUSTOMIZATION {
        kustomization(&flux_history::kustomization(data), state, theme)
    } else {
        Vec::new()
    }
}

fn helm<'a>(h: &HelmReleaseHistory, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = vec![Line::styled("releases (newest first):", theme.style(Role::Header))];
    let chart = |r: &crate::model::flux_history::HelmRevision| format!("{}-{}", r.chart_name, r.chart_version);
    let w = h.releases.iter().map(|r| chart(r).chars().count()).max().unwrap_or(5).max(5) + 2;
    if !h.releases.is_empty() {
        out.push(Line::styled(
            format!("  {:<4}{:<11}{:<w$}{:<9}{:<9}{}", "REV", "STATUS", "CHART", "APP", "ACTION", "DEPLOYED"),
            theme.style(Role::Muted),
        ));
    }
    for r in &h.releases {
        let role = if flux_history::is_failed_status(&r.status) {
            Role::Error
        } else if r.status == "deployed" {
            Role::Ok
        } else {
            Role::Base
        };
        let deployed = r.last_deployed.or(r.first_deployed).map(|t| age(t, state.now)).unwrap_or_else(|| "-".into());
        let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
        out.push(Line::from(vec![
            Span::raw(format!("  {:<4}", r.revision)),
            Span::styled(format!("{:<11}", r.status), theme.style(role)),
            Span::raw(format!("{:<w$}{:<9}{:<9}", chart(r), dash(&r.app_version), dash(&r.action))),
            Span::styled(deployed, theme.style(Role::Muted)),
        ]));
    }
    if let Some(a) = &h.last_attempt {
        let role = match a.result.as_str() {
            "failed" => Role::Error,
            "succeeded" => Role::Ok,
            _ => Role::Muted,
        };
        let action = if a.action.is_empty() { "release" } else { a.action.as_str() };
        let took = if a.duration.is_empty() { String::new() } else { format!(" in {}", a.duration) };
        out.push(Line::from(vec![
            Span::raw(format!("last attempt: {action} {} ", a.revision)),
            Span::styled(a.result.clone(), theme.style(role)),
            Span::styled(
                if a.reason.is_empty() { took } else { format!(" ({}){took}", a.reason) },
                theme.style(Role::Muted),
            ),
        ]));
        if a.result == "failed" && !a.message.is_empty() {
            out.push(Line::styled(format!("  {}", a.message), theme.style(Role::Error)));
        }
        if let Some(r) = &a.remediated {
            out.push(Line::styled(format!("  remediated: {r}"), theme.style(Role::Warning)));
        }
    }
    let counters = format!("failures: {} (install {}, upgrade {})", h.failures, h.install_failures, h.upgrade_failures);
    let role = if h.failures > 0 { Role::Warning } else { Role::Muted };
    out.push(Line::styled(counters, theme.style(role)));
    out.push(Line::styled("values:", theme.style(Role::Header)));
    if h.values.is_empty() {
        out.push(Line::styled("  (none inline)", theme.style(Role::Muted)));
    }
    out.extend(h.values.lines().map(|l| Line::raw(format!("  {l}"))));
    if !h.values_from.is_empty() {
        out.push(Line::styled("valuesFrom:", theme.style(Role::Header)));
        for v in &h.values_from {
            let target = if v.target_path.is_empty() { String::new() } else { format!(" at {}", v.target_path) };
            let optional = if v.optional { " (optional)" } else { "" };
            out.push(Line::raw(format!("  {} {} key {}{target}{optional}", v.kind, v.name, v.key)));
        }
    }
    notes(&mut out, &h.notes, theme);
    out
}

fn kustomization<'a>(k: &KustomizationHistory, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let mut out = vec![
        Line::raw(format!("last applied: {}", dash(&k.last_applied_revision))),
        Line::raw(format!("last attempted: {}", dash(&k.last_attempted_revision))),
    ];
    if !k.snapshots.is_empty() {
        out.push(Line::styled("history (newest first):", theme.style(Role::Header)));
        for s in &k.snapshots {
            let role = if s.status == "ReconciliationSucceeded" { Role::Ok } else { Role::Error };
            let when = s.last_reconciled.map(|t| age(t, state.now)).unwrap_or_else(|| "-".into());
            out.push(Line::from(vec![
                Span::styled(format!("  {when:>4} "), theme.style(Role::Muted)),
                Span::styled(format!("{:<24}", s.status), theme.style(role)),
                Span::raw(format!(" {}  ×{}  {}", s.revision, s.total, dash(&s.duration))),
            ]));
        }
    }
    notes(&mut out, &k.notes, theme);
    out
}

fn notes(out: &mut Vec<Line<'_>>, notes: &[String], theme: &Theme) {
    for n in notes {
        out.push(Line::styled(format!("note: {n}"), theme.style(Role::Warning)));
    }
}
