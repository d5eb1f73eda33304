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

use super::actions::{self, OpMsg};
use super::effects::Effects;
use super::render::{Scene, render};
use super::rows::Rows;
use super::state::{State, View};
use super::update::{self, Input};
use super::views::tree;
use crate::config::{Keymap, Theme};
use crate::model::lineage;
use crate::model::store::{FleetStore, StoreMsg};

static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Records the process start (called first thing in `main`) so the first frame's delay can be logged.
pub fn mark_start() {
    START.get_or_init(std::time::Instant::now);
}

/// Shortest time between two frames (60 fps at most).
pub const FRAME: Duration = Duration::from_millis(16);
/// Most fleet messages applied before a frame is considered.
const DRAIN: usize = 4096;

/// Builds what `update` needs for the current state.
pub fn input<'a>(state: &mut State, store: &FleetStore, rows: &'a Rows) -> Input<'a> {
    let to_ref = |(context, kind, namespace, name)| super::rows::ObjectRef { context, kind, namespace, name };
    if let View::Tree(root) = &state.view {
        let root = root.clone();
        let lines = tree::lines(store, &root, state);
        let line = lines.get(state.cursor().selected);
        let key = (root.context.clone(), root.kind, root.namespace.clone(), root.name.clone());
        return Input {
            rows,
            tree_lines: lines.len(),
            tree_selected: line.and_then(|l| l.obj.clone()),
            lineage: lineage::linked(store, &key).map(to_ref),
            tree_node: line.and_then(|l| l.id.clone().map(|id| (id, l.has_children))),
        };
    }
    let sel = super::render::selected_object(state, rows);
    let lineage = sel
        .as_ref()
        .and_then(|o| lineage::linked(store, &(o.context.clone(), o.kind, o.namespace.clone(), o.name.clone())))
        .map(to_ref);
    Input { rows, tree_lines: 0, tree_selected: sel, lineage, tree_node: None }
}

/// Receives the next message of the action tasks (never, when actions are off).
async fn next_op(rx: &mut Option<mpsc::UnboundedReceiver<OpMsg>>) -> Option<OpMsg> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Turns a pressed action key into requests, queues an inspection of the object in the details pane, and
/// starts what is queued (or says why actions are off).
fn drive_actions(state: &mut State, store: &FleetStore, rows: &Rows, effects: Option<&Effects>) {
    if let Some(a) = state.pending_action.take() {
        let selected = input(state, store, rows).tree_selected;
        let targets = actions::targets(state, selected.as_ref());
        actions::request(state, a, store, targets);
    }
    if state.details
        && effects.is_some()
        && let Some(o) = input(state, store, rows).tree_selected
    {
        let key = actions::key_of(&o);
        if !state.inspections.contains_key(&key) {
            state.effects.push(actions::Effect::Inspect(key));
        }
    }
    match effects {
        Some(e) => e.run_queued(state, store),
        None if !state.effects.is_empty() => {
            state.effects.clear();
            state.message = Some("actions are not available here".into());
        }
        None => {}
    }
}

/// Runs the loop until the user quits or a signal arrives. `rx` carries the fleet's messages; `actions`
/// (when given) runs operator actions and inspections.
pub async fn run(
    mut rx: mpsc::Receiver<StoreMsg>,
    mut state: State,
    theme: Theme,
    keymap: Keymap,
    actions: Option<(Effects, mpsc::UnboundedReceiver<OpMsg>)>,
) -> Result<()> {
    let (effects, mut ops_rx) = match actions {
        Some((e, r)) => (Some(e), Some(r)),
        None => (None, None),
    };
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut terminal = ratatui::init();
    let mut events = EventStream::new();
    let mut store = FleetStore::new();
    let mut rows = Rows::default();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut frames: u64 = 0;
    let mut minute = (Instant::now(), 0u64);
    let mut age_tick: Option<tokio::time::Instant> = None;
    let result: Result<()> = loop {
        if dirty && last_draw.elapsed() >= FRAME {
            let now = Timestamp::now();
            if rows.revision != store.revision() || rows.fleet.is_empty() {
                rows.update(&store, now);
            }
            state.now = now;
            let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
            crate::ui::format::take_next_change();
            if let Err(e) = terminal.draw(|f| render(f, &mut state, &scene)) {
                break Err(e.into());
            }
            dirty = false;
            last_draw = Instant::now();
            // The clock: wake when the soonest age on screen changes its text (`17s` -> `18s`).
            age_tick = crate::ui::format::take_next_change().map(|d| last_draw + d);
            frames += 1;
            tracing::trace!(target: "fleetdeck::frames", "frame {frames} drawn");
            if frames == 1
                && let Some(start) = START.get()
            {
                tracing::info!("first frame drawn {:.1} ms after start", start.elapsed().as_secs_f64() * 1e3);
            }
        }
        if minute.0.elapsed() >= Duration::from_secs(60) {
            tracing::debug!("{} frames drawn in the last minute", frames - minute.1);
            minute = (Instant::now(), frames);
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
                        rows.update(&store, Timestamp::now());
                    }
                    let inp = input(&mut state, &store, &rows);
                    dirty |= update::key(&mut state, &keymap, &k, &inp);
                    drive_actions(&mut state, &store, &rows, effects.as_ref());
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(m) = next_op(&mut ops_rx) => {
                actions::apply(&mut state, m);
                drive_actions(&mut state, &store, &rows, effects.as_ref());
                dirty = true;
            }
            _ = term.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
            // (Without a tick the branch is disabled: its sleep is never polled.)
            _ = tokio::time::sleep_until(age_tick.unwrap_or(next_frame)), if !dirty && age_tick.is_some() => {
                age_tick = None;
                dirty = true;
            }
        }
        if state.quit {
            break Ok(());
        }
    };
    ratatui::restore();
    result
}
