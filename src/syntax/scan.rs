//! The scanner under the parser: a script's text as a flat run of tokens (white space, line
//! ends, comments, words, brackets, the parts of a text) that knows what is still open.
//!
//! pest parses; this scanner answers the questions asked of text that may not parse: where the
//! items of a script start (the splitter in [`super`]), which brackets and texts are still
//! open where an error was found ([`super::error`]), where the comments are (`fmt`), what to
//! colour (`repl::highlight`), whether the REPL should wait for another line. It never fails:
//! a stray `}` is a symbol, a text with no closing quote ends at its line's end.
//!
//! ```text
//! notify "hi {name}" # done
//! ^^^^^^ word
//!        ^ open text   ^^ close interpolation, then text piece `` and close text
//!            ^ open interpolation   ^^^^^^ comment
//! ```
//!
//! The rules follow `grammar/weir.pest`: a comment runs from `#` to the end of its line (`\n`,
//! `\r\n` or a lone `\r`); a text is `"` … `"` on one line, with `\"`, `\\`, `\n`, `\t`, `{{`
//! and `}}`, and `{expr}` inside it; words are letters, digits and `_`.

/// Something that opens and must be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delim {
    Brace,
    Paren,
    Bracket,
    /// A text, opened by `"`.
    Text,
    /// `{expr}` inside a text.
    Interpolation,
}

impl Delim {
    /// What opens it.
    pub fn opener(self) -> char {
        match self {
            Delim::Brace | Delim::Interpolation => '{',
            Delim::Paren => '(',
            Delim::Bracket => '[',
            Delim::Text => '"',
        }
    }

    /// What a bracket or quote opens; `{` is a block's brace (an interpolation's is told
    /// apart only by the scanner's place in a text).
    pub fn of_opener(symbol: char) -> Option<Delim> {
        Some(match symbol {
            '{' => Delim::Brace,
            '(' => Delim::Paren,
            '[' => Delim::Bracket,
            '"' => Delim::Text,
            _ => return None,
        })
    }

    /// What closes it.
    pub fn closer(self) -> char {
        match self {
            Delim::Brace | Delim::Interpolation => '}',
            Delim::Paren => ')',
            Delim::Bracket => ']',
            Delim::Text => '"',
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Spaces and tabs.
    Space,
    /// `\n`, `\r\n` or a lone `\r`.
    LineEnd,
    /// `#` to the end of the line.
    Comment,
    /// Letters, digits and `_`: a name, a keyword or a number's digits.
    Word,
    Open(Delim),
    Close(Delim),
    /// Characters or one escape inside a text.
    TextPiece,
    /// Any other character, one at a time, including a closer that closes nothing.
    Symbol,
}

/// A token: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Whether the token is code, not white space or a comment.
    pub fn is_significant(&self) -> bool {
        !matches!(self.kind, Kind::Space | Kind::LineEnd | Kind::Comment)
    }
}

/// What is open after the tokens scanned so far, outermost first, with where each opened.
pub type Open = [(Delim, usize)];

/// The tokens of a text, in order; what is open is [`Scanner::open`].
pub struct Scanner<'a> {
    text: &'a str,
    at: usize,
    open: Vec<(Delim, usize)>,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            at: 0,
            open: Vec::new(),
        }
    }

    /// What is still open after the tokens scanned so far.
    pub fn open(&self) -> &Open {
        &self.open
    }

    fn in_text(&self) -> bool {
        matches!(self.open.last(), Some((Delim::Text, _)))
    }

    /// The length of the run of characters from the cursor that satisfy `f`.
    fn run(&self, f: impl Fn(char) -> bool) -> usize {
        let rest = &self.text[self.at..];
        rest.find(|c: char| !f(c)).unwrap_or(rest.len())
    }

    fn line_end(rest: &str) -> Option<usize> {
        if rest.starts_with("\r\n") {
            Some(2)
        } else if rest.starts_with(['\n', '\r']) {
            Some(1)
        } else {
            None
        }
    }

    fn in_text_token(&mut self, rest: &str, first: char) -> (Kind, usize) {
        match first {
            '"' => {
                self.open.pop();
                (Kind::Close(Delim::Text), 1)
            }
            // A text cannot run over lines: the line's end ends it, closed or not.
            '\n' | '\r' => {
                self.open.pop();
                (Kind::LineEnd, Self::line_end(rest).unwrap_or(1))
            }
            '\\' => {
                let next = rest[1..]
                    .chars()
                    .next()
                    .filter(|c| !matches!(c, '\n' | '\r'));
                (Kind::TextPiece, 1 + next.map_or(0, char::len_utf8))
            }
            '{' if rest.starts_with("{{") => (Kind::TextPiece, 2),
            '}' if rest.starts_with("}}") => (Kind::TextPiece, 2),
            '{' => {
                self.open.push((Delim::Interpolation, self.at));
                (Kind::Open(Delim::Interpolation), 1)
            }
            '}' => (Kind::TextPiece, 1),
            _ => (
                Kind::TextPiece,
                self.run(|c| !matches!(c, '"' | '\\' | '{' | '}' | '\n' | '\r')),
            ),
        }
    }

    fn code_token(&mut self, rest: &str, first: char) -> (Kind, usize) {
        let delim = match first {
            '{' => Some(Delim::Brace),
            '(' => Some(Delim::Paren),
            '[' => Some(Delim::Bracket),
            '"' => Some(Delim::Text),
            _ => None,
        };
        if let Some(delim) = delim {
            self.open.push((delim, self.at));
            return (Kind::Open(delim), 1);
        }
        match first {
            ' ' | '\t' => (Kind::Space, self.run(|c| c == ' ' || c == '\t')),
            '\n' | '\r' => (Kind::LineEnd, Self::line_end(rest).unwrap_or(1)),
            '#' => (Kind::Comment, self.run(|c| c != '\n' && c != '\r')),
            // A closer closes what is open, as the parser will want it closed or say so.
            '}' | ')' | ']' => match self.open.last() {
                Some((delim, _)) => {
                    let delim = *delim;
                    self.open.pop();
                    (Kind::Close(delim), 1)
                }
                None => (Kind::Symbol, 1),
            },
            c if c.is_alphanumeric() || c == '_' => {
                (Kind::Word, self.run(|c| c.is_alphanumeric() || c == '_'))
            }
            c => (Kind::Symbol, c.len_utf8()),
        }
    }
}

