//! Byte offsets (what spans hold) to LSP positions (lines and UTF-16 code units) and back.
//!
//! This is the one place that knows LSP counts columns in UTF-16: `é` is one unit, `😀` two.

use lsp_types::{Position, Range};

use crate::span::Span;

/// The start of every line of a text, to turn offsets into positions quickly.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Lines end at `\n`, `\r\n` or a lone `\r`, as the protocol counts them.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend((0..bytes.len()).filter_map(|i| {
            let ends = bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            ends.then_some(i + 1)
        }));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The position of a byte offset; offsets past the end or inside a character are moved
    /// back to the nearest character boundary.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_boundary(text, offset.min(self.len));
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start as usize),
            self.position(text, span.end as usize),
        )
    }

    /// The byte offset of a position, or `None` when the line does not exist. A column past
    /// the end of its line means the end of the line, as the protocol asks.
    pub fn offset(&self, text: &str, position: Position) -> Option<usize> {
        let line = position.line as usize;
        let start = *self.starts.get(line)?;
        let mut end = self.starts.get(line + 1).map_or(self.len, |next| next - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let mut units = 0usize;
        for (at, c) in text[start..end].char_indices() {
            if units >= position.character as usize {
                return Some(start + at);
            }
            units += c.len_utf16();
        }
        Some(end)
    }

    /// The byte range of an LSP range, `None` when either end is past the last line.
    pub fn byte_range(&self, text: &str, range: Range) -> Option<std::ops::Range<usize>> {
        let start = self.offset(text, range.start)?;
        let end = self.offset(text, range.end)?;
        (start <= end).then_some(start..end)
    }
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_columns_in_utf16_units() {
        let text = "a é\n😀x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position::new(0, 0));
        assert_eq!(index.position(text, 4), Position::new(0, 3));
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position::new(1, 2));
        assert_eq!(index.offset(text, Position::new(1, 2)), Some(x));
        assert_eq!(index.offset(text, Position::new(0, 99)), Some(4));
        assert_eq!(index.offset(text, Position::new(2, 0)), Some(text.len()));
        assert_eq!(index.offset(text, Position::new(3, 0)), None);
    }

    #[test]
    fn lines_end_at_any_of_the_three_line_ends() {
        let text = "a\r\nbc\rd\ne";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(
            index.position(text, text.find('d').unwrap()),
            Position::new(2, 0)
        );
        assert_eq!(
            index.offset(text, Position::new(0, 9)),
            Some(1),
            "before the CR LF"
        );
        assert_eq!(index.offset(text, Position::new(1, 9)), Some(5));
    }

    #[test]
    fn an_offset_inside_a_character_moves_back() {
        let text = "é";
        assert_eq!(LineIndex::new(text).position(text, 1), Position::new(0, 0));
    }
}
