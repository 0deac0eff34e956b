//! `weir check FILE…`: parse and check, print every diagnostic.

use clap::{Args, ValueEnum};

use crate::diagnostic;
use crate::load;
use crate::program::Program;

/// Parse and check scripts; print every problem found.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir check examples/clinic_intake.weir\n  weir check --format json a.weir b.weir"
)]
pub struct CheckArgs {
    /// The script files, checked together as one program.
    #[arg(required = true)]
    files: Vec<String>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    deny_warnings: bool,
    /// Also print, for each trigger a user can cause, the most runs and actions one such
    /// change can set off, and the warnings the script acknowledges.
    #[arg(long)]
    stats: bool,
    /// Print nothing when there are no problems (no closing summary line).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(args: CheckArgs) -> u8 {
    let loaded = match load::load_files(&args.files) {
        Ok(loaded) => loaded,
        Err(err) => {
            if matches!(args.format, Format::Json) {
                println!("{}", serde_json::json!({ "error": err.to_string() }));
            }
            return super::usage_error(err);
        }
    };
    let (program, applied) = crate::check::check_acknowledging(&loaded);
    let diagnostics = applied.diagnostics;
    match args.format {
        Format::Human => diagnostic::emit_to_stderr(&loaded.sources, &diagnostics),
        Format::Json => {
            for d in &diagnostics {
                println!("{}", diagnostic::to_json(&loaded.sources, d));
            }
        }
    }
    if args.stats {
        match &program {
            Some(program) => {
                let stats = crate::flow::stats::of(program);
                print!("{}", crate::flow::stats::table(&stats));
                if !applied.acknowledged.is_empty() {
                    println!("\nacknowledged warnings (`# weir: allow CODE` above the item):");
                    print!(
                        "{}",
                        diagnostic::render_short(&loaded.sources, &applied.acknowledged)
                    );
                }
            }
            None => eprintln!("(no statistics: the script has errors)"),
        }
    }
    if !args.quiet && matches!(args.format, Format::Human) {
        eprintln!("{}", summary(&args.files, program.as_ref(), &diagnostics));
    }
    let warned = diagnostics.iter().any(diagnostic::is_warning);
    let failed = diagnostic::has_errors(&diagnostics) || (args.deny_warnings && warned);
    if failed {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}

/// The closing line: what was checked and what was found, as in
/// `checked 3 workflows in 2 apps: no problems` or `…: 1 error, 2 warnings`. A script that
/// does not parse is named instead, as its items cannot be counted.
fn summary(
    files: &[String],
    program: Option<&Program>,
    diagnostics: &[diagnostic::Diagnostic],
) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| diagnostic::is_error(d))
        .count() as u64;
    let warnings = diagnostics
        .iter()
        .filter(|d| diagnostic::is_warning(d))
        .count() as u64;
    let found = match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (0, w) => diagnostic::plural(w, "warning"),
        (e, 0) => diagnostic::plural(e, "error"),
        (e, w) => format!(
            "{}, {}",
            diagnostic::plural(e, "error"),
            diagnostic::plural(w, "warning")
        ),
    };
    let what = match program {
        Some(program) => {
            let mut what = diagnostic::plural(program.workflows.len() as u64, "workflow");
            if !program.syncs.is_empty() {
                what.push_str(&format!(
                    " and {}",
                    diagnostic::plural(program.syncs.len() as u64, "sync")
                ));
            }
            format!(
                "{what} in {}",
                diagnostic::plural(
                    program.apps.iter().filter(|a| !a.is_clock()).count() as u64,
                    "app"
                )
            )
        }
        None => files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("checked {what}: {found}")
}
