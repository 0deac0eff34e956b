//! `weir check FILE…`: parse and check, print every diagnostic.

use clap::{Args, ValueEnum};

use crate::diagnostic;
use crate::load;

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
    /// change can set off.
    #[arg(long)]
    stats: bool,
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
    let (program, diagnostics) = crate::check::check_all(&loaded);
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
                let graph = crate::flow::graph::FlowGraph::build(program);
                let stats = crate::flow::stats::compute(program, &graph);
                print!("{}", crate::flow::stats::table(&stats));
            }
            None => eprintln!("(no statistics: the script has errors)"),
        }
    }
    let warned = diagnostics.iter().any(diagnostic::is_warning);
    let failed = diagnostic::has_errors(&diagnostics) || (args.deny_warnings && warned);
    if failed {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}
