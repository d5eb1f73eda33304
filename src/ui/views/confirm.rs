//! The confirmation overlay of an action: what will be sent to which objects, and how to confirm (`y`, or
//! typing the context name for production contexts).
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::config::{Role, Theme};
use crate::ops::Verb;
use crate::ui::jobs::Confirm;

/// What a verb will do, in words, for the dialog.
pub fn explain(verb: &Verb) -> String {
    match verb {
        Verb::Reconcile { .. } => "request a reconciliation now (reconcile.fluxcd.io/requestedAt)".into(),
        Verb::Suspend => "suspend reconciliation (spec.suspend: true); nothing is applied until resumed".into(),
        Verb::Resume => "resume reconciliation (spec.suspend removed)".into(),
        Verb::Approve => "approve the pending plan: spec.approvePlan in git when config.yaml names the GitOps \
                           repository (git.repository), else on the live object; tofu-controller then applies it"
            .into(),
        Verb::Replan => "discard the pending plan and plan again (as tfctl replan)".into(),
        Verb::Pause => "pause (spec.paused: true); controllers stop acting on it".into(),
        Verb::Unpause => "unpause (spec.paused removed)".into(),
        Verb::Scale { replicas } => format!("scale to {replicas} replicas (scale subresource)"),
        Verb::Restart => "restart the rollout (spec.rollout.after: now, as clusterctl alpha rollout restart): \
                          every Machine is replaced"
            .into(),
    }
}

/// The dialog's lines.
pub fn lines(c: &Confirm, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(first) = c.requests.first() {
        out.push(Line::styled(format!(" {}", explain(&first.verb)), theme.style(Role::Base)));
    }
    out.push(Line::raw(""));
    for r in c.requests.iter().take(12) {
        let t = &r.target;
        out.push(Line::from(vec![
            Span::styled(format!("  {} ", r.verb.name()), theme.style(Role::Warning)),
            Span::styled(format!("{} {}", t.kind.spec().kind, t.namespaced_name()), theme.style(Role::Accent)),
            Span::styled(format!("  in {}", t.context), theme.style(Role::Muted)),
        ]));
    }
    if c.requests.len() > 12 {
        out.push(Line::styled(format!("  ... and {} more", c.requests.len() - 12), theme.style(Role::Muted)));
    }
    out.push(Line::raw(""));
    match &c.must_type {
        Some(ctx) => {
            out.push(Line::styled(
                format!(" {ctx} is a production context: type its name and press enter (esc cancels)"),
                theme.style(Role::Warning),
            ));
            out.push(Line::from(vec![
                Span::styled(" > ", theme.style(Role::KeyHint)),
                Span::raw(c.typed.clone()),
                Span::raw("▏"),
            ]));
        }
        None => out.push(Line::from(vec![
            Span::styled(" y", theme.style(Role::KeyHint)),
            Span::raw(" / enter: confirm   "),
            Span::styled("n", theme.style(Role::KeyHint)),
            Span::raw(" / esc: cancel"),
        ])),
    }
    out
}

/// Draws the dialog centred in `area`.
pub fn draw(f: &mut Frame, area: Rect, c: &Confirm, theme: &Theme) {
    let lines = lines(c, theme);
    let w = 90.min(area.width.saturating_sub(4));
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Span::styled(" Confirm ", theme.style(Role::Title)));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).style(theme.style(Role::Base)), r);
}
