//! The pinned objects at the top of the Fleet view (`*` pins the selected object): each with its live health,
//! failing ones in red, from `model::pins::statuses`. Up to [`MAX_ROWS`] rows; the title says how many
//! more. When `pins.json` could not be read, the block says so instead.
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

use crate::config::{Role, Theme};
use crate::model::pins;
use crate::model::store::FleetStore;
use crate::ui::format::first_line;
use crate::ui::state::State;

/// The most pinned rows shown above the fleet table.
pub const MAX_ROWS: usize = 8;

/// The block's height (borders included), 0 when there is nothing to show.
pub fn height(state: &State) -> u16 {
    if state.pins_error.is_some() {
        3
    } else if state.pins.is_empty() {
        0
    } else {
        (state.pins.len().min(MAX_ROWS) + 2) as u16
    }
}

/// Draws the block into `area`.
pub fn draw(f: &mut Frame, area: Rect, state: &State, store: &FleetStore, theme: &Theme) {
    let n = state.pins.len();
    let more = if n > MAX_ROWS { format!(", {} more in contexts -o json", n - MAX_ROWS) } else { String::new() };
    let block = Block::default().borders(Borders::ALL).border_style(theme.style(Role::Border)).title(Span::styled(
        if state.pins_error.is_some() { " Pinned ".to_string() } else { format!(" Pinned ({n}{more}) ") },
        theme.style(Role::Title),
    ));
    if let Some(why) = &state.pins_error {
        let row =
            Row::new(vec![Cell::from(Span::styled(format!("pins unreadable: {why}"), theme.style(Role::Warning)))]);
        f.render_widget(Table::new(vec![row], [Constraint::Fill(1)]).block(block), area);
        return;
    }
    let statuses = pins::statuses(&state.pins, store);
    let width = |f: &dyn Fn(&pins::PinStatus) -> usize, min: usize, max: usize| {
        statuses.iter().take(MAX_ROWS).map(f).max().unwrap_or(min).clamp(min, max) as u16
    };
    let widths = [
        Constraint::Length(1),
        Constraint::Length(width(&|p| p.context.chars().count(), 7, 32)),
        Constraint::Length(width(&|p| p.pin.kind.chars().count(), 4, 24)),
        Constraint::Length(width(&|p| p.pin.namespace.chars().count() + p.pin.name.chars().count() + 1, 4, 48)),
        Constraint::Length(width(&|p| p.state.chars().count(), 5, 19)),
        Constraint::Fill(1),
    ];
    let rows: Vec<Row> = statuses
        .into_iter()
        .take(MAX_ROWS)
        .map(|p| {
            let role = if p.failing {
                Role::Error
            } else if p.state == "Ready" {
                Role::Ok
            } else {
                Role::Warning
            };
            let name =
                if p.pin.namespace.is_empty() { p.pin.name } else { format!("{}/{}", p.pin.namespace, p.pin.name) };
            let why = if p.reason.is_empty() { p.message } else { format!("{}: {}", p.reason, first_line(&p.message)) };
            Row::new(vec![
                Cell::from(Span::styled("★", theme.style(Role::Accent))),
                Cell::from(Span::styled(p.context, theme.style(Role::Muted))),
                Cell::from(p.pin.kind),
                Cell::from(name),
                Cell::from(Span::styled(p.state, theme.style(role))),
                Cell::from(Span::styled(why, theme.style(Role::Muted))),
            ])
        })
        .collect();
    f.render_widget(Table::new(rows, widths).block(block), area);
}
