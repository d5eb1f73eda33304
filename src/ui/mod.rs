//! The cockpit: a full-screen, keyboard-driven view of the live fleet.
//!
//! Shape (DESIGN.md): [`app`] is the loop only; [`update`] turns keys into state changes without IO;
//! [`render`] draws a frame from the [`state::State`], the derived [`rows::Rows`] and the store; [`views`]
//! hold the tables, the tree and the details pane. Lists are virtualised: per frame, work is proportional
//! to the rows on screen; rows are derived only when the store's revision changes.
pub mod actions;
pub mod app;
pub mod demand;
pub mod diff;
pub mod effects;
pub mod format;
pub mod inventory;
pub mod jobs;
pub mod list;
pub mod msg;
pub mod palette;
pub mod plans;
pub mod pulse;
pub mod render;
pub mod rows;
pub mod state;
pub mod tree_lines;
pub mod update;
pub mod views;
pub mod wizard;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Renders one frame of `state` at `width` x `height` into plain text (one line per terminal row, trailing
/// blanks trimmed): for `fleetdeck snapshot`, bots and tests.
///
/// Errors only if the in-memory backend fails, which it does not in practice.
pub fn render_to_string(
    state: &state::State,
    scene: &render::Scene<'_>,
    width: u16,
    height: u16,
) -> anyhow::Result<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    terminal.draw(|f| render::render(f, state, scene))?;
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        for x in 0..width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}
