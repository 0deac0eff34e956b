//! `weir graph FILE`: the flow graph as text, DOT or Mermaid.

use clap::{Args, ValueEnum};

use crate::diagnostic;
use crate::flow::render::View;
use crate::load;

/// Draw the flow graph: which workflow sets off which, and what cuts each chain
///
/// Apps and entities are nodes, workflows' writes are edges; loops are marked, and edges a
/// breaker cuts are dashed with the breaker's name.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir graph examples/calendar_mirror.weir\n  weir graph --format dot examples/calendar_mirror.weir | dot -Tsvg > graph.svg"
)]
pub struct GraphArgs {
    /// The script files, taken together as one program.
    #[arg(required = true)]
    files: Vec<String>,
    /// text for a terminal, dot for Graphviz, mermaid for Markdown pages.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 when `weir check` finds warnings (the graph is drawn all the same).
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Dot,
    Mermaid,
}

pub fn run(args: GraphArgs) -> u8 {
    let loaded = match load::load_files(&args.files) {
        Ok(loaded) => loaded,
        Err(err) => return super::usage_error(err),
    };
    let (program, diagnostics) = crate::check::check_all(&loaded);
    let Some(program) = program else {
        diagnostic::emit_to_stderr(&loaded.sources, &diagnostics);
        eprintln!(
            "error: the graph needs a script whose names and types check; fix the errors above"
        );
        return super::FAILURE;
    };
    // The picture marks loops itself; what else `weir check` finds is said in one line each.
    diagnostic::emit_short_to_stderr(&loaded.sources, &diagnostics);
    let view = View::new(&program);
    let picture = match args.format {
        Format::Text => view.text(&loaded.sources),
        Format::Dot => view.dot(),
        Format::Mermaid => view.mermaid(),
    };
    print!("{picture}");
    if args.deny_warnings && diagnostics.iter().any(diagnostic::is_warning) {
        super::FAILURE
    } else {
        super::SUCCESS
    }
}
