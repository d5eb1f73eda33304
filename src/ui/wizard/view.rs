//! Drawing the wizard: one framed screen over the cockpit's body per step, with the step's keys on its last
//! line. The form lays each parameter on two rows (label + editor + problems, then the description), and
//! lists the files the values render to underneath.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::form::{Form, Input};
use super::{Step, Wizard, preview, track};
use crate::config::{Role, Theme};
use crate::gitops::template::TemplateSource;
use crate::model::store::FleetStore;

/// Width of the parameter name column.
const LABEL: u16 = 22;
/// Width of an editor.
const EDITOR: u16 = 34;

/// Draws `w` over `area`.
pub fn draw(f: &mut Frame, area: Rect, w: &Wizard, store: &FleetStore, theme: &Theme) {
    let title = match &w.flow {
        super::Flow::Create => format!(" New cluster — {} ", w.step.title()),
        super::Flow::Teardown(t) => format!(" Delete cluster {}/{} — {} ", t.namespace, t.name, w.step.title()),
        super::Flow::Profile(t) => {
            let step = match w.step {
                Step::Planning | Step::Preview => "2/3 preview",
                Step::Writing | Step::Done => "3/3 commit",
                s => s.title(),
            };
            format!(" Add profile to cluster {}/{} — {step} ", t.namespace, t.name)
        }
        super::Flow::Claim(t) => {
            let step = match w.step {
                Step::Form => "1/3 fields",
                Step::Planning | Step::Preview => "2/3 preview",
                Step::Writing | Step::Done => "3/3 commit",
                s => s.title(),
            };
            format!(" New {} from XRD {} — {step} ", t.form.kind, t.form.xrd)
        }
        super::Flow::Bootstrap(t) => {
            let step = match w.step {
                Step::Planning | Step::Preview => "2/3 preview",
                Step::Writing | Step::Done => "3/3 commit",
                s => s.title(),
            };
            format!(" Bootstrap cluster {}/{} — {step} ", t.namespace, t.name)
        }
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Span::styled(title, theme.style(Role::Title)));
    f.render_widget(Clear, area);
    let inner = block.inner(area);
    f.render_widget(block.style(theme.style(Role::Base)), area);
    if inner.height < 4 {
        return;
    }
    let body = Rect { height: inner.height - 2, ..inner };
    let status = Rect { y: inner.y + inner.height - 2, height: 1, ..inner };
    let hints = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
    match w.step {
        Step::Loading => {
            let text = match &w.error {
                Some(_) => " could not open the wizard:",
                None if matches!(w.flow, super::Flow::Teardown(_)) => {
                    " fetching the base branch and finding the cluster's files …"
                }
                None if matches!(w.flow, super::Flow::Bootstrap(_)) => " fetching the base branch …",
                None if matches!(w.flow, super::Flow::Claim(_)) => {
                    " fetching the base branch and .fleetdeck/policy.yaml …"
                }
                None if matches!(w.flow, super::Flow::Profile(_)) => {
                    " fetching the base branch, reading the profile HelmRepositories and templates' charts …"
                }
                None => {
                    " reading templates from the fleet's management clusters and the repository's templates/, \
                         fetching the base branch and .fleetdeck/policy.yaml …"
                }
            };
            f.render_widget(
                Paragraph::new(Line::styled(text, theme.style(Role::Progressing))).wrap(Wrap { trim: false }),
                body,
            );
        }
        Step::Pick => pick(f, body, w, theme),
        Step::Confirm => super::teardown::draw(f, body, w, theme),
        Step::Choose => super::bootstrap::draw(f, body, w, theme),
        Step::Profile => super::profile::draw(f, body, w, theme),
        Step::Form => {
            if let Some(form) = &w.form {
                form_screen(f, body, form, theme);
            }
        }
        Step::Planning => {
            let base = w.setup.as_ref().map_or("the base branch", |s| s.base.branch.as_str());
            f.render_widget(
                Line::styled(format!(" diffing every file against {base} …"), theme.style(Role::Progressing)),
                body,
            );
        }
        Step::Preview | Step::Writing => {
            if let Some(plan) = &w.plan {
                let violations = w.form.as_ref().map(|f| f.violations.as_slice());
                let all = preview::lines(plan, violations, theme);
                let top = w.scroll.min(all.len().saturating_sub(1));
                let shown: Vec<Line> = all.into_iter().skip(top).take(body.height as usize).collect();
                f.render_widget(Paragraph::new(shown), body);
            }
        }
        Step::Done => done(f, body, w, store, theme),
    }
    let line = match (&w.error, &w.notice, w.step, w.pushing) {
        (Some(e), _, _, _) => Line::styled(format!(" ✖ {e}"), theme.style(Role::Error)),
        (None, Some(n), _, _) => Line::styled(format!(" {n}"), theme.style(Role::Warning)),
        (None, None, Step::Writing, _) => Line::styled(
            " writing the commit through a temporary worktree (your working tree is not touched) …",
            theme.style(Role::Progressing),
        ),
        (None, None, _, true) => Line::styled(" pushing …", theme.style(Role::Progressing)),
        _ => Line::raw(""),
    };
    f.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), status);
    f.render_widget(hint_line(w, theme), hints);
}

