//! `weir fmt FILE…`: print or rewrite scripts in the canonical layout.

use clap::Args;

use crate::diagnostic::{self, Report};
use crate::load;
use crate::source::SourceMap;

/// Print a script in the canonical layout, or rewrite scripts in place
///
/// Comments are kept and the meaning never changes.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir fmt examples/calendar_mirror.weir\n  weir fmt --write *.weir\n  weir fmt --check *.weir"
)]
pub struct FmtArgs {
    /// The script files.
    #[arg(required = true)]
    files: Vec<String>,
    /// Rewrite the files in place instead of printing.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Only say which files are not in the canonical layout (exit 1 if any).
    #[arg(long)]
    check: bool,
}

pub fn run(args: FmtArgs) -> u8 {
    if args.files.len() > 1 && !args.write && !args.check {
        return super::usage_error(
            "give `--write` or `--check` to format several files; without them `weir fmt` prints one file",
        );
    }
    let mut failed = false;
    for path in &args.files {
        let text = match load::read_text(path) {
            Ok(text) => text,
            Err(err) => return super::usage_error(err),
        };
        let mut sources = SourceMap::new();
        let file = sources.add(path.clone(), text.clone());
        let script = match crate::syntax::parse_script(file, &text) {
            Ok(script) => script,
            Err(err) => {
                diagnostic::emit_to_stderr(&sources, &[err.report()]);
                failed = true;
                continue;
            }
        };
        let formatted = crate::fmt::format(&script, &text);
        if args.check {
            if formatted != text {
                println!(
                    "{path} is not in the canonical layout (weir fmt --write {path} fixes it)"
                );
                failed = true;
            }
        } else if args.write {
            if formatted != text {
                if let Err(err) = std::fs::write(path, &formatted) {
                    return super::usage_error(format!("cannot write `{path}`: {err}"));
                }
                println!("formatted {path}");
            }
        } else {
            print!("{formatted}");
        }
    }
    if failed {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}
