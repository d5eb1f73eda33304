//! The bootstrap wizard (the `bootstrap-cluster` key on a Cluster API Cluster): both ways to give the new
//! cluster its GitOps sync are explained ([`BootstrapMode::explain`]), the user picks one (and, for Flux in
//! the cluster, may name a `gotk-components.yaml` file from `flux install --export`; nothing is
//! downloaded), then the files of [`crate::gitops::bootstrap::files`] are previewed and committed on
//! `fleetdeck/bootstrap-<cluster>` like the create wizard's.
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

use super::{Flow, Step, Task, Wizard};
use crate::config::{Role, Theme};
use crate::gitops::bootstrap::BootstrapMode;
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::model::tree_text::format_paragraph;
use crate::ui::state::State;

/// The two modes, in the order shown.
pub const MODES: [BootstrapMode; 2] = [BootstrapMode::Flux, BootstrapMode::Management];

/// The cluster being bootstrapped and the choices made.
#[derive(Debug, Clone)]
pub struct Target {
    /// The Cluster's context (its management cluster).
    pub context: String,
    /// Namespace of the Cluster.
    pub namespace: String,
    /// Name of the Cluster.
    pub name: String,
    /// Index into [`MODES`].
    pub mode: usize,
    /// Path of a `gotk-components.yaml` to copy (Flux mode; empty: none).
    pub components: Box<TextArea<'static>>,
}

impl PartialEq for Target {
    fn eq(&self, other: &Target) -> bool {
        (&self.context, &self.namespace, &self.name, self.mode, self.components.lines())
            == (&other.context, &other.namespace, &other.name, other.mode, other.components.lines())
    }
}

impl Eq for Target {}

impl Target {
    /// The chosen mode.
    pub fn mode(&self) -> BootstrapMode {
        MODES[self.mode.min(MODES.len() - 1)]
    }

    /// The components file typed, if any.
    pub fn components_path(&self) -> Option<String> {
        Some(self.components.lines().join("").trim().to_owned()).filter(|p| !p.is_empty())
    }
}

/// Opens the bootstrap wizard for the selected object, which must be a Cluster API Cluster.
pub fn open(state: &mut State, selected: Option<&ObjectRef>, tasks: &mut Vec<Task>) -> bool {
    let Some(o) = selected.filter(|o| o.kind == KindId::CLUSTER) else {
        state.message = Some("bootstrap: select a Cluster API Cluster (2 Clusters)".into());
        return true;
    };
    let Some(git) = super::flow::git_settings(state, "bootstrap") else { return true };
    let mut components = TextArea::default();
    components.set_cursor_line_style(Style::default());
    components.set_cursor_style(Style::default().add_modifier(Modifier::REVERSED));
    components.set_placeholder_text("path of gotk-components.yaml (flux install --export), optional");
    let target = Target {
        context: o.context.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        mode: 0,
        components: Box::new(components),
    };
    let w = Wizard::new(super::next_id(&mut state.gitops), Flow::Bootstrap(target));
    tasks.push(Task::OpenBase { id: w.id, git });
    state.gitops.wizard = Some(w);
    true
}

/// Keys of the Choose step: `up`/`down` pick the mode, typing edits the components path (Flux mode),
/// `enter` plans the files.
pub fn key(w: &mut Wizard, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    let Flow::Bootstrap(t) = &mut w.flow else { return false };
    match ev.code {
        KeyCode::Up => t.mode = t.mode.saturating_sub(1),
        KeyCode::Down => t.mode = (t.mode + 1).min(MODES.len() - 1),
        KeyCode::Enter => {
            let Some(setup) = &w.setup else { return false };
            let mode = t.mode();
            let components = if mode == BootstrapMode::Flux { t.components_path() } else { None };
            w.notes.clear();
            if mode == BootstrapMode::Flux {
                if components.is_none() {
                    w.notes.push(
                        "no components file: install the Flux controllers yourself (flux install), then apply \
                         gotk-sync.yaml"
                            .into(),
                    );
                }
                w.notes.push(format!(
                    "create the deploy-key Secret flux-system/flux-system in {} for {}",
                    t.name, setup.remote_url
                ));
            }
            tasks.push(Task::PlanBootstrap {
                id: w.id,
                repo: setup.repo.clone(),
                base: setup.base.clone(),
                url: setup.remote_url.clone(),
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                mode,
                components,
            });
            w.step = Step::Planning;
            w.error = None;
        }
        _ if t.mode() == BootstrapMode::Flux => return t.components.input(*ev),
        _ => return false,
    }
    true
}

/// The Choose screen: both modes explained, the chosen one highlighted.
pub fn draw(f: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let Flow::Bootstrap(t) = &w.flow else { return };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" Cluster ", theme.style(Role::Muted)),
            Span::styled(format!("{}/{}", t.namespace, t.name), theme.style(Role::Accent)),
            Span::styled(format!(" (in {})", t.context), theme.style(Role::Muted)),
            Span::raw(": how should it get its GitOps sync?"),
        ]),
        Line::raw(""),
    ];
    for (i, m) in MODES.iter().enumerate() {
        let chosen = i == t.mode;
        let (mark, style) =
            if chosen { ("(•)", theme.style(Role::Selected)) } else { ("( )", theme.style(Role::Base)) };
        let title = match m {
            BootstrapMode::Flux => "Flux in the cluster",
            BootstrapMode::Management => "Synced from the management cluster",
        };
        lines.push(Line::styled(format!(" {mark} {title}"), style));
        let text = format!("     {}", m.explain().replace("<cluster>", &t.name));
        for l in format_paragraph(&text, area.width.saturating_sub(1) as usize).lines() {
            lines.push(Line::styled(l.to_owned(), theme.style(Role::Muted)));
        }
        lines.push(Line::raw(""));
    }
    let used = lines.len() as u16;
    f.render_widget(Paragraph::new(lines), area);
    if t.mode() == BootstrapMode::Flux && area.height > used + 1 {
        let y = area.y + used;
        f.render_widget(
            Line::styled(" components file:", theme.style(Role::Base)),
            Rect { y, height: 1, width: 18, ..area },
        );
        let editor = Rect { x: area.x + 19, y, width: area.width.saturating_sub(20).min(70), height: 1 };
        f.render_widget(ratatui::widgets::Block::default().style(theme.style(Role::StatusBar)), editor);
        f.render_widget(&*t.components, editor);
    }
}
