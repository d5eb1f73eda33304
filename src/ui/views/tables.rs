//! The four list views (Fleet, Clusters, Flux, Terraform) as virtualised tables: only the rows on screen
//! are turned into widgets, so a frame costs the same with 50 rows or 50,000.
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use crate::config::{Role, Theme};
use crate::model::kinds::KindId;
use crate::model::pulse::PulseWhat;
use crate::model::store::ConnState;
use crate::model::summary::{ContextSummary, Tally};
use crate::ui::format::{age, first_line};
use crate::ui::format::{health_role, short_revision};
use crate::ui::list::indexes;
use crate::ui::rows::{FluxFilter, Rows};
use crate::ui::state::{State, View};

fn tally_role(t: &Tally) -> Role {
    if t.failing > 0 {
        Role::Error
    } else if t.plans_pending > 0 || t.progressing > 0 {
        Role::Progressing
    } else if t.total == 0 {
        Role::Muted
    } else {
        Role::Ok
    }
}

fn fleet_row<'a>(r: &'a ContextSummary, theme: &Theme, state: &State, sel: bool) -> Row<'a> {
    let (st, role) = match r.state {
        ConnState::Ready if !r.settled() => {
            (format!("Syncing {}/{}", r.kinds_synced, r.kinds_served), Role::Progressing)
        }
        ConnState::Ready => ("Ready".to_string(), Role::Ok),
        ConnState::Connecting => ("Connecting".to_string(), Role::Progressing),
        ConnState::Unreachable => ("Unreachable".to_string(), Role::ClusterDown),
        ConnState::Unauthorized => ("Unauthorized".to_string(), Role::ClusterDown),
    };
    let mut notes = Vec::new();
    if !r.reason.is_empty() {
        notes.push(first_line(&r.reason).to_string());
    }
    notes.extend(r.origin.note());
    if let Some(p) = &r.profile {
        notes.push(p.clone());
    }
    if let Some(with) = &r.shares_connection_of {
        notes.push(format!("shares the connection of {with}"));
    }
    if !state.settings.readonly && state.settings.rules.readonly_reason(&r.name).is_some() {
        notes.push("read-only".to_string());
    }
    let forbidden = r.problems.iter().filter(|p| format!("{:?}", p.state) == "Forbidden").count();
    if forbidden > 0 {
        notes.push(format!("{forbidden} kinds Forbidden"));
    }
    let fresh =
        r.last_event.as_deref().and_then(|t| t.parse().ok()).map(|t| age(t, state.now)).unwrap_or_else(|| "-".into());
    let cell = |t: &Tally, plans: bool| styled(t.compact(plans), tally_role(t), theme, sel);
    Row::new(vec![
        styled(r.name.as_str(), Role::Accent, theme, sel),
        styled(st, role, theme, sel),
        Cell::from(r.version.clone().unwrap_or_else(|| "-".into())),
        cell(&r.nodes, false),
        cell(&r.capi_clusters, false),
        cell(&r.flux, false),
        cell(&r.terraform, true),
        cell(&r.crossplane, false),
        styled(fresh, Role::Muted, theme, sel),
        styled(notes.join("; "), Role::Muted, theme, sel),
    ])
}

/// A cell styled with `role`, unless its row is selected: then the row's highlight alone applies (per-cell
/// colours would make the selected row unreadable).
fn styled<'a>(text: impl Into<ratatui::text::Text<'a>>, role: Role, theme: &Theme, selected: bool) -> Cell<'a> {
    let c = Cell::from(text);
    if selected { c } else { c.style(theme.style(role)) }
}

/// The NAME cell: marked rows (for a bulk action) get a `●` before the name.
fn name_cell<'a>(o: &'a crate::model::object_ref::ObjectRef, state: &State, theme: &Theme, sel: bool) -> Cell<'a> {
    if !state.jobs.marks.is_empty() && state.jobs.marks.contains(o) {
        styled(format!("● {}", o.name), Role::Selected, theme, sel)
    } else {
        styled(o.name.as_str(), Role::Accent, theme, sel)
    }
}

