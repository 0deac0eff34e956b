//! The checker's diagnostics in the protocol's shape: the primary label's place, the other
//! labels as related information (the other workflows a loop story names), notes and the
//! `help:` fix in the message, and the code linked to its page.

use codespan_reporting::diagnostic::{Label, LabelStyle, Severity};
use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString, Uri,
};

use crate::diagnostic::Diagnostic;
use crate::span::Span;

use super::analysis::Analysis;

/// Where a diagnostic code's page is: `weir-explain:E0301` by default, which the VS Code
/// extension opens as the text `weir explain E0301` prints; a client can give a web address
/// instead (`initializationOptions.docsBaseUrl`), to which `E0301.md` is appended.
#[derive(Clone, Debug, Default)]
pub struct DocsLink {
    pub base_url: Option<String>,
}

impl DocsLink {
    pub fn href(&self, code: &str) -> Option<Uri> {
        let text = match &self.base_url {
            Some(base) => format!("{base}{code}.md"),
            None => format!("weir-explain:{code}"),
        };
        text.parse().ok()
    }
}

/// A diagnostic of an analysis in the protocol's shape, and the file it belongs to: the file
/// of its primary place (the first file when it has none).
pub fn to_lsp(
    diagnostic: &Diagnostic,
    analysis: &Analysis,
    docs: &DocsLink,
) -> (usize, lsp_types::Diagnostic) {
    let primary = diagnostic
        .labels
        .iter()
        .find(|l| l.style == LabelStyle::Primary)
        .or(diagnostic.labels.first());
    let span_of =
        |label: &Label<usize>| Span::new(label.file_id, label.range.start, label.range.end);
    let file = primary.map_or(0, |l| l.file_id);
    let range = primary.map_or_else(Default::default, |l| analysis.range(span_of(l)));
    let mut message = diagnostic.message.clone();
    if let Some(label) = primary.filter(|l| !l.message.is_empty()) {
        message.push_str(&format!("\n{}", label.message));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\n{note}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .filter(|l| l.style == LabelStyle::Secondary)
        .map(|l| DiagnosticRelatedInformation {
            location: analysis.location(span_of(l)),
            message: if l.message.is_empty() {
                "related".to_string()
            } else {
                l.message.clone()
            },
        })
        .collect();
    let diagnostic = lsp_types::Diagnostic {
        range,
        severity: Some(match diagnostic.severity {
            Severity::Bug | Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
            Severity::Help => DiagnosticSeverity::HINT,
        }),
        code: diagnostic.code.clone().map(NumberOrString::String),
        code_description: diagnostic
            .code
            .as_deref()
            .and_then(|code| docs.href(code))
            .map(|href| CodeDescription { href }),
        source: Some("weir".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    (file, diagnostic)
}
