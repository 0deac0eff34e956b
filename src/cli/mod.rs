//! The `weir` command line: argument parsing and the commands, each in its own module.

mod check;
mod explain;
mod fmt;
mod graph;
mod replay;
mod run;
mod runs;
mod serve;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, as the CLI reference defines them.
pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "weir",
    version,
    about = "Trigger/action workflows that are checked before they run",
    long_about = "weir runs declarative trigger/action workflows (\"when a record is created in one app, \
do something in another\") and proves before anything runs that they cannot trigger each other forever.",
    after_help = "Examples:\n  weir check examples/clinic_intake.weir\n  weir test examples/calendar_mirror.weir\n  weir run examples/calendar_mirror.weir --events events.jsonl\n  weir serve shop.weir --listen 127.0.0.1:8080 --secret-env WEIR_SECRET\n  weir explain E0301"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(check::CheckArgs),
    Run(run::RunArgs),
    Test(test::TestArgs),
    Explain(explain::ExplainArgs),
    Fmt(fmt::FmtArgs),
    Graph(graph::GraphArgs),
    Serve(serve::ServeArgs),
    Runs(runs::RunsArgs),
    Replay(replay::ReplayArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { USAGE } else { SUCCESS });
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Test(args) => test::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Runs(args) => runs::run(args),
        Command::Replay(args) => replay::run(args),
    };
    ExitCode::from(code)
}

/// Prints a usage-level error (unreadable file, bad argument) the way every command does.
pub fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    USAGE
}