fn hint_line(w: &Wizard, theme: &Theme) -> Line<'static> {
    let keys: &[(&str, &str)] = match w.step {
        Step::Loading | Step::Planning => &[("esc", "cancel")],
        Step::Pick => &[("↑/↓", "choose"), ("enter", "fill in"), ("esc", "cancel")],
        Step::Confirm => &[("type the name, enter", "commit and push"), ("esc", "cancel")],
        Step::Profile => &[
            ("tab/shift-tab", "field"),
            ("←/→", "charts of the fleet"),
            ("enter/ctrl-s", "preview"),
            ("esc", "cancel"),
        ],
        Step::Choose => {
            &[("↑/↓", "choose the mode"), ("type", "components file"), ("enter", "preview"), ("esc", "cancel")]
        }
        Step::Form => &[
            ("tab/↓", "next"),
            ("shift-tab/↑", "previous"),
            ("←/→", "pick an option"),
            ("enter", "preview"),
            ("esc", "cancel"),
        ],
        Step::Preview => &[
            ("↑/↓ pgup/pgdn", "scroll"),
            ("w", "write (commit)"),
            ("p", "write and push"),
            ("e", "edit"),
            ("esc", "cancel"),
        ],
        Step::Writing => &[],
        Step::Done if w.written.as_ref().is_some_and(|x| !x.on_remote && !x.applied.already_in_base) => {
            &[("p", "push"), ("enter/esc", "close")]
        }
        Step::Done => &[("enter/esc", "close")],
    };
    let mut spans = Vec::new();
    for (k, label) in keys {
        spans.push(Span::styled(format!(" {k}"), theme.style(Role::KeyHint)));
        spans.push(Span::styled(format!(" {label} "), theme.style(Role::Muted)));
    }
    Line::from(spans)
}

fn source(t: &crate::gitops::template::Template) -> String {
    match &t.source {
        TemplateSource::Cluster { context } => format!("context {context}"),
        TemplateSource::Repository { path } => format!("repository {path}"),
        TemplateSource::File { path } => format!("file {path}"),
    }
}

