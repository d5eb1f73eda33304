//! For the benches that report memory: the allocator the `fleetdeck` binary uses (mimalloc, see
//! `src/main.rs`), counting live bytes (what the program holds, as opposed to what the allocator keeps from
//! the OS) and their peak. A bench includes this file as a module and installs [`Counting`] as its
//! `#[global_allocator]`.
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

use mimalloc::MiMalloc;

/// mimalloc with counters.
pub struct Counting;

/// Bytes allocated and not yet freed.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The highest [`LIVE`] seen.
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let n = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(n, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to mimalloc unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        let p = unsafe { MiMalloc.alloc(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded.
        unsafe { MiMalloc.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: forwarded.
        let q = unsafe { MiMalloc.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                grew(new - l.size());
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

/// Bytes in MB (2^20).
pub fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}
