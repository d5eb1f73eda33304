//! The `fleetdeck` binary: parses the command line, sets up logging and dispatches to [`cli`].
#![deny(clippy::unwrap_used)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
