//! The documents the editor has open, their text as the editor has it (not as it is on disk),
//! and the analyses of the programs they belong to ([`super::project`] says which files those
//! are), each made when first wanted after a change to one of its files.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lsp_types::{Position, TextDocumentContentChangeEvent, Uri};

use super::Failure;
use super::analysis::{Analysis, View};
use super::position::LineIndex;
use super::project;

pub struct Document {
    pub version: i32,
    pub text: String,
    pub lines: LineIndex,
}

impl Document {
    fn new(version: i32, text: String) -> Document {
        Document {
            version,
            lines: LineIndex::new(&text),
            text,
        }
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

#[derive(Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
    /// The last analysis in which each document parsed, for completion while a line is half
    /// typed and does not parse.
    last_parsed: HashMap<Uri, View>,
    /// The analysis of each set of files checked together, by their URIs.
    programs: RefCell<HashMap<Vec<Uri>, Rc<Analysis>>>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.last_parsed.remove(&uri);
        self.changed(&uri);
        self.open.insert(uri, Document::new(version, text));
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
        self.last_parsed.remove(uri);
        self.changed(uri);
    }

    /// Forgets the analyses that read a file, so the next request checks it anew.
    pub fn changed(&mut self, uri: &Uri) {
        self.programs
            .get_mut()
            .retain(|files, _| !files.contains(uri));
    }

    /// Forgets every analysis: files changed on the disk.
    pub fn disk_changed(&mut self) {
        self.programs.get_mut().clear();
    }

    pub fn uris(&self) -> impl Iterator<Item = &Uri> {
        self.open.keys()
    }

    /// Applies the editor's changes in order; a change whose range is outside the text is an
    /// error and leaves the document as it was before it.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<(), Failure> {
        let members = self.members(uri);
        if let Some(analysis) = self.programs.get_mut().get(&members)
            && let Some(file) = analysis.file_of(uri)
            && analysis.script(file).is_some()
        {
            let view = View {
                analysis: analysis.clone(),
                file,
            };
            self.last_parsed.insert(uri.clone(), view);
        }
        self.changed(uri);
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
        *document = Document::new(version, text);
        failure.map_or(Ok(()), Err)
    }

    pub fn get(&self, uri: &Uri) -> Result<&Document, Failure> {
        self.open.get(uri).ok_or_else(|| not_open(uri))
    }

    /// The files checked with an open document: itself and what it uses ([`project::uses`]),
    /// in a fixed order (by URI).
    pub fn members(&self, uri: &Uri) -> Vec<Uri> {
        let mut found = vec![uri.clone()];
        let mut i = 0;
        while i < found.len() && found.len() <= crate::uses::FILE_LIMIT {
            if let Some(text) = self.text_of(&found[i]) {
                for used in project::uses(&found[i], &text) {
                    if !found.contains(&used) {
                        found.push(used);
                    }
                }
            }
            i += 1;
        }
        found.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        found
    }

    /// A file's text: as the editor has it when it is open, else as it is on the disk.
    fn text_of(&self, uri: &Uri) -> Option<String> {
        match self.open.get(uri) {
            Some(document) => Some(document.text.clone()),
            None => {
                let path = project::path_of(uri)?;
                crate::load::read_text(path.to_str()?).ok()
            }
        }
    }

    /// The analysis of a set of files (one that cannot be read is left out, and the `use` that
    /// names it says so).
    pub fn program(&self, members: &[Uri]) -> Rc<Analysis> {
        if let Some(analysis) = self.programs.borrow().get(members) {
            return analysis.clone();
        }
        let texts = members
            .iter()
            .filter_map(|uri| Some((uri.clone(), project::name_of(uri), self.text_of(uri)?)))
            .collect();
        let analysis = Rc::new(Analysis::of(texts));
        self.programs
            .borrow_mut()
            .insert(members.to_vec(), analysis.clone());
        analysis
    }

    /// The analysis of an open document's program with another text in its place (not kept):
    /// for completion, the document with the line being written blanked out.
    pub fn program_with(&self, uri: &Uri, text: String) -> Result<View, Failure> {
        self.get(uri)?;
        let mut text = Some(text);
        let texts = self
            .members(uri)
            .into_iter()
            .filter_map(|member| {
                let body = if &member == uri {
                    text.take()?
                } else {
                    self.text_of(&member)?
                };
                Some((member.clone(), project::name_of(&member), body))
            })
            .collect();
        let analysis = Rc::new(Analysis::of(texts));
        let file = analysis.file_of(uri).ok_or_else(|| not_open(uri))?;
        Ok(View { analysis, file })
    }

    /// The analysis of the program an open document belongs to, seen from that document.
    pub fn analysis(&self, uri: &Uri) -> Result<View, Failure> {
        self.get(uri)?;
        let analysis = self.program(&self.members(uri));
        let file = analysis.file_of(uri).ok_or_else(|| not_open(uri))?;
        Ok(View { analysis, file })
    }

    /// The analysis to take names from: the current one if the document parses, else the last
    /// one in which it did.
    pub fn names_for(&self, uri: &Uri) -> Result<View, Failure> {
        let current = self.analysis(uri)?;
        if current.script().is_some() {
            return Ok(current);
        }
        Ok(self.last_parsed.get(uri).cloned().unwrap_or(current))
    }

    /// The sets of files to check so that every open document is checked: one per open
    /// document, without repeats and without a set that another includes.
    pub fn programs(&self) -> Vec<Vec<Uri>> {
        let mut all: Vec<Vec<Uri>> = self.open.keys().map(|uri| self.members(uri)).collect();
        all.sort_by(|a, b| key(a).cmp(&key(b)));
        all.dedup();
        let within = |small: &Vec<Uri>, big: &Vec<Uri>| {
            small.len() < big.len() && small.iter().all(|u| big.contains(u))
        };
        all.iter()
            .filter(|set| !all.iter().any(|other| within(set, other)))
            .cloned()
            .collect()
    }
}

fn key(uris: &[Uri]) -> Vec<&str> {
    uris.iter().map(|u| u.as_str()).collect()
}

fn not_open(uri: &Uri) -> Failure {
    Failure::invalid_params(format!(
        "`{}` is not open; send `textDocument/didOpen` first",
        uri.as_str()
    ))
}
