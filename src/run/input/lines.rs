//! Input lines read with a bound on their length, so that an input without line breaks
//! (`weir run --events /dev/zero`) is refused instead of filling the memory.

use std::io::{self, BufRead};

/// The longest input line weir reads: far beyond any event (a record of a few KiB), and small
/// enough that a stream without line breaks (`--events /dev/zero`) is refused, not stored.
pub const LINE_LIMIT: usize = 1 << 20;

/// What [`LineReader::read`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRead {
    /// A line is in the buffer (without its line break).
    Line,
    /// The input is at its end.
    End,
    /// The line goes on past the limit; the buffer holds its start, the rest is unread.
    TooLong,
}

/// Reads input lines of bounded length, never holding more than one. A line ends at `\n`,
/// `\r\n` or a lone `\r`, as a script's lines do.
pub struct LineReader<R> {
    input: R,
    limit: usize,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line break.
    after_cr: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R, limit: usize) -> LineReader<R> {
        LineReader {
            input,
            limit,
            after_cr: false,
        }
    }

    /// Reads the next line into `line`.
    pub fn read(&mut self, line: &mut Vec<u8>) -> io::Result<LineRead> {
        line.clear();
        loop {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                return Ok(if line.is_empty() {
                    LineRead::End
                } else {
                    LineRead::Line
                });
            }
            if std::mem::take(&mut self.after_cr) && available[0] == b'\n' {
                self.input.consume(1);
                continue;
            }
            let end = available.iter().position(|&b| b == b'\n' || b == b'\r');
            let take = end.unwrap_or(available.len());
            if line.len() + take > self.limit {
                let room = self.limit - line.len();
                line.extend_from_slice(&available[..room]);
                self.input.consume(room);
                return Ok(LineRead::TooLong);
            }
            line.extend_from_slice(&available[..take]);
            match end {
                Some(i) => {
                    self.after_cr = available[i] == b'\r';
                    self.input.consume(take + 1);
                    return Ok(LineRead::Line);
                }
                None => self.input.consume(take),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], limit: usize) -> Vec<(LineRead, String)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(4, bytes), limit);
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = reader.read(&mut line).unwrap();
            if read == LineRead::End {
                return out;
            }
            out.push((read, String::from_utf8_lossy(&line).to_string()));
            if read == LineRead::TooLong {
                return out;
            }
        }
    }

    #[test]
    fn lines_end_at_any_line_break_and_stop_at_the_limit() {
        let ok = |s: &str| (LineRead::Line, s.to_string());
        assert_eq!(
            lines(b"one\ntwo\r\nthree\rfour", 100),
            vec![ok("one"), ok("two"), ok("three"), ok("four")]
        );
        // A `\r\n` split across two reads of the buffer is still one line break.
        assert_eq!(
            lines(b"abc\r\nd\r\r\n", 100),
            vec![ok("abc"), ok("d"), ok("")]
        );
        assert_eq!(
            lines(b"short\nlong line\nnext", 6),
            vec![ok("short"), (LineRead::TooLong, "long l".to_string())]
        );
    }
}
