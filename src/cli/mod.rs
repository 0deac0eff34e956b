//! The `weir` command line: argument parsing and the commands, each in its own module.

mod check;
mod explain;
mod fmt;
mod graph;
mod lsp;
mod repl;
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
    Repl(repl::ReplArgs),
    Fmt(fmt::FmtArgs),
    Graph(graph::GraphArgs),
    Lsp(lsp::LspArgs),
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
        Command::Repl(args) => repl::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Lsp(args) => lsp::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Runs(args) => runs::run(args),
        Command::Replay(args) => replay::run(args),
    };
    ExitCode::from(code)
}

/// The checked program of a script about to run, or, when it must not run, the diagnostics
/// printed and the reason said: `refusal` is what did not happen (`` `x.weir` was not run ``)
/// and `forced` how `--no-check` is given for this command. `--no-check` lets a script that can
/// loop run (to watch the run-time guard), never one whose names and types are wrong.
pub(crate) fn program_to_run(
    loaded: &crate::load::Loaded,
    no_check: bool,
    refusal: &str,
    forced: &str,
) -> Option<crate::program::Program> {
    if !loaded.diagnostics.is_empty() {
        crate::diagnostic::emit_to_stderr(&loaded.sources, &loaded.diagnostics);
        return None;
    }
    let checked = crate::check::check(&loaded.scripts, &loaded.sources);
    let mut diagnostics = checked.diagnostics();
    if !checked.has_errors() {
        diagnostics.extend(crate::check::flow_diagnostics(&checked.program));
    }
    let flow_errors = crate::diagnostic::has_errors(&diagnostics);
    if !checked.has_errors() && (!flow_errors || no_check) {
        return Some(checked.program);
    }
    crate::diagnostic::emit_to_stderr(&loaded.sources, &diagnostics);
    if checked.has_errors() {
        eprintln!(
            "error: {refusal}, because it has errors; fix them first (`--no-check` lets loops run, but names and types must be right)"
        );
    } else {
        eprintln!(
            "error: {refusal}, because its workflows can loop or break one-way flow; fix them, or {forced} to watch the run-time guard"
        );
    }
    None
}

/// Prints a usage-level error (unreadable file, bad argument) the way every command does.
pub fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    USAGE
}
