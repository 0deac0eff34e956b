//! `weir lsp`: the language server, for editors.

use clap::Args;

/// Run the language server over standard input and output (for editors)
///
/// An editor starts `weir lsp` and speaks the Language Server Protocol to it: diagnostics as you
/// type, hover, go to definition, references, rename, completion, formatting, outline, code
/// actions from the checker's fixes, semantic highlighting, and the flow graph
/// (`weir.graph`). See docs/editors.md for VS Code, Neovim and Helix.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  weir lsp                      # started by an editor, not by hand\n  nvim: vim.lsp.start({ name = 'weir', cmd = { 'weir', 'lsp' } })"
)]
pub struct LspArgs {}

pub fn run(_args: LspArgs) -> u8 {
    crate::lsp::serve()
}
