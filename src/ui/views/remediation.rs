//! The health-check section of the details pane (`model::remediation`): a MachineHealthCheck's healthy /
//! expected Machines, its trigger, remediations allowed or "remediation blocked" with the controller's message,
//! and its unhealthy targets with their checks' messages; a Machine's failed health check and where its
//! remediation is.
use ratatui::text::{Line, Span};

use crate::config::{Role, Theme};
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::model::remediation::{self, MachineHealth, Remediation};
use crate::model::store::FleetStore;

/// The section's lines for `obj`; empty for kinds without one and for Machines no health check judged.
pub fn lines<'a>(store: &FleetStore, obj: &ObjectRef, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if obj.kind == KindId::MACHINE_HEALTH_CHECK {
        let Some(r) = remediation::health_check(store, &obj.context, &obj.namespace, &obj.name) else { return out };
        let c = &r.check;
        let role = if c.blocked() {
            Role::Error
        } else if r.unhealthy.is_empty() {
            Role::Ok
        } else {
            Role::Warning
        };
        out.push(Line::from(vec![
            Span::styled("health check: ", theme.style(Role::Header)),
            Span::styled(c.summary(), theme.style(role)),
        ]));
        out.push(Line::styled(format!("  remediates when {}", c.trigger), theme.style(Role::Muted)));
        if let Remediation::Blocked { reason, message } = &c.remediation {
            out.push(Line::styled(
                format!("  remediation blocked ({reason}): no unhealthy Machine is remediated until enough recover"),
                theme.style(Role::Error),
            ));
            for l in message.lines() {
                out.push(Line::styled(format!("    {l}"), theme.style(Role::Muted)));
            }
        }
        for m in &r.unhealthy {
            machine(&mut out, &m.name, &m.health, theme);
        }
        if !r.targets_not_found.is_empty() {
            out.push(Line::styled(
                format!("  targets not in the store: {}", r.targets_not_found.join(", ")),
                theme.style(Role::Warning),
            ));
        }
    } else if obj.kind == KindId::MACHINE {
        let Some(m) = store.get(&obj.context, KindId::MACHINE, &obj.namespace, &obj.name) else { return out };
        let h = MachineHealth::of(m);
        if h.failing() {
            out.push(Line::styled("health check:", theme.style(Role::Header)));
            machine(&mut out, &obj.name, &h, theme);
        } else if h.checked_healthy {
            out.push(Line::from(vec![
                Span::styled("health check: ", theme.style(Role::Header)),
                Span::styled("succeeded", theme.style(Role::Ok)),
            ]));
        }
    }
    out
}

/// A Machine that failed its health check: the reason, the check's message, then its remediation.
fn machine(out: &mut Vec<Line<'_>>, name: &str, h: &MachineHealth, theme: &Theme) {
    let Some(check) = &h.check else { return };
    out.push(Line::styled(format!("  {name}: health check failed ({})", check.reason), theme.style(Role::Error)));
    for l in check.lines() {
        out.push(Line::styled(format!("    {l}"), theme.style(Role::Muted)));
    }
    if let Some((by, r)) = h.remediation() {
        let text = if r.message.is_empty() { String::new() } else { format!(": {}", r.message.replace('\n', "; ")) };
        out.push(Line::styled(format!("    remediation ({by}): {}{text}", r.reason), theme.style(Role::Warning)));
    }
    if h.skip_remediation {
        out.push(Line::styled(
            format!("    {} is set: it is not remediated", remediation::SKIP_REMEDIATION),
            theme.style(Role::Warning),
        ));
    }
}
