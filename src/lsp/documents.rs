//! The documents the editor has open: their text as the editor has it (not as it is on disk),
//! and each one's analysis, made when first wanted after a change.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use lsp_types::{Position, TextDocumentContentChangeEvent, Uri};

use super::Failure;
use super::analysis::Analysis;
use super::position::LineIndex;

pub struct Document {
    pub version: i32,
    pub text: String,
    pub lines: LineIndex,
    name: String,
    analysis: OnceCell<Rc<Analysis>>,
}

impl Document {
    fn new(uri: &Uri, version: i32, text: String) -> Document {
        Document {
            version,
            lines: LineIndex::new(&text),
            name: file_name(uri),
            text,
            analysis: OnceCell::new(),
        }
    }

    pub fn analysis(&self) -> Rc<Analysis> {
        self.analysis
            .get_or_init(|| Rc::new(Analysis::new(&self.name, &self.text)))
            .clone()
    }

    /// The byte offset of a position in a request, or an error that says why there is none.
    pub fn offset(&self, position: Position) -> Result<usize, Failure> {
        self.lines.offset(&self.text, position).ok_or_else(|| {
            Failure::invalid_params(format!(
                "line {} is past the end of the document, which has {} lines",
                position.line,
                self.lines.line_count()
            ))
        })
    }
}

/// The last part of a URI's path, the name messages use for the file.
fn file_name(uri: &Uri) -> String {
    let path = uri.as_str().split(['?', '#']).next().unwrap_or_default();
    path.rsplit('/').next().unwrap_or(path).to_string()
}

#[derive(Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
    /// The last analysis of each document that parsed, for completion while a line is half
    /// typed and does not parse.
    last_parsed: HashMap<Uri, Rc<Analysis>>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.last_parsed.remove(&uri);
        let document = Document::new(&uri, version, text);
        self.open.insert(uri, document);
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
        self.last_parsed.remove(uri);
    }

    /// Applies the editor's changes in order; a change whose range is outside the text is an
    /// error and leaves the document as it was before it.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<(), Failure> {
        let document = self.get(uri)?;
        if let Some(analysis) = document.analysis.get()
            && analysis.parsed()
        {
            self.last_parsed.insert(uri.clone(), analysis.clone());
        }
        let document = self.open.get_mut(uri).ok_or_else(|| not_open(uri))?;
        let mut text = std::mem::take(&mut document.text);
        let mut lines = document.lines.clone();
        let mut failure = None;
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => match lines.byte_range(&text, range) {
                    Some(bytes) => text.replace_range(bytes, &change.text),
                    None => {
                        failure = Some(Failure::invalid_params(format!(
                            "a change at line {} is outside the document, which has {} lines; the document was left as it was",
                            range.start.line.max(range.end.line),
                            lines.line_count()
                        )));
                        break;
                    }
                },
            }
            lines = LineIndex::new(&text);
        }
        let version = if failure.is_some() {
            document.version
        } else {
            version
        };
        *document = Document::new(uri, version, text);
        failure.map_or(Ok(()), Err)
    }

    pub fn get(&self, uri: &Uri) -> Result<&Document, Failure> {
        self.open.get(uri).ok_or_else(|| not_open(uri))
    }

    /// The analysis to take names from: the current one if the text parses, else the last
    /// one that did.
    pub fn names_for(&self, uri: &Uri) -> Result<Rc<Analysis>, Failure> {
        let current = self.get(uri)?.analysis();
        if current.parsed() {
            return Ok(current);
        }
        Ok(self.last_parsed.get(uri).cloned().unwrap_or(current))
    }
}

fn not_open(uri: &Uri) -> Failure {
    Failure::invalid_params(format!(
        "`{}` is not open; send `textDocument/didOpen` first",
        uri.as_str()
    ))
}
