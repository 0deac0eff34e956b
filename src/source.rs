//! The source files of one check or run, so that diagnostics can quote them.

use std::borrow::Cow;
use std::sync::Arc;

use codespan_reporting::files::{Files, SimpleFiles};

use crate::span::{FileId, Span};

/// The name of what is typed at the REPL: its lines are numbered through the session.
pub const REPL: &str = "repl";

/// Every source text weir has read, by [`FileId`], under the name the user typed.
#[derive(Default, Clone)]
pub struct SourceMap {
    files: SimpleFiles<String, Arc<str>>,
    /// For each file, the number of the line it starts on, less one: 0 for a file, more for a
    /// line typed at the REPL, which numbers its lines as one growing text.
    line_offsets: Vec<usize>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.add_at_line(name, text, 1)
    }

    /// Adds a text that continues an earlier one: its first line is numbered `first_line`.
    pub fn add_at_line(
        &mut self,
        name: impl Into<String>,
        text: impl Into<Arc<str>>,
        first_line: usize,
    ) -> FileId {
        let text: Arc<str> = text.into();
        let text = match normalize_line_ends(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(normal) => Arc::from(normal),
        };
        self.line_offsets.push(first_line.saturating_sub(1));
        self.files.add(name.into(), text)
    }

    fn line_offset(&self, file: FileId) -> usize {
        self.line_offsets.get(file).copied().unwrap_or(0)
    }

    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.source().as_ref())
            .unwrap_or("")
    }

    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.name().as_str())
            .unwrap_or("")
    }

    /// The source text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.file).get(span.range()).unwrap_or("")
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(file);
        let offset = floor_char_boundary(text, offset.min(text.len()));
        // The files keep the start of every line: a binary search, not a count from the start,
        // so that placing every workflow of a long script stays linear.
        let index = self.files.line_index(file, offset).unwrap_or(0);
        let line_start = self
            .files
            .line_range(file, index)
            .map_or(0, |range| range.start.min(offset));
        let column = text[line_start..offset].chars().count() + 1;
        (index + 1 + self.line_offset(file), column)
    }

    /// The 1-based line on which a span starts.
    pub fn line_of(&self, span: Span) -> usize {
        self.line_col(span.file, span.start as usize).0
    }

    /// How many different names the files go by (REPL lines all share one).
    /// Whether any file has this name.
    pub fn has_name(&self, name: &str) -> bool {
        (0..self.line_offsets.len()).any(|f| self.name(f) == name)
    }

    pub fn distinct_names(&self) -> usize {
        let mut names: Vec<&str> = (0..self.line_offsets.len()).map(|f| self.name(f)).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }

    /// Every file's name and text, in the order they were read.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.line_offsets.len()).map(|f| (self.name(f), self.text(f)))
    }

    pub fn files(&self) -> &SimpleFiles<String, Arc<str>> {
        &self.files
    }
}

/// The text with every lone `\r` (the line end of old Mac files) made a `\n`, so that every
/// scanner of lines (comments, line numbers, the formatter) sees the lines the user sees.
/// `\r\n` is kept, and the length does not change, so offsets into either text agree.
pub fn normalize_line_ends(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return Cow::Borrowed(text);
    }
    let normal: Vec<u8> = (0..bytes.len())
        .map(|i| if lone(i) { b'\n' } else { bytes[i] })
        .collect();
    // Only one ASCII byte was swapped for another, so the text is still UTF-8.
    Cow::Owned(String::from_utf8(normal).unwrap_or_else(|_| text.to_string()))
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl<'a> Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.files.get(id)?.name().as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.files.get(id)?.source().as_ref())
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        self.files.line_index(id, byte_index)
    }

    fn line_number(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(line_index + 1 + self.line_offset(id))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        self.files.line_range(id, line_index)
    }
}
