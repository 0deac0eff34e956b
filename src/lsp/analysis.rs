//! The files of one program checked together: each file's parse, the checker's findings as
//! data and as diagnostics, and the index of names across the files. The LSP features read from
//! here; nothing in this module speaks the protocol beyond naming files by their URI.
//!
//! Which files make one program is [`super::project`]'s rule; a file on its own is a program
//! of one file.

use lsp_types::{Location, Range, Uri};

use crate::ast::Script;
use crate::check::{CheckError, Checked};
use crate::diagnostic::Diagnostic;
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
    #[cfg(test)]
    pub fn new(name: &str, text: &str) -> Analysis {
        let uri = format!("untitled:{name}").parse().expect("a plain URI");
        Analysis::of(vec![(uri, name.to_string(), text.to_string())])
    }

    /// Runs the same stages as `weir check` on the texts of several files, `(uri, name, text)`,
    /// and on the files they `use` that are not among them (read from the disk, or shipped
    /// with weir). A file's name is what its `use`s are read relative to.
    pub fn of(texts: Vec<(Uri, String, String)>) -> Analysis {
        let mut uris = Vec::new();
        let mut warnings = Vec::new();
        let mut given = Vec::new();
        for (i, (uri, name, text)) in texts.into_iter().enumerate() {
            if text.len() > MAX_CHECKED {
                let message = format!(
                    "this file is {:.1} MB, and weir checks files of up to {} MB as you type; run `weir check` on it",
                    text.len() as f64 / (1024.0 * 1024.0),
                    MAX_CHECKED / (1024 * 1024)
                );
                let at = crate::diagnostic::primary(Span::new(i, 0, 0), "");
                warnings.push((
                    i,
                    Diagnostic::warning()
                        .with_message(message)
                        .with_labels(vec![at]),
                ));
                // Checked as an empty file, so only its name costs.
                given.push((name, String::new()));
            } else {
                given.push((name, text));
            }
            uris.push(uri);
        }
        let loaded = crate::load::parse_all(given);
        let stages = crate::check::stages(&loaded);
        let sources = loaded.sources;
        let mut files: Vec<File> = sources
            .all()
            .enumerate()
            .map(|(i, (name, text))| File {
                uri: uris.get(i).cloned().unwrap_or_else(|| {
                    super::project::uri_of_name(name)
                        .unwrap_or_else(|| "weir-file:unnamed".parse().expect("a plain URI"))
                }),
                lines: LineIndex::new(text),
                script: None,
                too_large: warnings.iter().any(|(w, _)| *w == i),
            })
            .collect();
        for script in &loaded.scripts {
            let file = &mut files[script.file];
            // A file too large was parsed empty: it has no tree to format or outline.
            if !file.too_large {
                file.script = Some(script.clone());
            }
        }
        let mut diagnostics: Vec<Diagnostic> = warnings.into_iter().map(|(_, d)| d).collect();
        diagnostics.extend(stages.applied.diagnostics);
        if loaded.scripts.is_empty() {
            return Analysis {
                sources,
                files,
                checked: None,
                flow: Vec::new(),
                diagnostics,
                index: Index::default(),
            };
        }
        let index = Index::build(&loaded.scripts, &stages.checked.program, &sources);
        Analysis {
            sources,
            files,
            checked: Some(stages.checked),
            flow: stages.flow,
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
