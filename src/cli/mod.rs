//! The `weir` command line: argument parsing and the commands, each in its own module.
//!
//! Every command that runs a script (`weir run`, `test`, `serve`) takes its program through
//! [`program_to_run`]: the one check pipeline (`check::stages`), its warnings shown in short
//! form, and a refusal worded the same way in each. `weir replay` runs the script its journal
//! was served with through the same pipeline and refuses it when names or types are wrong.

mod check;
mod explain;
mod fmt;
mod graph;
mod journal;
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
    Journal(journal::JournalArgs),
}

pub fn main() -> ExitCode {
    quiet_on_closed_pipe();
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
        Command::Journal(args) => journal::run(args),
    };
    ExitCode::from(code)
}

/// The flags every command that runs a script shares: how `weir check`'s findings stop it.
#[derive(clap::Args)]
pub(crate) struct CheckFlags {
    /// Run even when `weir check` finds that workflows can loop or break one-way flow (to
    /// watch the run-time guard hold them); names and types must still be right.
    #[arg(long)]
    pub no_check: bool,
    /// Refuse to run when `weir check` finds warnings.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How a command that runs a script treats what `weir check` finds: what is refused, what the
/// refusal says, and whether warnings stop it. Every command that runs a script passes
/// through [`program_to_run`], so they all show and refuse the same way.
pub(crate) struct Gate<'a> {
    /// `--no-check` (run even when the flow checks fail, never when names and types are
    /// wrong) and `--deny-warnings` (refuse when there are warnings).
    pub flags: &'a CheckFlags,
    /// What did not happen when refused: `` `x.weir` was not run ``.
    pub refusal: &'a str,
    /// How `--no-check` is given for this command.
    pub forced: &'a str,
}

/// The checked program of a script about to run, or, when it must not run, the diagnostics
/// printed and the reason said. `--no-check` lets a script that can loop run (to watch the
/// run-time guard), never one whose names and types are wrong. Warnings are always shown,
/// in short form (the command's own output follows), with a pointer to `weir check`.
pub(crate) fn program_to_run(
    loaded: &crate::load::Loaded,
    gate: &Gate,
) -> Option<crate::program::Program> {
    use crate::diagnostic::{emit_to_stderr, has_errors, is_warning};
    let (program, diagnostics) = crate::check::check_all(loaded);
    let flow_errors = has_errors(&diagnostics);
    let warned = diagnostics.iter().any(is_warning);
    let refused_for_warnings = gate.flags.deny_warnings && warned;
    match program {
        Some(program) if !flow_errors && !refused_for_warnings => {
            crate::diagnostic::emit_short_to_stderr(&loaded.sources, &diagnostics);
            if warned {
                eprintln!("{}", warnings_pointer(loaded, &diagnostics));
            }
            return Some(program);
        }
        Some(program) if flow_errors && gate.flags.no_check => {
            crate::diagnostic::emit_short_to_stderr(&loaded.sources, &diagnostics);
            eprintln!(
                "note: running all the same, as `--no-check` asks: the run-time guard holds what loops"
            );
            return Some(program);
        }
        Some(_) => {
            emit_to_stderr(&loaded.sources, &diagnostics);
            if flow_errors {
                eprintln!(
                    "error: {}, because its workflows can loop or break one-way flow; fix them, or {} to watch the run-time guard",
                    gate.refusal, gate.forced
                );
            } else {
                eprintln!(
                    "error: {}, because it has warnings and `--deny-warnings` was given; fix them, or leave out `--deny-warnings`",
                    gate.refusal
                );
            }
        }
        None => {
            emit_to_stderr(&loaded.sources, &diagnostics);
            eprintln!(
                "error: {}, because it has errors; fix them first (`--no-check` lets loops run, but names and types must be right)",
                gate.refusal
            );
        }
    }
    None
}

/// The line under warnings shown in short form: how many, and where to read them in full.
fn warnings_pointer(
    loaded: &crate::load::Loaded,
    diagnostics: &[crate::diagnostic::Diagnostic],
) -> String {
    let count = diagnostics
        .iter()
        .filter(|d| crate::diagnostic::is_warning(d))
        .count();
    let files: Vec<&str> = (0..loaded.scripts.len())
        .map(|i| loaded.sources.name(loaded.scripts[i].file))
        .collect();
    format!(
        "note: {} above; `weir check {}` explains {} with fixes, and `--deny-warnings` refuses to run",
        crate::diagnostic::plural(count as u64, "warning"),
        files.join(" "),
        if count == 1 { "it" } else { "them" },
    )
}

/// `weir fmt FILE | head`: when the reader of weir's output goes away, weir stops there,
/// quietly, as other command-line tools do, instead of reporting a panic. Every `print!` of
/// every command meets a closed pipe the same way, so this is said once, here.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(i32::from(SUCCESS));
        }
        default(info);
    }));
}

/// Prints a usage-level error (unreadable file, bad argument) the way every command does.
pub fn usage_error(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    USAGE
}
