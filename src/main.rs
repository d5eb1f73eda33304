//! The `fleetdeck` binary: parses the command line, sets up logging and dispatches to [`cli`].
#![deny(clippy::unwrap_used)]

mod cli;

/// mimalloc instead of glibc malloc: the initial sync parses whole lists at once (a transient heap peak of
/// 120-145 MB at 10,000 objects) and glibc kept most of it from the OS afterwards (steady RSS 191-222 MB
/// for 47 MB live; mimalloc returns freed pages: 103-104 MB). Measured by `benches/fleet_sync.rs`.
/// `.cargo/config.toml` builds it with arenas committed on demand (`MI_DEFAULT_ARENA_EAGER_COMMIT=0`): the
/// cockpit over 12,157 objects then holds 106-110 MB instead of 132 MB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`fleetdeck contexts | head`) as other command-line tools do, instead of
    // panicking in println!.
    // SAFETY: setting a signal disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}
