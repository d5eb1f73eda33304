//! One frame: header (views, fleet counts, read-only badge), the current view (and the details pane), and
//! the status bar (filter being typed, messages, key hints); overlays for help and the palette.
//!
//! Below 80x24 the frame says how much room it needs instead of drawing a broken layout.
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::list::{Target, selected_target};
use super::palette;
use super::rows::Rows;
use super::state::{Overlay, State, View};
use super::update::mode;
use super::views::{details, tables, tree};
use crate::config::{Keymap, Mode, Role, Theme};
use crate::model::object_ref::ObjectRef;
use crate::model::store::{ConnState, FleetStore};

/// The smallest terminal the cockpit lays out for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Everything a frame is drawn from.
pub struct Scene<'a> {
    /// The fleet.
    pub store: &'a FleetStore,
    /// Derived rows.
    pub rows: &'a Rows,
    /// Colours.
    pub theme: &'a Theme,
    /// Keys (for hints and help).
    pub keymap: &'a Keymap,
}

/// The object under the cursor of a list view (trees report theirs from their lines: [`super::app::input`]).
pub fn selected_object(state: &State, rows: &Rows) -> Option<ObjectRef> {
    match selected_target(state, rows) {
        Some(Target::Object(o)) => Some(o),
        _ => None,
    }
}

/// Draws the whole frame from the state; writes only what it computes (page height, scroll offsets) and
/// the derived caches, through the state's `Cell`s.
pub fn render(f: &mut Frame, state: &State, scene: &Scene<'_>) {
    let area = f.area();
    let theme = scene.theme;
    f.render_widget(Block::default().style(theme.style(Role::Base)), area);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!("fleetdeck needs {}x{} (now {}x{})", MIN_SIZE.0, MIN_SIZE.1, area.width, area.height);
        f.render_widget(Paragraph::new(msg).style(theme.style(Role::Warning)), area);
        return;
    }
    let [head, body, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    header(f, head, state, scene);
    let (main, side) = if state.nav.details {
        let dir = if body.width >= 140 { Direction::Horizontal } else { Direction::Vertical };
        let [a, b] = Layout::default()
            .direction(dir)
            .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    let selected = match &state.nav.view {
        View::Tree(root) => tree::draw(f, main, state, scene.store, root, theme),
        _ => {
            let pinned = if state.nav.view == View::Fleet { super::views::pinned::height(state) } else { 0 };
            let main = if pinned > 0 && main.height >= pinned + 5 {
                let [top, rest] = Layout::vertical([Constraint::Length(pinned), Constraint::Fill(1)]).areas(main);
                super::views::pinned::draw(f, top, state, scene.store, theme);
                rest
            } else {
                main
            };
            tables::draw(f, main, state, scene.rows, theme);
            selected_object(state, scene.rows)
        }
    };
    if let Some(side) = side {
        details::draw(f, side, state, scene.store, selected.as_ref(), theme);
    }
    if let Some(d) = &state.diff {
        super::views::diff::draw(f, body, d, theme);
    }
    footer(f, foot, state, scene);
    match &state.nav.overlay {
        Some(Overlay::Help) => help(f, area, state, scene),
        Some(Overlay::Palette { input, selected }) => palette_overlay(f, area, input, *selected, scene),
        Some(Overlay::Confirm(c)) => super::views::confirm::draw(f, area, c, theme),
        None => {}
    }
    if let Some(w) = &state.gitops.wizard {
        super::wizard::view::draw(f, body, w, scene.store, theme);
    }
}

fn header(f: &mut Frame, area: Rect, state: &State, scene: &Scene<'_>) {
    let theme = scene.theme;
    let mut spans = vec![Span::styled(" fleetdeck ", theme.style(Role::Title))];
    for (i, (label, view)) in [
        ("Fleet", View::Fleet),
        ("Clusters", View::Clusters),
        ("Flux", View::Flux),
        ("Terraform", View::Terraform),
        ("Pulse", View::Pulse),
        ("Crossplane", View::Crossplane),
    ]
    .into_iter()
    .enumerate()
    {
        let style = if state.nav.view == view { theme.style(Role::Selected) } else { theme.style(Role::Muted) };
        spans.push(Span::styled(format!(" {} {label} ", i + 1), style));
    }
    if let View::Tree(o) = &state.nav.view {
        spans.push(Span::styled(format!(" {} {} ", o.kind.spec().kind, o.name), theme.style(Role::Selected)));
    }
    let contexts = scene.rows.fleet.len();
    let down =
        scene.rows.fleet.iter().filter(|r| matches!(r.state, ConnState::Unreachable | ConnState::Unauthorized)).count();
    spans.push(Span::styled(format!("  {contexts} contexts"), theme.style(Role::Accent)));
    if down > 0 {
        spans.push(Span::styled(format!(" {down} down "), theme.style(Role::ClusterDown)));
    }
    if state.settings.readonly {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" READ-ONLY ", theme.style(Role::Readonly)));
    }
    if let Some(b) = &state.settings.banner {
        spans.push(Span::styled(format!("  {b}"), theme.style(Role::Muted)));
    }
    f.render_widget(Line::from(spans).style(theme.style(Role::StatusBar)), area);
}

fn hint(keymap: &Keymap, mode: Mode, action: crate::config::Action) -> Option<String> {
    keymap.chords(mode, action).first().or_else(|| keymap.chords(Mode::Global, action).first()).map(|c| c.to_string())
}

