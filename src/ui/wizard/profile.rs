//! The profile wizard (the `add-profile` key on a Cluster API Cluster): a Helm chart of the fleet's profile
//! HelmRepository (annotated `weave.works/profiles`, else any; read from the Cluster's management
//! cluster) added to `clusters/<ns>/<cluster>/profiles.yaml` ([`profiles::add_to_file`]) on
//! `fleetdeck/profile-<cluster>-<chart>`, previewed and committed like the create wizard's.
//!
//! Fields: chart (`←`/`→` cycle the charts the fleet's templates offer, filling every field), version,
//! target namespace, layer, and the Helm values in a multi-line ratatui-textarea editor. `tab` /
//! `shift-tab` move between fields; `enter` previews from a one-line field (in the values editor it starts a
//! new line); `ctrl-s` previews from anywhere. The values are checked as typed (they must be a YAML
//! mapping).
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui_textarea::TextArea;

use super::{Flow, Step, Task, Wizard};
use crate::config::{Role, Theme};
use crate::gitops::profiles::{self, ProfileChoice};
use crate::gitops::template::ChartItem;
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::ui::state::State;

/// Field labels, in order; the last is the values editor.
pub const FIELDS: [&str; 5] = ["chart", "version", "target namespace", "layer", "values"];

/// The cluster getting a profile and the fields.
#[derive(Debug, Clone)]
pub struct Target {
    /// The Cluster's context (its management cluster).
    pub context: String,
    /// Namespace of the Cluster.
    pub namespace: String,
    /// Name of the Cluster.
    pub name: String,
    /// One editor per [`FIELDS`] entry.
    pub editors: Vec<TextArea<'static>>,
    /// The field with the cursor.
    pub focus: usize,
    /// The suggestion last filled in.
    pub suggestion: Option<usize>,
}

impl PartialEq for Target {
    fn eq(&self, o: &Target) -> bool {
        let lines = |t: &Target| t.editors.iter().map(|e| e.lines().to_vec()).collect::<Vec<_>>();
        (&self.context, &self.namespace, &self.name, self.focus) == (&o.context, &o.namespace, &o.name, o.focus)
            && lines(self) == lines(o)
    }
}

impl Eq for Target {}

fn editor(placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(Style::default());
    t.set_placeholder_text(placeholder);
    t
}

impl Target {
    fn text(&self, i: usize) -> String {
        self.editors.get(i).map(|e| e.lines().join("\n").trim().to_owned()).unwrap_or_default()
    }

    /// The profile as filled in (version `*` when empty).
    pub fn choice(&self) -> ProfileChoice {
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        let values = self.editors.get(4).map(|e| e.lines().join("\n")).unwrap_or_default();
        ProfileChoice {
            chart: self.text(0),
            version: opt(self.text(1)).unwrap_or_else(|| "*".into()),
            target_namespace: opt(self.text(2)),
            layer: opt(self.text(3)),
            values: if values.trim().is_empty() { String::new() } else { format!("{}\n", values.trim_end()) },
        }
    }

    /// What is wrong, per field index.
    pub fn problems(&self) -> Vec<(usize, String)> {
        let c = self.choice();
        let mut out = Vec::new();
        if c.chart.is_empty() {
            out.push((0, "required".to_owned()));
        } else if let Err(e) = profiles::helm_release(&self.namespace, &self.name, "profiles", &c) {
            out.push((4, e));
        }
        out
    }

