//! The `microcred` binary: parses the command line and runs the command.

use std::process::ExitCode;

use clap::Parser as _;
use microcred::cli::{self, Cli};

/// jemalloc instead of the system allocator: many small, short-lived allocations on several threads (JSON
/// values, JSON-LD terms, HTTP buffers) cost glibc's malloc a quarter of a request's CPU time.
#[cfg(all(unix, not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.resolve_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    microcred::telemetry::init(config.log_format, &config.log_level);
    match cli::run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(cli::CliError::Quiet(code)) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// The error and its causes on one line.
fn error_text(e: &cli::CliError) -> String {
    match e {
        cli::CliError::Failed(e) => format!("{e:#}"),
        other => other.to_string(),
    }
}