fn footer(f: &mut Frame, area: Rect, state: &State, scene: &Scene<'_>) {
    let theme = scene.theme;
    if state.nav.filter_editing {
        let line = Line::from(vec![
            Span::styled("/", theme.style(Role::KeyHint)),
            Span::raw(state.nav.filter.clone()),
            Span::raw("▏"),
        ]);
        f.render_widget(line.style(theme.style(Role::StatusBar)), area);
        return;
    }
    let mut spans = Vec::new();
    if !state.jobs.marks.is_empty() {
        spans.push(Span::styled(format!(" {} marked ", state.jobs.marks.len()), theme.style(Role::Selected)));
    }
    let job = state.jobs.list.last().filter(|j| j.ok.is_none() || j.id > state.jobs.seen);
    if let Some(w) = state.settings.warnings.first() {
        spans.push(Span::styled(format!(" {w} "), theme.style(Role::Warning)));
    } else if let Some(j) = job {
        let role = match j.ok {
            None => Role::Progressing,
            Some(true) => Role::Ok,
            Some(false) => Role::Error,
        };
        spans.push(Span::styled(format!(" {}: {} ", j.title, j.line), theme.style(role)));
    } else if let Some(m) = &state.message {
        spans.push(Span::styled(format!(" {m} "), theme.style(Role::Warning)));
    } else if !state.nav.filter.is_empty() {
        spans.push(Span::styled(format!(" filter: {} ", state.nav.filter), theme.style(Role::Accent)));
    } else if let Some(t) = state.gitops.tracks.last() {
        let s = super::wizard::track::status(scene.store, t);
        let role = if s.done { Role::Ok } else { Role::Progressing };
        spans.push(Span::styled(format!(" {}: {} ", t.branch, s.summary), theme.style(role)));
    }
    use crate::config::Action as A;
    let m = mode(state);
    let mut hints = vec![
        (A::Help, "help"),
        (A::Palette, "go to"),
        (A::Filter, "filter"),
        (A::Open, "open"),
        (A::Details, "details"),
    ];
    if state.diff.is_some() {
        hints = vec![(A::Down, "next object"), (A::PageDown, "scroll diff"), (A::Diff, "diff again")];
    } else if matches!(state.nav.view, View::Flux | View::Crossplane) {
        hints.push((A::CycleFilter, "state"));
    }
    if matches!(state.nav.view, View::Tree(_)) {
        hints.push((A::ShowConditions, "conditions"));
        hints.push((A::Lineage, "lineage"));
    }
    hints.extend([(A::Back, "back"), (A::Quit, "quit")]);
    for (a, label) in hints {
        if let Some(k) = hint(scene.keymap, m, a) {
            spans.push(Span::styled(format!(" {k}"), theme.style(Role::KeyHint)));
            spans.push(Span::styled(format!(" {label}"), theme.style(Role::Muted)));
        }
    }
    f.render_widget(Line::from(spans).style(theme.style(Role::StatusBar)), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(4));
    let h = h.min(area.height.saturating_sub(2));
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// The help screen, generated from the active keymap: the keys of the current mode, then global keys.
pub fn help_lines(state: &State, keymap: &Keymap) -> Vec<(String, String)> {
    let m = mode(state);
    let mut out = Vec::new();
    for mode in [m, Mode::Global] {
        for (action, chords) in keymap.bindings(mode) {
            if chords.is_empty() {
                continue;
            }
            let keys = chords.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
            out.push((keys, action.description().to_string()));
        }
    }
    out
}

fn help(f: &mut Frame, area: Rect, state: &State, scene: &Scene<'_>) {
    let theme = scene.theme;
    let rows = help_lines(state, scene.keymap);
    // One column when it fits, else two side by side (the keys of a busy keymap outgrow 80x24).
    let inner = area.height.saturating_sub(4) as usize;
    let columns = if rows.len() <= inner { 1 } else { 2 };
    let per_column = rows.len().div_ceil(columns);
    let width = if columns == 1 { 80 } else { area.width.saturating_sub(4) };
    let r = centered(area, width, per_column as u16 + 2);
    let title = format!(" Keys: {} (keymap {}) ", state.nav.view.title(), scene.keymap.name());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Span::styled(title, theme.style(Role::Title)));
    f.render_widget(Clear, r);
    let inside = block.inner(r);
    f.render_widget(block.style(theme.style(Role::Base)), r);
    let key_width = if columns == 1 { 18 } else { 12 };
    let parts = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inside);
    for (chunk, part) in rows.chunks(per_column.max(1)).zip(parts.iter()) {
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(k, d)| {
                Line::from(vec![
                    Span::styled(format!(" {k:<key_width$}"), theme.style(Role::KeyHint)),
                    Span::raw(d.clone()),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines).style(theme.style(Role::Base)), *part);
    }
}

fn palette_overlay(f: &mut Frame, area: Rect, input: &str, selected: usize, scene: &Scene<'_>) {
    let theme = scene.theme;
    let choices = palette::matches(input, scene.rows);
    let r = centered(area, 70, 16);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.style(Role::KeyHint)),
        Span::raw(input.to_string()),
        Span::raw("▏"),
    ])];
    let sel = selected.min(choices.len().saturating_sub(1));
    for (i, c) in choices.iter().take(r.height.saturating_sub(3) as usize).enumerate() {
        let style = if i == sel { theme.style(Role::Selected) } else { theme.style(Role::Base) };
        lines.push(Line::styled(format!(" {}", c.label), style));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Span::styled(" Go to ", theme.style(Role::Title)));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}
