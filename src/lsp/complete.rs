//! Completion and signature help.

use lsp_types::*;

use super::Failure;
use super::documents::Documents;

pub fn completion(_: &Documents, _: CompletionParams) -> Result<Option<CompletionResponse>, Failure> {
    Ok(None)
}

pub fn signature_help(_: &Documents, _: SignatureHelpParams) -> Result<Option<SignatureHelp>, Failure> {
    Ok(None)
}