    fn restyle(&mut self) {
        for (i, e) in self.editors.iter_mut().enumerate() {
            let s = if i == self.focus { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
            e.set_cursor_style(s);
        }
    }

    /// Fills every field from a template's chart.
    fn fill(&mut self, c: &ChartItem) {
        let texts = [
            c.chart.clone(),
            c.version.clone(),
            c.target_namespace.clone().unwrap_or_default(),
            c.layer.clone().unwrap_or_default(),
        ];
        for (i, t) in texts.into_iter().enumerate() {
            let placeholder = self.editors[i].placeholder_text().to_owned();
            self.editors[i] = editor(&placeholder);
            self.editors[i].insert_str(t);
        }
        let mut values = editor(self.editors[4].placeholder_text());
        values.insert_str(c.values.trim_end());
        self.editors[4] = values;
        self.restyle();
    }
}

/// Charts the fleet's templates offer (`spec.charts.items`), each chart once.
pub fn suggestions(w: &Wizard) -> Vec<ChartItem> {
    let mut out: Vec<ChartItem> = Vec::new();
    for c in w.setup.iter().flat_map(|s| &s.templates).flat_map(|t| &t.charts) {
        if !out.iter().any(|o| o.chart == c.chart) {
            out.push(c.clone());
        }
    }
    out
}

/// Opens the profile wizard for the selected object, which must be a Cluster API Cluster.
pub fn open(state: &mut State, selected: Option<&ObjectRef>, tasks: &mut Vec<Task>) -> bool {
    let Some(o) = selected.filter(|o| o.kind == KindId::CLUSTER) else {
        state.message = Some("add profile: select a Cluster API Cluster (2 Clusters)".into());
        return true;
    };
    let Some(git) = super::flow::git_settings(state, "add profile") else { return true };
    let editors = ["chart (←/→ to pick one)", "* (latest)", "the chart's name", "none", "Helm values (YAML)"]
        .into_iter()
        .map(editor)
        .collect();
    let mut target = Target {
        context: o.context.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        editors,
        focus: 0,
        suggestion: None,
    };
    target.restyle();
    let w = Wizard::new(super::next_id(&mut state.gitops), Flow::Profile(Box::new(target)));
    tasks.push(Task::OpenProfile { id: w.id, git, context: o.context.clone() });
    state.gitops.wizard = Some(w);
    true
}

/// Keys of the Profile step (see the module docs).
pub fn key(w: &mut Wizard, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    let chart_items = suggestions(w);
    let Flow::Profile(t) = &mut w.flow else { return false };
    let n = FIELDS.len();
    let in_values = t.focus == n - 1;
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    match ev.code {
        KeyCode::Tab => t.focus = (t.focus + 1) % n,
        KeyCode::BackTab => t.focus = (t.focus + n - 1) % n,
        KeyCode::Down if !in_values => t.focus += 1,
        KeyCode::Up if !in_values && t.focus > 0 => t.focus -= 1,
        KeyCode::Left | KeyCode::Right if t.focus == 0 && !chart_items.is_empty() => {
            let len = chart_items.len();
            let next = match (ev.code, t.suggestion) {
                (KeyCode::Right, None) => 0,
                (KeyCode::Right, Some(i)) => (i + 1) % len,
                (_, None) => len - 1,
                (_, Some(i)) => (i + len - 1) % len,
            };
            t.suggestion = Some(next);
            t.fill(&chart_items[next]);
            return true;
        }
        KeyCode::Char('s') if ctrl => return plan(w, tasks),
        KeyCode::Enter if !in_values => return plan(w, tasks),
        _ => return t.editors[t.focus].input(*ev),
    }
    t.restyle();
    true
}

fn plan(w: &mut Wizard, tasks: &mut Vec<Task>) -> bool {
    let Flow::Profile(t) = &w.flow else { return false };
    let Some(setup) = &w.setup else { return false };
    if let Some((i, p)) = t.problems().first() {
        w.notice = Some(format!("{}: {p}", FIELDS[*i]));
        return true;
    }
    tasks.push(Task::PlanProfile {
        id: w.id,
        repo: setup.repo.clone(),
        base: setup.base.clone(),
        namespace: t.namespace.clone(),
        cluster: t.name.clone(),
        repository: setup.profile_repositories.first().map(|(_, r)| r.clone()),
        choice: t.choice(),
    });
    w.step = Step::Planning;
    w.error = None;
    true
}

/// The Profile screen.
pub fn draw(f: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let Flow::Profile(t) = &w.flow else { return };
    let repo = w.setup.as_ref().and_then(|s| s.profile_repositories.first());
    let source = match repo {
        Some((ctx, r)) => {
            format!("{} in {ctx} ({})", crate::gitops::yaml::describe(r), r["spec"]["url"].as_str().unwrap_or(""))
        }
        None => format!("none found in {}: the cluster's profiles.yaml must already name one", t.context),
    };
    let head = vec![
        Line::from(vec![
            Span::styled(" Cluster ", theme.style(Role::Muted)),
            Span::styled(format!("{}/{}", t.namespace, t.name), theme.style(Role::Accent)),
            Span::raw(format!(": adds a HelmRelease to {}", profiles::profiles_path(&t.namespace, &t.name))),
        ]),
        Line::from(vec![Span::styled(" charts from ", theme.style(Role::Muted)), Span::raw(source)]),
    ];
    f.render_widget(Paragraph::new(head), Rect { height: 2, ..area });
    let problems = t.problems();
    let mut y = area.y + 3;
    for (i, label) in FIELDS.iter().enumerate() {
        let style = if i == t.focus { theme.style(Role::Selected) } else { theme.style(Role::Base) };
        f.render_widget(Line::styled(format!(" {label:<18}"), style), Rect { y, height: 1, width: 20, ..area });
        let verdict = problems.iter().find(|(j, _)| *j == i).map(|(_, p)| p.clone());
        if i + 1 < FIELDS.len() {
            let ed = Rect { x: area.x + 20, y, width: 40.min(area.width.saturating_sub(20)), height: 1 };
            f.render_widget(Block::default().style(theme.style(Role::StatusBar)), ed);
            f.render_widget(&t.editors[i], ed);
            let right = Rect { x: ed.x + ed.width + 1, y, width: area.width.saturating_sub(62), height: 1 };
            let line = match verdict {
                Some(p) => Line::styled(format!("✖ {p}"), theme.style(Role::Error)),
                None => Line::styled("✔", theme.style(Role::Ok)),
            };
            f.render_widget(line, right);
            y += 1;
        } else {
            let bottom = area.y + area.height;
            let h = bottom.saturating_sub(y + 2).max(3);
            let title = match verdict {
                Some(p) => Span::styled(format!(" ✖ {p} "), theme.style(Role::Error)),
                None => Span::styled(" values.yaml ", theme.style(Role::Muted)),
            };
            let block = Block::default().borders(Borders::ALL).border_style(theme.style(Role::Border)).title(title);
            let ed = Rect { x: area.x + 20, y, width: area.width.saturating_sub(21), height: h.min(bottom - y) };
            let inner = block.inner(ed);
            f.render_widget(block, ed);
            f.render_widget(&t.editors[i], inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KindId;

    fn press(w: &mut Wizard, tasks: &mut Vec<Task>, code: KeyCode, modifiers: KeyModifiers) -> bool {
        key(w, &KeyEvent::new(code, modifiers), tasks)
    }

    #[test]
    fn fields_fill_from_the_fleet_values_are_checked_and_ctrl_s_plans() {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let mut config = crate::config::Config::builtin().expect("config");
        config.git.repository = Some("/nonexistent".into());
        s.settings.rules.config = Some(config);
        let o = ObjectRef::new("mgmt", KindId::CLUSTER, "platform", "dev-eu");
        let mut tasks = Vec::new();
        open(&mut s, Some(&o), &mut tasks);
        let mut w = s.gitops.wizard.take().expect("open");
        assert!(matches!(tasks.as_slice(), [Task::OpenProfile { context, .. }] if context == "mgmt"));
        tasks.clear();
        let chart = |name: &str, values: &str| ChartItem {
            chart: name.into(),
            version: "1.0.0".into(),
            target_namespace: Some(name.into()),
            layer: Some("layer-0".into()),
            required: false,
            values: values.into(),
        };
        let mut template = crate::gitops::template::Template::from_plain_file(
            "t",
            "",
            crate::gitops::template::TemplateSource::File { path: "t".into() },
        );
        template.charts = vec![chart("cert-manager", "crds:\n  enabled: true\n"), chart("podinfo", "")];
        w.setup = Some(super::super::Setup {
            repo: crate::gitops::Repo { root: "/nonexistent".into(), remote: "origin".into(), author: None },
            base: crate::gitops::Base { branch: "main".into(), commit: "0".repeat(40) },
            remote_url: "/srv/fleet.git".into(),
            templates: vec![template],
            profile_repositories: Vec::new(),
            policy: Default::default(),
            problems: Vec::new(),
        });
        w.step = Step::Profile;
        let problems = |w: &Wizard| match &w.flow {
            Flow::Profile(t) => t.problems(),
            _ => Vec::new(),
        };
        assert_eq!(problems(&w), [(0, "required".to_owned())]);
        press(&mut w, &mut tasks, KeyCode::Enter, KeyModifiers::NONE);
        assert!(tasks.is_empty() && w.notice.as_deref() == Some("chart: required"));
        press(&mut w, &mut tasks, KeyCode::Left, KeyModifiers::NONE);
        let Flow::Profile(t) = &w.flow else { panic!("profile") };
        assert_eq!(t.choice().chart, "podinfo", "left from nothing picks the last");
        press(&mut w, &mut tasks, KeyCode::Right, KeyModifiers::NONE);
        let Flow::Profile(t) = &w.flow else { panic!("profile") };
        let c = t.choice();
        assert_eq!(
            (c.chart.as_str(), c.version.as_str(), c.values.as_str()),
            ("cert-manager", "1.0.0", "crds:\n  enabled: true\n")
        );
        for _ in 0..4 {
            press(&mut w, &mut tasks, KeyCode::Tab, KeyModifiers::NONE);
        }
        // In the values editor enter starts a line; a list is not a mapping.
        press(&mut w, &mut tasks, KeyCode::End, KeyModifiers::CONTROL);
        press(&mut w, &mut tasks, KeyCode::Enter, KeyModifiers::NONE);
        for ch in "- a".chars() {
            press(&mut w, &mut tasks, KeyCode::Char(ch), KeyModifiers::NONE);
        }
        assert!(tasks.is_empty(), "enter in the values editor does not preview");
        assert!(problems(&w).iter().any(|(i, p)| *i == 4 && p.contains("mapping")), "{:?}", problems(&w));
        for _ in 0..3 {
            press(&mut w, &mut tasks, KeyCode::Backspace, KeyModifiers::NONE);
        }
        for ch in "x: 1".chars() {
            press(&mut w, &mut tasks, KeyCode::Char(ch), KeyModifiers::NONE);
        }
        assert!(problems(&w).is_empty(), "{:?}", problems(&w));
        press(&mut w, &mut tasks, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(w.step, Step::Planning);
        let [Task::PlanProfile { choice, .. }] = tasks.as_slice() else { panic!("{tasks:?}") };
        assert_eq!(choice.values, "crds:\n  enabled: true\nx: 1\n");
    }
}
