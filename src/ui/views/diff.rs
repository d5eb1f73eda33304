//! The drift diff over the body (`D` on a Kustomization): a title with the source and the counts, the
//! objects with their verdicts on the left (what drifted first in the eye: coloured, unchanged muted), and
//! the selected object's diff on the right (`-` live, `+` git), scrolled by the page keys. Secret values
//! arrive masked (`model::drift`); nothing here reads them.
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::config::{Role, Theme};
use crate::model::drift::{DriftEntry, Verdict};
use crate::ui::diff::DiffView;

fn role(v: &Verdict) -> Role {
    match v {
        Verdict::Unchanged => Role::Muted,
        Verdict::Drifted { .. } => Role::Warning,
        Verdict::Created | Verdict::Deleted => Role::Progressing,
        Verdict::Skipped { .. } => Role::Suspended,
        Verdict::Failed { .. } => Role::Error,
    }
}

/// The right pane's lines for one entry.
fn detail(e: &DriftEntry, theme: &Theme) -> Vec<Line<'static>> {
    let head = Line::from(vec![
        Span::styled(e.id(), theme.style(Role::Title)),
        Span::styled(format!("  {}", e.verdict.word()), theme.style(role(&e.verdict))),
    ]);
    let mut out = vec![head, Line::raw("")];
    match &e.verdict {
        Verdict::Drifted { diff } => out.extend(diff.lines().map(|l| {
            let r = match l.chars().next() {
                Some('+') if !l.starts_with("+++") => Role::Ok,
                Some('-') if !l.starts_with("---") => Role::Error,
                Some('@') => Role::Accent,
                _ => Role::Base,
            };
            Line::styled(l.to_owned(), theme.style(r))
        })),
        Verdict::Unchanged => out.push(Line::raw("applying git leaves it as it is")),
        Verdict::Created => out.push(Line::raw("not in the cluster: applying git would create it")),
        Verdict::Deleted => {
            out.push(Line::raw("in the inventory, no longer in git: with spec.prune, applying git would delete it"))
        }
        Verdict::Skipped { reason } => out.push(Line::raw(format!("kustomize-controller skips it ({reason})"))),
        Verdict::Failed { error } => out.push(Line::styled(error.clone(), theme.style(Role::Error))),
    }
    out
}

/// Draws `view` over `area`.
pub fn draw(f: &mut Frame, area: Rect, view: &DiffView, theme: &Theme) {
    f.render_widget(Clear, area);
    let t = &view.target;
    let title = match &view.result {
        None => format!(" Diff Kustomization {}/{} in {} · building and dry-running… ", t.namespace, t.name, t.context),
        Some(Err(_)) => format!(" Diff Kustomization {}/{} in {} · failed ", t.namespace, t.name, t.context),
        Some(Ok(r)) => format!(
            " Diff Kustomization {} in {} · {} · against {} ",
            r.kustomization,
            r.applied_in,
            r.counts.summary(),
            r.source
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.style(Role::Title)))
        .border_style(theme.style(Role::BorderFocused));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let report = match &view.result {
        None => {
            f.render_widget(
                Paragraph::new("reading the Kustomization, building its manifests, dry-running each object…"),
                inner,
            );
            return;
        }
        Some(Err(e)) => {
            let p = Paragraph::new(e.clone()).style(theme.style(Role::Error)).wrap(Wrap { trim: false });
            f.render_widget(p, inner);
            return;
        }
        Some(Ok(r)) => r,
    };
    if report.entries.is_empty() {
        f.render_widget(Paragraph::new("the build has no objects"), inner);
        return;
    }
    let widest = report.entries.iter().map(|e| e.id().len() + 13).max().unwrap_or(20);
    let left_width = (widest as u16).clamp(24, inner.width / 2);
    let [left, right] = Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(inner);
    let selected = view.selected.min(report.entries.len() - 1);
    // The list scrolls to keep the selection on screen.
    let rows = left.height as usize;
    let first = selected.saturating_sub(rows.saturating_sub(1));
    let list: Vec<Line> = report
        .entries
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, e)| {
            let marker = if i == selected { "▸ " } else { "  " };
            let line = Line::from(vec![
                Span::raw(marker),
                Span::styled(format!("{:<10}", e.verdict.word()), theme.style(role(&e.verdict))),
                Span::raw(e.id()),
            ]);
            if i == selected { line.style(theme.style(Role::Selected)) } else { line }
        })
        .collect();
    f.render_widget(Paragraph::new(list), left);
    let pane = Block::default().borders(Borders::LEFT).border_style(theme.style(Role::Border));
    let text_area = pane.inner(right);
    f.render_widget(pane, right);
    view.page.set(text_area.height.saturating_sub(2) as usize);
    let lines = detail(&report.entries[selected], theme);
    let scroll = view.scroll.min(lines.len().saturating_sub(1));
    f.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), text_area);
}
