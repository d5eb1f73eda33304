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

use super::actions;
use super::effects::Effects;
use super::inventory;
use super::msg::{Effect, Msg};
use super::render::{Scene, render};
use super::rows::Rows;
use super::state::{State, View};
use super::update::{self, Input};
use super::views::tree;
use crate::config::{Keymap, Theme};
use crate::model::kinds::TreeKind;
use crate::model::lineage;
use crate::model::store::{FleetStore, StoreMsg};

static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Records the process start (called first thing in `main`) so the first frame's delay can be logged.
pub fn mark_start() {
    START.get_or_init(std::time::Instant::now);
}

/// Shortest time between two frames the fleet's messages cause (60 fps at most); a key's frame is drawn at
/// once.
pub const FRAME: Duration = Duration::from_millis(16);
/// Shortest time between two frames drawn for the clock alone: ages on screen change at different
/// sub-second phases (each context's last event is its own), and redrawing at each one would draw several
/// frames a second on an idle screen; at most one a second, every age shown then as of that frame (a
/// seconds age is at most 1 s behind).
pub const CLOCK_TICK: Duration = Duration::from_secs(1);
/// Most fleet messages applied before a frame or a key is considered.
const DRAIN: usize = 4096;
/// Longest time spent applying one batch of fleet messages (a start-up storm of a thousand contexts must
/// not hold a key back).
const DRAIN_FOR: Duration = Duration::from_millis(4);

/// Builds what `update` reads for the current state: the object under the cursor (list row or tree
/// line), its lineage link, and the tree's length and node under the cursor.
pub fn input<'a>(state: &State, store: &'a FleetStore, rows: &'a Rows) -> Input<'a> {
    if let View::Tree(root) = &state.nav.view {
        let lines = tree::lines(store, root, state);
        let line = lines.get(state.selected(lines.len()));
        return Input {
            store,
            rows,
            tree_lines: lines.len(),
            tree_selected: line.and_then(|l| l.obj.clone()),
            lineage: lineage::linked(store, root),
            tree_node: line.and_then(|l| l.id.clone().map(|id| (id, l.has_children))),
        };
    }
    let sel = super::render::selected_object(state, rows);
    let lineage = sel.as_ref().and_then(|o| lineage::linked(store, o));
    Input { store, rows, tree_lines: 0, tree_selected: sel, lineage, tree_node: None }
}

/// Keeps the inventory reads in step with the tree on screen (a Flux tree, built by the frame just drawn):
/// see [`inventory::follow`].
pub fn follow_inventory(state: &mut State, store: &FleetStore) -> Vec<Effect> {
    let flux = match &state.nav.view {
        View::Tree(root) => matches!(root.kind.tree(), Some(TreeKind::Kustomization | TreeKind::HelmRelease))
            .then(|| (state.nav.view.key(), tree::cache_key(root, state.nav.show_conditions))),
        _ => None,
    };
    let cache = state.tree_cache.borrow();
    let built = flux.as_ref().and_then(|(view, key)| Some((view.as_str(), cache.get(key)?)));
    inventory::follow(&mut state.inventory, built, cache.builds(), store)
}

/// Starts `fx`, and the inspection the details pane now needs (the selection may have moved).
fn start(effects: &Effects, mut fx: Vec<Effect>, state: &mut State, store: &FleetStore, rows: &Rows) {
    if state.nav.details {
        let selected = input(state, store, rows).tree_selected;
        fx.extend(actions::inspection(state, selected.as_ref()));
    }
    for effect in fx {
        effects.run(effect, state, store);
    }
}

/// Milliseconds since [`mark_start`] (0 when it was not called), for start-up timings in the log.
pub fn since_start_ms() -> f64 {
    START.get().map_or(0.0, |s| s.elapsed().as_secs_f64() * 1e3)
}