impl Iterator for Scanner<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let rest = &self.text[self.at..];
        let first = rest.chars().next()?;
        let (kind, len) = if self.in_text() {
            self.in_text_token(rest, first)
        } else {
            self.code_token(rest, first)
        };
        let start = self.at;
        self.at += len.max(first.len_utf8());
        Some(Token {
            kind,
            start,
            end: self.at,
        })
    }
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Scanner<'_> {
    Scanner::new(text)
}

/// What is still open at the end of `text`, outermost first.
pub fn open_at_end(text: &str) -> Vec<(Delim, usize)> {
    let mut scanner = Scanner::new(text);
    scanner.by_ref().for_each(drop);
    scanner.open
}

/// The length of `text` up to the end of its last token that is code: white space and
/// comments after it do not count.
pub fn significant_len(text: &str) -> usize {
    tokens(text)
        .filter(Token::is_significant)
        .last()
        .map_or(0, |t| t.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text)
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn texts_comments_and_brackets_are_told_apart() {
        use Kind::*;
        assert_eq!(
            kinds("f(\"a {x} # \\\"}}\") # c\r\n"),
            [
                (Word, "f"),
                (Open(Delim::Paren), "("),
                (Open(Delim::Text), "\""),
                (TextPiece, "a "),
                (Open(Delim::Interpolation), "{"),
                (Word, "x"),
                (Close(Delim::Interpolation), "}"),
                (TextPiece, " # "),
                (TextPiece, "\\\""),
                (TextPiece, "}}"),
                (Close(Delim::Text), "\""),
                (Close(Delim::Paren), ")"),
                (Space, " "),
                (Comment, "# c"),
                (LineEnd, "\r\n"),
            ]
        );
    }

    #[test]
    fn what_is_open_is_known_at_every_point() {
        let text = "app A {\n  x: \"hi {f(";
        let open = open_at_end(text);
        let symbols: Vec<char> = open.iter().map(|(d, _)| d.opener()).collect();
        assert_eq!(symbols, ['{', '"', '{', '(']);
        assert_eq!(open[0].1, 6);
        // A text ends at its line's end; a stray closer is only a symbol.
        assert!(open_at_end("notify \"hello\n").is_empty());
        assert_eq!(kinds("}")[0].0, Kind::Symbol);
    }

    #[test]
    fn significant_length_skips_trailing_comments_and_space() {
        assert_eq!(significant_len("a + b  # c\n  "), 5);
        assert_eq!(significant_len("\"é\" "), 4);
        assert_eq!(significant_len("# only"), 0);
    }
}