/// The MHC cell of a Cluster row: its MachineHealthChecks' healthy / expected Machines (`4/5`, in the warning
/// colour when some are unhealthy), `blocked 2/3` in the error colour when a check may not remediate, `-` without
/// a check.
fn checks_cell<'a>(c: Option<&crate::model::remediation::ClusterChecks>, theme: &Theme, sel: bool) -> Cell<'a> {
    let Some(c) = c else { return Cell::from("-") };
    let role = if c.blocked {
        Role::Error
    } else if c.healthy < c.expected {
        Role::Warning
    } else {
        Role::Ok
    };
    styled(c.text(), role, theme, sel)
}

/// The PLAN cell of a Terraform row: a pending plan's counts once read (`~1 -1 -/+1`, in the error colour when
/// it destroys or replaces something) and the plan's age (`status.lastPlanAt`); its id until read, or when its
/// plan cannot be read (the details pane says why); `-` without a pending plan.
fn plan_cell<'a>(r: &crate::ui::rows::TerraformRow, state: &State, theme: &Theme, sel: bool) -> Cell<'a> {
    let Some(plan) = &r.pending_plan else { return Cell::from("-") };
    let when = r.last_plan_at.map(|t| format!("  {}", age(t, state.now))).unwrap_or_default();
    match state.plans.counts(&r.obj, plan) {
        Some(Ok((counts, destroys))) => {
            let role = if *destroys { Role::Error } else { Role::Warning };
            styled(format!("{counts}{when}"), role, theme, sel)
        }
        _ => styled(format!("{plan}{when}"), Role::Warning, theme, sel),
    }
}

fn mark<'a>(row: Row<'a>, selected: bool, theme: &Theme) -> Row<'a> {
    if selected { row.style(theme.style(Role::Selected)) } else { row }
}