/// Runs the loop until the user quits or a signal arrives. `rx` carries the fleet's messages; `effects`
/// runs what `update` returns (operator actions, inspections, wizard tasks) and `results` brings back
/// what they report.
pub async fn run(
    mut rx: mpsc::Receiver<StoreMsg>,
    mut state: State,
    theme: Theme,
    keymap: Keymap,
    effects: Effects,
    mut results: mpsc::UnboundedReceiver<Msg>,
) -> Result<()> {
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
    // What the fleet was asked to watch beyond the summaries (see `demand.rs`).
    let mut asked = super::demand::Asked::default();
    // When the oldest key not yet shown by a frame arrived (the key -> frame latency, logged per frame).
    let mut key_at: Option<Instant> = None;
    // The UI thread's CPU time when that key arrived: wall time minus this is time off the CPU.
    let mut key_cpu = 0.0f64;
    // Time spent handling the keys not yet shown (their rows update, `update::key`, the effects started).
    let mut key_ms = 0.0f64;
    let result: Result<()> = loop {
        // A key's frame is drawn at once: the 16 ms cap paces redraws the fleet causes (a start-up storm
        // would otherwise make a key wait for the cap, up to 16 ms on top of its own work). Keys come at
        // human (or key-repeat) speed, so they cannot make a frame storm of their own.
        if dirty && (key_at.is_some() || last_draw.elapsed() >= FRAME) {
            let now = Timestamp::now();
            let work = Instant::now();
            if rows.revision != store.revision() || rows.fleet.is_empty() {
                rows.update(&store, now);
            }
            let rows_ms = work.elapsed().as_secs_f64() * 1e3;
            state.now = now;
            let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
            crate::ui::format::take_next_change();
            let drawing = Instant::now();
            let mut render_ms = 0.0;
            let drawn = terminal.draw(|f| {
                let t = Instant::now();
                render(f, &state, &scene);
                render_ms = t.elapsed().as_secs_f64() * 1e3;
            });
            let write_ms = drawing.elapsed().as_secs_f64() * 1e3 - render_ms;
            if let Err(e) = drawn {
                break Err(e.into());
            }
            dirty = false;
            last_draw = Instant::now();
            let bell = state.settings.rules.config.as_ref().is_some_and(|c| c.pulse_bell);
            let (flashed, bell) = super::pulse::follow(&mut state, &store, bell);
            // The flash is drawn by the next frame.
            dirty |= flashed;
            let shown = state.nav.view == View::Terraform;
            let plans = super::plans::follow(&mut state.plans, shown, &rows);
            let demand = super::demand::follow(&mut asked, &state, &rows);
            for effect in follow_inventory(&mut state, &store).into_iter().chain(bell).chain(plans).chain(demand) {
                effects.run(effect, &state, &store);
            }
            // The clock: wake when the soonest age on screen changes its text (`17s` -> `18s`), but not
            // sooner than a second after this frame.
            age_tick = crate::ui::format::take_next_change().map(|d| last_draw + d.max(CLOCK_TICK));
            frames += 1;
            tracing::trace!(target: "fleetdeck::frames", "frame {frames} drawn");
            if let Some(at) = key_at.take() {
                tracing::debug!(
                    target: "fleetdeck::keys",
                    "key to frame {:.2} ms (handling the key {key_ms:.2} ms; rows {rows_ms:.2} ms, drawing \
                     {render_ms:.2} ms, diffing and writing {write_ms:.2} ms, frame work {:.2} ms; on the CPU {:.2} ms)",
                    at.elapsed().as_secs_f64() * 1e3,
                    work.elapsed().as_secs_f64() * 1e3,
                    thread_cpu_ms() - key_cpu
                );
                key_ms = 0.0;
            }
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
            // Signals, then keys, then the fleet: a start-up storm keeps the fleet's channel always ready,
            // and a fair pick would make a key wait behind a batch of messages. Frames do not depend on the
            // timers below being picked: the loop draws at its top whenever a frame is due.
            biased;
            _ = term.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    let at = Instant::now();
                    if key_at.is_none() {
                        key_at = Some(at);
                        // Read only when the key log is on (its line is the only reader).
                        if tracing::enabled!(target: "fleetdeck::keys", tracing::Level::DEBUG) {
                            key_cpu = thread_cpu_ms();
                        }
                    }
                    if rows.revision != store.revision() {
                        rows.update(&store, Timestamp::now());
                    }
                    let inp = input(&state, &store, &rows);
                    let fx = update::key(&mut state, &keymap, &k, &inp);
                    start(&effects, fx, &mut state, &store, &rows);
                    key_ms += at.elapsed().as_secs_f64() * 1e3;
                    dirty = true;
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(m) = results.recv() => {
                let fx = update::message(&mut state, m);
                start(&effects, fx, &mut state, &store, &rows);
                dirty = true;
            }
            msg = rx.recv() => match msg {
                Some(m) => {
                    dirty |= store.apply(m, Timestamp::now());
                    let batch = Instant::now();
                    for i in 0..DRAIN {
                        if i % 64 == 63 && batch.elapsed() >= DRAIN_FOR {
                            break;
                        }
                        match rx.try_recv() {
                            Ok(m) => dirty |= store.apply(m, Timestamp::now()),
                            Err(_) => break,
                        }
                    }
                }
                None => break Ok(()),
            },
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

/// CPU time the calling thread has used, in ms (`CLOCK_THREAD_CPUTIME_ID`); 0 if the clock is unavailable.
/// For the key -> frame log: the wall time of a key's frame minus this is time the UI thread waited for a
/// CPU.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}
