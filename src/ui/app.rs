//! The cockpit's loop, and only the loop: fleet messages and keys in, at most one frame per 16 ms and only
//! when something changed, out. The UI task owns the store; it never waits on the network (the fleet runs
//! in its own tasks and talks through a channel).
//!
//! The terminal is restored on quit, on panic (ratatui's hook), and on SIGTERM / SIGHUP: a dropped SSH
//! session ends fleetdeck instead of leaving it running (k9s#1194).
use std::time::Duration;

use anyhow::Result;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::render::{Scene, render};
use super::rows::Rows;
use super::state::{State, View};
use super::update::{self, Input};
use super::views::tree;
use crate::config::{Keymap, Theme};
use crate::model::lineage;
use crate::model::store::{FleetStore, StoreMsg};

/// Shortest time between two frames (60 fps at most).
pub const FRAME: Duration = Duration::from_millis(16);
/// Most fleet messages applied before a frame is considered.
const DRAIN: usize = 4096;

/// Builds what `update` needs for the current state.
pub fn input<'a>(state: &State, store: &FleetStore, rows: &'a Rows) -> Input<'a> {
    let (tree_lines, tree_selected, lineage) =
        match &state.view {
            View::Tree(root) => {
                let lines = tree::lines(store, root, state);
                let sel = lines.get(state.cursor().selected).and_then(|l| l.obj.clone());
                let key = (root.context.clone(), root.kind, root.namespace.clone(), root.name.clone());
                let link = lineage::linked(store, &key)
                    .map(|(context, kind, namespace, name)| super::rows::ObjectRef { context, kind, namespace, name });
                (lines.len(), sel, link)
            }
            _ => {
                let sel = super::render::selected_object(state, rows);
                let link = sel.as_ref().and_then(|o| {
                    lineage::linked(store, &(o.context.clone(), o.kind, o.namespace.clone(), o.name.clone())).map(
                        |(context, kind, namespace, name)| super::rows::ObjectRef { context, kind, namespace, name },
                    )
                });
                (0, sel, link)
            }
        };
    Input { rows, tree_lines, tree_selected, lineage }
}

/// Runs the loop until the user quits or a signal arrives. `rx` carries the fleet's messages.
pub async fn run(mut rx: mpsc::Receiver<StoreMsg>, mut state: State, theme: Theme, keymap: Keymap) -> Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut terminal = ratatui::init();
    let mut events = EventStream::new();
    let mut store = FleetStore::new();
    let mut rows = Rows::default();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let result: Result<()> = loop {
        if dirty && last_draw.elapsed() >= FRAME {
            let now = Timestamp::now();
            if rows.revision != store.revision() || rows.fleet.is_empty() {
                rows = Rows::derive(&store, now);
            }
            state.now = now;
            let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
            if let Err(e) = terminal.draw(|f| render(f, &mut state, &scene)) {
                break Err(e.into());
            }
            dirty = false;
            last_draw = Instant::now();
        }
        let next_frame = last_draw + FRAME;
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(m) => {
                    dirty |= store.apply(m, Timestamp::now());
                    for _ in 0..DRAIN {
                        match rx.try_recv() {
                            Ok(m) => dirty |= store.apply(m, Timestamp::now()),
                            Err(_) => break,
                        }
                    }
                }
                None => break Ok(()),
            },
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    if rows.revision != store.revision() {
                        rows = Rows::derive(&store, Timestamp::now());
                    }
                    let inp = input(&state, &store, &rows);
                    dirty |= update::key(&mut state, &keymap, &k, &inp);
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            _ = term.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
        }
        if state.quit {
            break Ok(());
        }
    };
    ratatui::restore();
    result
}
