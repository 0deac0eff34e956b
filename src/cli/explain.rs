//! `weir explain CODE`: the long explanation of a diagnostic code.

use clap::Args;

use crate::codes::Code;

/// Print the long explanation of a diagnostic code, with a wrong and a fixed example.
#[derive(Args)]
#[command(after_help = "Example:\n  weir explain E0301")]
pub struct ExplainArgs {
    /// The code, as printed in a diagnostic (for example E0301).
    code: String,
}

pub fn run(args: ExplainArgs) -> u8 {
    match Code::parse(&args.code) {
        Some(code) => {
            print!("{}", code.page());
            super::SUCCESS
        }
        None => {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            let hint = match crate::suggest::closest(
                &args.code.to_ascii_uppercase(),
                known.iter().copied(),
            ) {
                Some(close) => format!(" (did you mean `{close}`?)"),
                None => String::new(),
            };
            super::usage_error(format!(
                "there is no code `{}`{hint}; known codes: {}",
                args.code,
                known.join(", ")
            ))
        }
    }
}
