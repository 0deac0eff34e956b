//! One document checked: the parse, the checker's findings as data and as diagnostics, and the
//! index of names. The LSP features read from here; nothing in this module speaks the protocol.

use crate::ast::Script;
use crate::check::{CheckError, Checked};
use crate::diagnostic::{Diagnostic, Report};
use crate::flow::FlowError;
use crate::source::SourceMap;

use super::index::Index;

/// The file id every document has in its own source map.
pub const FILE: usize = 0;

/// The largest document checked as it is typed (about 50,000 lines of workflows): a bigger one
/// would hold the editor up for seconds at every keystroke, so it gets a diagnostic that says
/// so and `weir check` is the way to check it.
pub const MAX_CHECKED: usize = 2 * 1024 * 1024;

pub struct Analysis {
    pub sources: SourceMap,
    /// The syntax tree, when the text parsed.
    pub script: Option<Script>,
    /// Names and types, when the text parsed.
    pub checked: Option<Checked>,
    /// The flow checks' findings, when names and types are sound.
    pub flow: Vec<FlowError>,
    /// Everything found, in the order `weir check` prints it.
    pub diagnostics: Vec<Diagnostic>,
    pub index: Index,
    /// Whether the document was too large to check ([`MAX_CHECKED`]).
    pub too_large: bool,
}

impl Analysis {
    /// Runs the same stages as `weir check` on one text.
    pub fn new(name: &str, text: &str) -> Analysis {
        let mut sources = SourceMap::new();
        if text.len() > MAX_CHECKED {
            let message = format!(
                "this file is {:.1} MB, and weir checks files of up to {} MB as you type; run `weir check` on it",
                text.len() as f64 / (1024.0 * 1024.0),
                MAX_CHECKED / (1024 * 1024)
            );
            return Analysis {
                sources,
                script: None,
                checked: None,
                flow: Vec::new(),
                diagnostics: vec![Diagnostic::warning().with_message(message)],
                index: Index::default(),
                too_large: true,
            };
        }
        let file = sources.add(name, text.to_string());
        debug_assert_eq!(file, FILE);
        let script = match crate::syntax::parse_script_all(file, text) {
            Ok(script) => script,
            Err(errors) => {
                return Analysis {
                    diagnostics: errors.iter().map(Report::report).collect(),
                    sources,
                    script: None,
                    checked: None,
                    flow: Vec::new(),
                    index: Index::default(),
                    too_large: false,
                };
            }
        };
        let checked = crate::check::check(std::slice::from_ref(&script), &sources);
        let mut diagnostics = checked.diagnostics();
        let mut flow = Vec::new();
        if !checked.has_errors() {
            flow = crate::flow::check(&checked.program);
            diagnostics.extend(crate::check::flow_diagnostics_of(&flow));
        }
        let index = Index::build(&script, &checked.program, text);
        Analysis {
            sources,
            script: Some(script),
            checked: Some(checked),
            flow,
            diagnostics,
            index,
            too_large: false,
        }
    }

    pub fn parsed(&self) -> bool {
        self.script.is_some()
    }

    pub fn problems(&self) -> &[CheckError] {
        self.checked.as_ref().map_or(&[], |c| &c.problems)
    }

    pub fn program(&self) -> Option<&crate::program::Program> {
        self.checked.as_ref().map(|c| &c.program)
    }
}
