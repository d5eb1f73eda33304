//! For the benches that report memory: the allocator the `fleetdeck` binary uses (mimalloc, see
//! `src/main.rs`), counting live bytes (what the program holds, as opposed to what the allocator keeps from
//! the OS) and their peak. A bench includes this file as a module and installs [`Counting`] as its
//! `#[global_allocator]`. Built with `RUSTFLAGS="--cfg fleetdeck_bench_system"` it counts glibc malloc
//! instead, to compare the two (issue 18: steady RSS at 1,000 contexts).
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(fleetdeck_bench_system))]
use mimalloc::MiMalloc;
#[cfg(fleetdeck_bench_system)]
use std::alloc::System as MiMalloc;

/// mimalloc with counters.
pub struct Counting;

/// Bytes allocated and not yet freed.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The highest [`LIVE`] seen.
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Live bytes by block size: entry `i` holds blocks of `2^(i-1)` < size <= `2^i` bytes (the last: larger).
pub static BY_SIZE: [AtomicUsize; 24] = [const { AtomicUsize::new(0) }; 24];

fn class(size: usize) -> usize {
    (usize::BITS - size.saturating_sub(1).leading_zeros()).min(23) as usize
}

fn grew(by: usize) {
    let n = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(n, Ordering::Relaxed);
}

fn block(size: usize, live: bool) {
    if live {
        BY_SIZE[class(size)].fetch_add(size, Ordering::Relaxed);
    } else {
        BY_SIZE[class(size)].fetch_sub(size, Ordering::Relaxed);
    }
}

/// The live heap by block size, as `<=SIZE: MB` for the classes holding at least 1 MB.
#[allow(dead_code)]
pub fn by_size() -> String {
    let mut out = Vec::new();
    for (i, c) in BY_SIZE.iter().enumerate() {
        let v = c.load(Ordering::Relaxed);
        if v >= 1_048_576 {
            let size = 1usize << i;
            let label = if size >= 1024 { format!("{}K", size / 1024) } else { size.to_string() };
            out.push(format!("<={label}: {:.0}", mb(v)));
        }
    }
    out.join(", ")
}

// SAFETY: every call is forwarded to mimalloc unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        let p = unsafe { MiMalloc.alloc(l) };
        if !p.is_null() {
            grew(l.size());
            block(l.size(), true);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded.
        unsafe { MiMalloc.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        block(l.size(), false);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: forwarded.
        let q = unsafe { MiMalloc.realloc(p, l, new) };
        if !q.is_null() {
            block(l.size(), false);
            block(new, true);
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
