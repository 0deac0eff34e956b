//! `weir repl [FILE]`: the interactive session.

use clap::Args;

use crate::repl::{Session, terminal};

/// Try the language interactively: declare, make changes as a user, see what runs
///
/// Add apps and workflows, make changes as a user and see what they set off. With standard
/// input not a terminal, reads the same language line by line, without prompts, and exits with
/// status 1 if any input was refused or any `expect` failed.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir repl\n  weir repl examples/calendar_mirror.weir\n  weir repl < session.txt"
)]
pub struct ReplArgs {
    /// A script to load first.
    file: Option<String>,
}

pub fn run(args: ReplArgs) -> u8 {
    let mut session = Session::new();
    if let Some(file) = &args.file {
        let reply = session.eval(&format!(":load {file}"));
        print!("{}", reply.text);
        if reply.text.starts_with("error:") {
            return super::USAGE;
        }
    }
    if terminal::run(session) {
        super::SUCCESS
    } else {
        super::FAILURE
    }
}
