//! The preview of the create wizard as lines: where the commit goes (branch, base, message), the policy's
//! verdict, then every file with its action and its unified diff against the base branch
//! ([`crate::gitops::Plan`]), added lines in the `ok` role and removed ones in the `error` role.
use ratatui::text::{Line, Span};

use crate::config::{Role, Theme};
use crate::gitops::policy::Violation;
use crate::gitops::{FileAction, Plan};

/// The word for a file action, as the CLI prints it.
pub fn action_word(a: FileAction) -> &'static str {
    match a {
        FileAction::Add => "add",
        FileAction::Modify => "modify",
        FileAction::Delete => "delete",
        FileAction::Unchanged => "unchanged",
    }
}

/// How many lines [`lines`] makes (to keep scrolling inside them).
pub fn line_count(plan: &Plan, violations: Option<&[Violation]>) -> usize {
    let files: usize = plan.files.iter().map(|f| f.diff.lines().count() + 2).sum();
    3 + violations.map_or(0, |v| 1 + v.len()) + usize::from(plan.is_noop()) + plan.warnings.len() + files
}

/// Every line of the preview of `plan` (scrolled by the caller); `violations`: the policy's verdict, for
/// the wizards that check one.
pub fn lines(plan: &Plan, violations: Option<&[Violation]>, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![
        Line::from(vec![
            Span::styled(" branch  ", theme.style(Role::Muted)),
            Span::styled(plan.branch.clone(), theme.style(Role::Accent)),
            Span::styled(
                format!("  from {} at {}", plan.base.branch, crate::gitops::revision::short(&plan.base.commit)),
                theme.style(Role::Muted),
            ),
        ]),
        Line::from(vec![Span::styled(" commit  ", theme.style(Role::Muted)), Span::raw(format!("{:?}", plan.message))]),
    ];
    match violations {
        None => {}
        Some([]) => out.push(Line::styled(" policy  ✔ no violations", theme.style(Role::Ok))),
        Some(violations) => {
            out.push(Line::styled(
                format!(" policy  ✖ {} violation(s) block the write (e: edit the parameters)", violations.len()),
                theme.style(Role::Error),
            ));
            for v in violations {
                out.push(Line::styled(format!("   {v}"), theme.style(Role::Error)));
            }
        }
    }
    for w in &plan.warnings {
        out.push(Line::styled(format!(" ⚠ {w}"), theme.style(Role::Warning)));
    }
    if plan.is_noop() {
        out.push(Line::styled(
            format!(" {} already has every file: nothing to commit", plan.base.branch),
            theme.style(Role::Warning),
        ));
    }
    out.push(Line::raw(""));
    for f in &plan.files {
        let n = f.content.as_ref().map_or(0, |c| c.lines().count());
        out.push(Line::from(vec![
            Span::styled(format!(" {:<9} ", action_word(f.action)), theme.style(Role::Title)),
            Span::styled(f.path.clone(), theme.style(Role::Accent)),
            Span::styled(format!("  ({n} lines)"), theme.style(Role::Muted)),
        ]));
        for l in f.diff.lines() {
            let role = if l.starts_with("+++") || l.starts_with("---") {
                Role::Muted
            } else if l.starts_with('+') {
                Role::Ok
            } else if l.starts_with('-') {
                Role::Error
            } else if l.starts_with("@@") {
                Role::Accent
            } else {
                Role::Base
            };
            out.push(Line::styled(format!("   {l}"), theme.style(role)));
        }
        out.push(Line::raw(""));
    }
    out
}