/// Draws the current list view in `area`.
pub fn draw(f: &mut Frame, area: Rect, state: &State, rows: &Rows, theme: &Theme) {
    let items = indexes(state, rows);
    let title = match &state.nav.view {
        View::Flux => format!(" Flux [{}] ({}) ", state.nav.flux_filter.label(), items.len()),
        View::Crossplane => {
            let filter = match state.nav.flux_filter {
                FluxFilter::Suspended => "paused",
                other => other.label(),
            };
            format!(" Crossplane [{filter}] ({}) ", items.len())
        }
        v => format!(" {} ({}) ", v.title(), items.len()),
    };
    let mut title = vec![Span::styled(title, theme.style(Role::Title))];
    // A fleet-wide list holds only what the synced contexts sent: say so rather than show a silent subset.
    let fleet_wide =
        matches!(state.nav.view, View::Clusters | View::Flux | View::Terraform | View::Crossplane | View::Pulse);
    let (synced, total) = rows.synced;
    if fleet_wide && synced < total {
        title.push(Span::styled(format!(" partial: {synced} of {total} contexts synced "), theme.style(Role::Warning)));
    }
    let block = Block::default().borders(Borders::ALL).border_style(theme.style(Role::Border)).title(Line::from(title));
    let inner_height = area.height.saturating_sub(3) as usize; // borders + header
    let cur = state.scroll(items.len(), inner_height);
    // (index into the rows, whether it is the selected one) for the rows on screen.
    let window: Vec<(usize, bool)> = items
        .iter()
        .enumerate()
        .skip(cur.offset)
        .take(inner_height)
        .map(|(pos, i)| (*i, pos == cur.selected))
        .collect();
    let window = window.into_iter();
    let (header, widths, body): (Vec<&str>, Vec<Constraint>, Vec<Row>) = match state.nav.view {
        View::Fleet => (
            vec!["CONTEXT", "STATE", "VERSION", "NODES", "CAPI", "FLUX", "TERRAFORM", "CROSSPLANE", "FRESH", "NOTES"],
            vec![
                Constraint::Length(
                    rows.fleet.iter().map(|r| r.name.chars().count()).max().unwrap_or(7).clamp(7, 32) as u16
                ),
                Constraint::Length(13),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Length(11),
                Constraint::Length(11),
                Constraint::Length(11),
                Constraint::Length(6),
                Constraint::Fill(2),
            ],
            window.map(|(i, sel)| mark(fleet_row(&rows.fleet[i], theme, state, sel), sel, theme)).collect(),
        ),
        View::Clusters => (
            vec![
                "CONTEXT",
                "NAMESPACE",
                "NAME",
                "PHASE",
                "STATE",
                "CP",
                "WORKERS",
                "MHC",
                "VERSION",
                "CLASS",
                "MESSAGE",
            ],
            vec![
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Min(12),
                Constraint::Length(12),
                Constraint::Length(11),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Length(11),
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Fill(2),
            ],
            window
                .map(|(i, sel)| {
                    let r = &rows.clusters[i];
                    let row = Row::new(vec![
                        styled(r.obj.context.as_str(), Role::Muted, theme, sel),
                        styled(r.obj.namespace.as_str(), Role::Muted, theme, sel),
                        name_cell(&r.obj, state, theme, sel),
                        Cell::from(r.phase.as_str()),
                        styled(format!("{:?}", r.health.state), health_role(r.health.state), theme, sel),
                        Cell::from(r.control_plane.as_str()),
                        Cell::from(r.workers.as_str()),
                        checks_cell(rows.health_checks.get(&r.obj), theme, sel),
                        Cell::from(r.version.as_str()),
                        styled(r.class.clone().unwrap_or_else(|| "-".into()), Role::Muted, theme, sel),
                        Cell::from(first_line(&r.health.message).to_string()),
                    ]);
                    mark(row, sel, theme)
                })
                .collect(),
        ),
        View::Flux => (
            vec!["CONTEXT", "KIND", "NAMESPACE", "NAME", "STATE", "REVISION", "MESSAGE"],
            vec![
                Constraint::Length(12),
                Constraint::Length(14),
                Constraint::Length(13),
                Constraint::Min(14),
                Constraint::Length(11),
                Constraint::Length(22),
                Constraint::Fill(2),
            ],
            window
                .map(|(i, sel)| {
                    let r = &rows.flux[i];
                    let row = Row::new(vec![
                        styled(r.obj.context.as_str(), Role::Muted, theme, sel),
                        Cell::from(r.obj.kind.spec().kind),
                        styled(r.obj.namespace.as_str(), Role::Muted, theme, sel),
                        name_cell(&r.obj, state, theme, sel),
                        styled(format!("{:?}", r.health.state), health_role(r.health.state), theme, sel),
                        Cell::from(short_revision(&r.revision)),
                        Cell::from(first_line(&r.health.message).to_string()),
                    ]);
                    mark(row, sel, theme)
                })
                .collect(),
        ),
        View::Pulse => (
            vec!["AGE", "CONTEXT", "KIND", "NAMESPACE", "NAME", "WHAT", "MESSAGE"],
            vec![
                Constraint::Length(5),
                Constraint::Length(
                    rows.pulse.iter().map(|l| l.object.context.chars().count()).max().unwrap_or(7).clamp(7, 24) as u16,
                ),
                Constraint::Length(14),
                Constraint::Length(13),
                Constraint::Min(14),
                Constraint::Length(36),
                Constraint::Fill(2),
            ],
            window
                .map(|(i, sel)| {
                    let l = &rows.pulse[i];
                    let (what, role) = match &l.what {
                        PulseWhat::Transition { from, to, reason } => {
                            let why = if reason.is_empty() { String::new() } else { format!(" {reason}") };
                            (format!("{from:?} → {to:?}{why}"), health_role(*to))
                        }
                        PulseWhat::Warning { reason, count, .. } if *count > 1 => {
                            (format!("Warning {reason} ×{count}"), Role::Warning)
                        }
                        PulseWhat::Warning { reason, .. } => (format!("Warning {reason}"), Role::Warning),
                    };
                    let row = Row::new(vec![
                        styled(age(l.at, state.now), Role::Muted, theme, sel),
                        styled(l.object.context.as_str(), Role::Muted, theme, sel),
                        Cell::from(l.object.kind.spec().kind),
                        styled(l.object.namespace.as_str(), Role::Muted, theme, sel),
                        name_cell(&l.object, state, theme, sel),
                        styled(what, role, theme, sel),
                        Cell::from(first_line(&l.message).to_string()),
                    ]);
                    mark(row, sel, theme)
                })
                .collect(),
        ),
        View::Crossplane => (
            vec!["CONTEXT", "KIND", "NAMESPACE", "NAME", "SYNCED", "READY", "STATE", "COMPOSITION", "MESSAGE"],
            vec![
                Constraint::Length(10),
                Constraint::Length(19),
                Constraint::Length(10),
                Constraint::Length(25),
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Length(11),
                Constraint::Length(14),
                Constraint::Fill(3),
            ],
            window
                .map(|(i, sel)| {
                    let r = &rows.crossplane[i];
                    let condition = |s: &str| {
                        let role = match s {
                            "True" => Role::Ok,
                            "False" => Role::Error,
                            _ => Role::Muted,
                        };
                        styled(s.to_string(), role, theme, sel)
                    };
                    // A composed resource that fails makes the row Failed and says which and why, with
                    // trace's cut of its status (provider messages put what matters last).
                    let health = rows.crossplane_state(r);
                    let (message, role) = match rows.crossplane_causes.get(&r.obj) {
                        Some(c) => {
                            let status = crate::model::trace_text::cut(&first_line(&c.status));
                            (format!("{}: {status}", c.object), Role::Error)
                        }
                        None => (first_line(&r.health.message).to_string(), Role::Base),
                    };
                    let row = Row::new(vec![
                        styled(r.obj.context.as_str(), Role::Muted, theme, sel),
                        Cell::from(r.obj.kind.spec().kind),
                        styled(r.obj.namespace.as_str(), Role::Muted, theme, sel),
                        name_cell(&r.obj, state, theme, sel),
                        condition(&r.synced),
                        condition(&r.ready),
                        styled(format!("{health:?}"), health_role(health), theme, sel),
                        styled(
                            if r.composition.is_empty() { "-" } else { r.composition.as_str() },
                            Role::Muted,
                            theme,
                            sel,
                        ),
                        styled(message, role, theme, sel),
                    ]);
                    mark(row, sel, theme)
                })
                .collect(),
        ),
        View::Terraform | View::Tree(_) => (
            vec!["CONTEXT", "NAMESPACE", "NAME", "STATE", "PLAN", "OUTPUTS", "MESSAGE"],
            vec![
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Min(14),
                Constraint::Length(11),
                Constraint::Length(26),
                Constraint::Length(18),
                Constraint::Fill(2),
            ],
            window
                .map(|(i, sel)| {
                    let r = &rows.terraform[i];
                    let row = Row::new(vec![
                        styled(r.obj.context.as_str(), Role::Muted, theme, sel),
                        styled(r.obj.namespace.as_str(), Role::Muted, theme, sel),
                        name_cell(&r.obj, state, theme, sel),
                        styled(format!("{:?}", r.health.state), health_role(r.health.state), theme, sel),
                        plan_cell(r, state, theme, sel),
                        Cell::from(if r.outputs.is_empty() { "-".into() } else { r.outputs.join(",") }),
                        Cell::from(match r.obj.kind {
                            KindId::TERRAFORM => first_line(&r.health.message).to_string(),
                            // provider-terraform's Workspace, listed here too: say which it is.
                            k => format!("{} ({}) {}", k.spec().kind, k.spec().group, first_line(&r.health.message)),
                        }),
                    ]);
                    mark(row, sel, theme)
                })
                .collect(),
        ),
    };
    let body: Vec<Row> = body.into_iter().collect();
    let empty = body.is_empty();
    let table = Table::new(body, widths)
        .header(Row::new(header).style(theme.style(Role::Header)))
        .block(block)
        .column_spacing(1);
    f.render_widget(table, area);
    if empty {
        let msg = match (&state.nav.view, state.nav.filter.is_empty()) {
            (_, false) => "no row matches the filter",
            (View::Pulse, true) => "nothing went wrong since launch: no health turned, no Warning Event",
            _ => "nothing here yet",
        };
        let r = Rect { x: area.x + 2, y: area.y + 2, width: area.width.saturating_sub(4), height: 1 };
        f.render_widget(Line::styled(msg, theme.style(Role::Muted)), r);
    }
}