fn pick(f: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let Some(setup) = &w.setup else { return };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" repository ", theme.style(Role::Muted)),
            Span::raw(setup.repo.root.display().to_string()),
            Span::styled(format!("  {} → {}", setup.repo.remote, setup.remote_url), theme.style(Role::Muted)),
        ]),
        Line::from(vec![
            Span::styled(" base       ", theme.style(Role::Muted)),
            Span::raw(format!("{} at {}", setup.base.branch, crate::gitops::revision::short(&setup.base.commit))),
            Span::styled(format!("   policy: {} rule source(s)", setup.policy.sources.len()), theme.style(Role::Muted)),
        ]),
        Line::raw(""),
    ];
    if setup.templates.is_empty() {
        lines.push(Line::styled(
            " no templates: none in the fleet's management clusters, none in templates/ of the repository",
            theme.style(Role::Warning),
        ));
    }
    for (i, t) in setup.templates.iter().enumerate() {
        let style = if i == w.picked { theme.style(Role::Selected) } else { theme.style(Role::Base) };
        lines.push(Line::styled(format!(" {:<15} {:<28} {:<20} {}", t.kind, t.id(), source(t), t.description), style));
    }
    if !setup.problems.is_empty() {
        lines.push(Line::raw(""));
        for p in &setup.problems {
            lines.push(Line::styled(format!(" ! {p}"), theme.style(Role::Warning)));
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn form_screen(f: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    let t = &form.template;
    let title = match &form.source {
        // A claim: the kind and what defines it (the stand-in template's id is the XRD's name already).
        super::form::Source::Claim(c) => format!(" {} {}", c.api_version, c.kind),
        super::form::Source::Template => format!(" {} {}", t.kind, t.id()),
    };
    let head = Line::from(vec![
        Span::styled(title, theme.style(Role::Title)),
        Span::styled(format!("  {}", t.description), theme.style(Role::Muted)),
    ]);
    // Labels as wide as the longest (a claim's `spec.parameters.engineVersion`), within reason.
    let label_w = match &form.source {
        super::form::Source::Claim(_) => {
            form.fields.iter().map(|f| f.spec.name.chars().count() as u16 + 4).max().unwrap_or(LABEL).clamp(LABEL, 40)
        }
        super::form::Source::Template => LABEL,
    };
    f.render_widget(head, Rect { height: 1, ..area });
    let rows_per_field = 2u16;
    let room = area.height.saturating_sub(2) / rows_per_field;
    let first = (form.focus as u16 + 1).saturating_sub(room.max(1)) as usize;
    let mut y = area.y + 2;
    for (i, field) in form.fields.iter().enumerate().skip(first).take(room as usize) {
        let focused = i == form.focus;
        let label_style = if focused { theme.style(Role::Selected) } else { theme.style(Role::Base) };
        let star = if field.spec.required { "*" } else { " " };
        let label = format!(" {:<w$}", format!("{}{star}", field.spec.name), w = label_w as usize - 2);
        f.render_widget(Line::styled(label, label_style), Rect { x: area.x, y, width: label_w, height: 1 });
        let editor = Rect { x: area.x + label_w, y, width: EDITOR.min(area.width.saturating_sub(label_w)), height: 1 };
        match &field.input {
            Input::Text(ta) => {
                f.render_widget(ratatui::widgets::Block::default().style(theme.style(Role::StatusBar)), editor);
                f.render_widget(&**ta, editor);
            }
            Input::Choice { options, selected } => {
                let shown = match selected {
                    Some(i) => options.get(*i).cloned().unwrap_or_default(),
                    None => match &field.spec.default {
                        Some(d) => format!("{d} (default)"),
                        None => "(choose)".into(),
                    },
                };
                let text = format!("◀ {shown} ▶  {}/{}", selected.map_or(0, |i| i + 1), options.len());
                f.render_widget(Line::styled(text, theme.style(Role::StatusBar)), editor);
            }
        }
        let problems = form.problems_of(&field.spec.name);
        let right = Rect {
            x: editor.x + editor.width + 1,
            y,
            width: area.width.saturating_sub(label_w + EDITOR + 1),
            height: 1,
        };
        let verdict = match problems.as_slice() {
            [] => Line::styled("✔", theme.style(Role::Ok)),
            ps => Line::styled(format!("✖ {}", ps.join("; ")), theme.style(Role::Error)),
        };
        f.render_widget(verdict, right);
        let mut desc = field.spec.description.clone();
        if !field.spec.options.is_empty() {
            desc.push_str(&format!(" [{}]", field.spec.options.join(", ")));
        }
        let d = Rect { x: area.x + label_w, y: y + 1, width: area.width.saturating_sub(label_w), height: 1 };
        f.render_widget(Line::styled(desc, theme.style(Role::Muted)), d);
        y += rows_per_field;
    }
    let mut below = Vec::new();
    if let Some(p) = &form.problem {
        below.push(Line::styled(format!(" ✖ {p}"), theme.style(Role::Error)));
    }
    // Every violation in full (the field's row has room for the start only); they block the write.
    if !form.violations.is_empty() {
        below.push(Line::styled(" the policy blocks the write:", theme.style(Role::Error)));
    }
    for v in &form.violations {
        below.push(Line::styled(format!("   ✖ {v}"), theme.style(Role::Error)));
    }
    if let Some(c) = &form.created {
        below.push(Line::styled(format!(" writes on branch {}:", c.branch), theme.style(Role::Muted)));
        for (fc, objects) in &c.files {
            below.push(Line::from(vec![
                Span::styled(format!("   {}", fc.path), theme.style(Role::Accent)),
                Span::styled(
                    format!("  {} object{}", objects.len(), if objects.len() == 1 { "" } else { "s" }),
                    theme.style(Role::Muted),
                ),
            ]));
        }
        for n in &c.notes {
            below.push(Line::styled(format!(" note: {n}"), theme.style(Role::Warning)));
        }
    }
    let top = y + 1;
    if top < area.y + area.height {
        let rest = Rect { y: top, height: area.y + area.height - top, ..area };
        f.render_widget(Paragraph::new(below).wrap(Wrap { trim: false }), rest);
    }
}

fn done(f: &mut Frame, area: Rect, w: &Wizard, store: &FleetStore, theme: &Theme) {
    let (Some(setup), Some(written)) = (&w.setup, &w.written) else { return };
    let a = &written.applied;
    let state = match (a.already_in_base, a.unchanged, written.on_remote) {
        (true, _, _) => format!("nothing to commit: {} already has these files", setup.base.branch),
        (false, true, true) => "the branch already had this change (no new commit); the remote has it".into(),
        (false, true, false) => "the branch already had this change (no new commit); not pushed".into(),
        (false, false, true) => "committed and pushed".into(),
        (false, false, false) => "committed (not pushed)".into(),
    };
    let mut lines = vec![
        Line::styled(format!(" ✔ {state}"), theme.style(Role::Ok)),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" branch  ", theme.style(Role::Muted)),
            Span::styled(a.branch.clone(), theme.style(Role::Accent)),
        ]),
        Line::from(vec![Span::styled(" commit  ", theme.style(Role::Muted)), Span::raw(a.commit.clone())]),
        Line::from(vec![
            Span::styled(" remote  ", theme.style(Role::Muted)),
            Span::raw(format!("{} ({})", setup.remote_url, setup.repo.remote)),
        ]),
    ];
    for file in w.plan.iter().flat_map(|p| &p.files) {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<8}", preview::action_word(file.action)), theme.style(Role::Muted)),
            Span::raw(file.path.clone()),
        ]));
    }
    let review = if a.already_in_base {
        "nothing to review".to_owned()
    } else if written.on_remote {
        crate::gitops::review::review_hint(&setup.remote_url, &setup.base.branch, &a.branch, true)
    } else {
        format!(
            "press p to push {} to {}, then open a review of it against {}",
            a.branch, setup.repo.remote, setup.base.branch
        )
    };
    lines.push(Line::from(vec![Span::styled(" review  ", theme.style(Role::Muted)), Span::raw(review)]));
    for n in &written.notes {
        lines.push(Line::styled(format!(" note: {n}"), theme.style(Role::Muted)));
    }
    for n in &w.notes {
        lines.push(Line::styled(format!(" then: {n}"), theme.style(Role::Warning)));
    }
    if let super::Flow::Teardown(t) = &w.flow {
        for c in t.teardown.iter().flat_map(|td| &td.consequences) {
            lines.push(Line::styled(format!(" once merged: {c}"), theme.style(Role::Warning)));
        }
    }
    if written.on_remote && !a.already_in_base {
        let t = track::Track::of_plan(&setup.remote_url, &setup.base.branch, &a.branch, &a.commit, w.plan.as_ref());
        let s = track::status(store, &t);
        lines.push(Line::raw(""));
        let role = if s.done { Role::Ok } else { Role::Progressing };
        lines.push(Line::styled(format!(" tracking: {}", s.summary), theme.style(role)));
        for (ok, l) in s.lines {
            let (mark, role) = if ok { ("✔", Role::Ok) } else { ("…", Role::Muted) };
            lines.push(Line::styled(format!("   {mark} {l}"), theme.style(role)));
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
