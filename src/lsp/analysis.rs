//! The files of one program checked together: each file's parse, the checker's findings as
//! data and as diagnostics, and the index of names across the files. The LSP features read from
//! here; nothing in this module speaks the protocol beyond naming files by their URI.
//!
//! Which files make one program is [`super::project`]'s rule; a file on its own is a program
//! of one file.

use lsp_types::{Location, Range, Uri};

use crate::ast::Script;
use crate::check::{CheckError, Checked};
use crate::diagnostic::{Diagnostic, Report};
use crate::flow::FlowError;
use crate::source::SourceMap;
use crate::span::Span;

use super::index::Index;
use super::position::LineIndex;

/// The largest document checked as it is typed (about 50,000 lines of workflows): a bigger one
/// would hold the editor up for seconds at every keystroke, so it gets a diagnostic that says
/// so and `weir check` is the way to check it.
pub const MAX_CHECKED: usize = 2 * 1024 * 1024;

/// One file of the program: where it is and where its lines start. Its text is in the
/// analysis's source map, under the same file id.
pub struct File {
    pub uri: Uri,
    pub lines: LineIndex,
    /// The syntax tree, when the text parsed.
    pub script: Option<Script>,
    /// Whether the file was too large to check ([`MAX_CHECKED`]).
    pub too_large: bool,
}

pub struct Analysis {
    pub sources: SourceMap,
    /// By file id, in the order given.
    pub files: Vec<File>,
    /// Names and types, when every file parsed (or, for names only, the files that did).
    pub checked: Option<Checked>,
    /// The flow checks' findings, when names and types are sound.
    pub flow: Vec<FlowError>,
    /// Everything found, in the order `weir check` prints it, acknowledged warnings left out.
    pub diagnostics: Vec<Diagnostic>,
    pub index: Index,
}

impl Analysis {
    /// One text on its own, named `name` in messages.
    pub fn new(name: &str, text: &str) -> Analysis {
        let uri = format!("untitled:{name}").parse().expect("a plain URI");
        Analysis::of(vec![(uri, name.to_string(), text.to_string())])
    }

    /// Runs the same stages as `weir check a.weir b.weir` on the texts of several files:
    /// `(uri, name in messages, text)`.
    pub fn of(texts: Vec<(Uri, String, String)>) -> Analysis {
        let mut sources = SourceMap::new();
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        let mut syntax_errors = false;
        for (uri, name, text) in texts {
            let size = text.len();
            let too_large = size > MAX_CHECKED;
            // A file too large to check is kept out of the source map, so only its name costs.
            let text = if too_large { String::new() } else { text };
            let lines = LineIndex::new(&text);
            let file = sources.add(name, text);
            let script = if too_large {
                let message = format!(
                    "this file is {:.1} MB, and weir checks files of up to {} MB as you type; run `weir check` on it",
                    size as f64 / (1024.0 * 1024.0),
                    MAX_CHECKED / (1024 * 1024)
                );
                diagnostics.push(
                    Diagnostic::warning()
                        .with_message(message)
                        .with_labels(vec![crate::diagnostic::primary(Span::new(file, 0, 0), "")]),
                );
                None
            } else {
                match crate::syntax::parse_script_all(file, sources.text(file)) {
                    Ok(script) => Some(script),
                    Err(errors) => {
                        syntax_errors = true;
                        diagnostics.extend(errors.iter().map(Report::report));
                        None
                    }
                }
            };
            files.push(File {
                uri,
                lines,
                script,
                too_large,
            });
        }
        let scripts: Vec<Script> = files.iter().filter_map(|f| f.script.clone()).collect();
        if scripts.is_empty() {
            return Analysis {
                sources,
                files,
                checked: None,
                flow: Vec::new(),
                diagnostics,
                index: Index::default(),
            };
        }
        // With a file that does not parse, the others are still checked for their names (hover,
        // definition, completion), but only the syntax errors are shown, as `weir check` does:
        // the rest would be errors about names the broken file defines.
        let checked = crate::check::check(&scripts, &sources);
        let mut flow = Vec::new();
        if !syntax_errors {
            let mut found = checked.diagnostics();
            if !checked.has_errors() {
                flow = crate::flow::check(&checked.program);
                found.extend(crate::check::flow_diagnostics_of(&flow));
            }
            diagnostics.extend(crate::allow::apply(&sources, &scripts, found).diagnostics);
        }
        let index = Index::build(&scripts, &checked.program, &sources);
        Analysis {
            sources,
            files,
            checked: Some(checked),
            flow,
            diagnostics,
            index,
        }
    }

    /// The file id of a URI, when the file is part of this program.
    pub fn file_of(&self, uri: &Uri) -> Option<usize> {
        self.files.iter().position(|f| &f.uri == uri)
    }

    pub fn text(&self, file: usize) -> &str {
        self.sources.text(file)
    }

    pub fn script(&self, file: usize) -> Option<&Script> {
        self.files.get(file)?.script.as_ref()
    }

    pub fn range(&self, span: Span) -> Range {
        let file = span.file;
        self.files[file].lines.range(self.text(file), span)
    }

    pub fn location(&self, span: Span) -> Location {
        Location::new(self.files[span.file].uri.clone(), self.range(span))
    }

    pub fn problems(&self) -> &[CheckError] {
        self.checked.as_ref().map_or(&[], |c| &c.problems)
    }

    pub fn program(&self) -> Option<&crate::program::Program> {
        self.checked.as_ref().map(|c| &c.program)
    }
}

/// An analysis seen from one of its files: the file a request is about.
#[derive(Clone)]
pub struct View {
    pub analysis: std::rc::Rc<Analysis>,
    pub file: usize,
}

impl View {
    pub fn script(&self) -> Option<&Script> {
        self.analysis.script(self.file)
    }

    pub fn too_large(&self) -> bool {
        self.analysis.files[self.file].too_large
    }
}

impl std::ops::Deref for View {
    type Target = Analysis;

    fn deref(&self) -> &Analysis {
        &self.analysis
    }
}
