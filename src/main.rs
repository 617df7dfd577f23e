//! allears: reads reader mail, threads and classifies it, and sends its owner
//! one daily digest. `main` only parses the command line, runs, and reports
//! an error once; the pipeline is in the modules below, in the order mail
//! flows through them.

mod cli;
mod clock;
mod cmd;
mod config;
mod owner;
mod source {
    pub(crate) mod found;
    pub(crate) mod idle;
    pub(crate) mod imap;
    pub(crate) mod local;
    pub(crate) mod mbox;
}
mod analyze;
mod check;
mod classify;
mod commands;
mod daemon;
mod deliver;
mod demo;
mod digest;
mod flowed;
mod import;
mod init;
mod intern;
mod lang;
mod message;
mod newtext;
mod oauth2;
mod providers;
mod recipients;
mod render;
mod run;
mod schedule;
mod send;
mod status;
mod store;
mod subjects;
mod text;
mod thread;
mod ui;
mod usage;
mod weekly;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    usage::large_blocks_from_the_system();
    let cli = cli::Cli::parse();
    ui::set_level(cli.level());
    init_logging(cli.level(), matches!(cli.command, cli::Command::Daemon));
    match cmd::run(cli) {
        Ok(code) => code,
        // `allears messages --json | head -1`: the reader is gone, and that is fine.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // An error may quote mail (a Message-ID, a subject): shown as text.
            eprintln!("allears: {}", text::visible(&format!("{e:#}")));
            let usage = e.downcast_ref::<cli::NoConfig>().is_some()
                || e.downcast_ref::<cli::Usage>().is_some();
            ExitCode::from(if usage {
                cli::exit::USAGE
            } else {
                cli::exit::ERROR
            })
        }
    }
}

/// The error is a write to a pipe whose reader has gone.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Log lines go to standard error: errors only under `-q`, debug detail
/// with `-vv`/`--debug`. The daemon's lines carry their time (it runs for
/// days, and its log is read later); a command's are read as it runs.
fn init_logging(level: u8, daemon: bool) {
    let default = match level {
        0 => "allears=error",
        3 => "allears=debug",
        _ => "allears=info",
    };
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Whatever RUST_LOG says, the HTTP client stays quiet: its requests carry tokens.
    for quiet in ["ureq=off", "ureq_proto=off"] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Log lines may quote mail: each goes through `text::Visible`, so
        // the terminal (or journal) gets text, and no colour codes either.
        .with_writer(|| text::Visible::new(std::io::stderr()))
        .with_ansi(false)
        .with_target(false);
    if daemon {
        fmt.with_timer(LocalTime).init();
    } else {
        fmt.without_time().init();
    }
}

/// "2026-11-26T07:30:02+00:00": the machine's local time with its offset, to the second.
struct LocalTime;

impl tracing_subscriber::fmt::time::FormatTime for LocalTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system());
        write!(w, "{}", now.strftime("%Y-%m-%dT%H:%M:%S%:z"))
    }
}
