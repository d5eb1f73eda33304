//! The `fleetdeck` binary: parses the command line, sets up logging and dispatches to [`cli`].
#![deny(clippy::unwrap_used)]

mod cli;

fn main() -> std::process::ExitCode {
    // Die quietly on a closed pipe (`fleetdeck contexts | head`) as other command-line tools do, instead of
    // panicking in println!.
    // SAFETY: setting a signal disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}
