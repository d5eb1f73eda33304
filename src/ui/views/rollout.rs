//! The rollout section of the details pane (`model::rollout`): a MachineDeployment's rollout (rolling out or
//! not, with the condition's message, up to date / desired as a bar) and its MachineSets newest revision
//! first; a KubeadmControlPlane's version moving and its Machines not up to date; a topology Cluster's version
//! against its control plane and MachineDeployments.
use ratatui::text::{Line, Span};

use crate::config::{Role, Theme};
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::model::rollout::{self, Replicas, RollingOut};
use crate::model::store::FleetStore;

/// The section's lines for `obj`; empty for kinds without a rollout.
pub fn lines<'a>(store: &FleetStore, obj: &ObjectRef, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if obj.kind == KindId::MACHINE_DEPLOYMENT {
        let Some(r) = rollout::machine_deployment(store, &obj.context, &obj.namespace, &obj.name) else { return out };
        header(&mut out, &r.replicas, r.rolling_out.as_ref(), theme);
        if r.paused {
            out.push(Line::styled("  paused: the rollout does not progress until resumed", theme.style(Role::Warning)));
        }
        // MACHINESET and VERSION as wide as their longest value, so the table fits a narrow pane.
        let ms = r.revisions.iter().map(|v| v.machine_set.chars().count()).max().unwrap_or(0).max(10) + 2;
        let ver = r.revisions.iter().map(|v| v.version.chars().count()).max().unwrap_or(0).max(7) + 2;
        if !r.revisions.is_empty() {
            out.push(Line::styled(
                format!(
                    "  {:<5}{:<ms$}{:<ver$}{:>4}{:>6}{:>5}",
                    "REV", "MACHINESET", "VERSION", "CUR", "READY", "UP2D"
                ),
                theme.style(Role::Muted),
            ));
        }
        for v in &r.revisions {
            let rev = v.revision.map_or("?".to_string(), |n| n.to_string());
            let role = if v.current { Role::Ok } else { Role::Base };
            out.push(Line::styled(
                format!(
                    "  {rev:<5}{:<ms$}{:<ver$}{:>4}{:>6}{:>5}",
                    v.machine_set, v.version, v.replicas.current, v.replicas.ready, v.replicas.up_to_date
                ),
                theme.style(role),
            ));
        }
        for n in &r.notes {
            out.push(Line::styled(format!("note: {n}"), theme.style(Role::Warning)));
        }
    } else if obj.kind == KindId::CLUSTER {
        let Some(t) = rollout::topology(store, &obj.context, &obj.namespace, &obj.name) else { return out };
        let (what, role) = if t.upgrading { ("upgrading", Role::Warning) } else { ("at", Role::Ok) };
        out.push(Line::from(vec![
            Span::styled("topology: ", theme.style(Role::Header)),
            Span::styled(format!("{what} {}", t.version), theme.style(role)),
        ]));
        if let Some((spec, status)) = &t.control_plane {
            let role = if *spec == t.version && *status == t.version { Role::Ok } else { Role::Warning };
            out.push(Line::styled(format!("  control plane {spec} (Machines at {status})"), theme.style(role)));
        }
        for w in &t.workers {
            let r = &w.replicas;
            let (role, note) = if w.at(&t.version) {
                (Role::Ok, String::new())
            } else if w.version == t.version {
                (Role::Warning, format!("  (rolling out: {}/{} up to date)", r.up_to_date, r.desired))
            } else {
                (Role::Warning, "  (waits for the control plane)".to_string())
            };
            out.push(Line::styled(format!("  {} {}{note}", w.name, w.version), theme.style(role)));
        }
    } else if obj.kind == KindId::KUBEADM_CONTROL_PLANE {
        let Some(r) = rollout::kubeadm_control_plane(store, &obj.context, &obj.namespace, &obj.name) else {
            return out;
        };
        header(&mut out, &r.replicas, r.rolling_out.as_ref(), theme);
        if !r.status_version.is_empty() && r.status_version != r.version {
            out.push(Line::styled(
                format!("  version {} -> {}", r.status_version, r.version),
                theme.style(Role::Warning),
            ));
        }
        for m in &r.stale {
            out.push(Line::from(vec![
                Span::styled(format!("  {} {} ", m.name, m.version), theme.style(Role::Warning)),
                Span::styled(m.message.lines().collect::<Vec<_>>().join("; "), theme.style(Role::Muted)),
            ]));
        }
    }
    out
}

fn header(out: &mut Vec<Line<'_>>, r: &Replicas, ro: Option<&RollingOut>, theme: &Theme) {
    let (what, role) = match ro {
        Some(c) if c.rolling_out => ("rolling out", Role::Warning),
        Some(_) => ("rolled out", Role::Ok),
        None => ("no RollingOut condition", Role::Muted),
    };
    out.push(Line::from(vec![
        Span::styled("rollout: ", theme.style(Role::Header)),
        Span::styled(what.to_string(), theme.style(role)),
        Span::raw(format!(
            "  up to date {}/{} {}  ready {}  available {}",
            r.up_to_date,
            r.desired,
            rollout::bar(r.progress(), 20),
            r.ready,
            r.available
        )),
    ]));
    if let Some(c) = ro.filter(|c| c.rolling_out) {
        for l in c.message.lines() {
            out.push(Line::styled(format!("  {l}"), theme.style(Role::Muted)));
        }
    }
}
