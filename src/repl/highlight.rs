//! Colours for what is typed at the REPL: keywords, texts, numbers, comments and commands,
//! read from the syntax's scanner and the table of words.
//! [`classify`] is also what the language server's semantic tokens are made of, so an editor
//! colours a script as the REPL does.

use crate::syntax::scan::{Delim, Kind, Scanner};
use crate::words;

const KEYWORD: &str = "\x1b[1;35m";
const TEXT: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[2;37m";
const COMMAND: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

/// What a piece of a line is, for colours here and semantic tokens in the language server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Keyword,
    Text,
    Number,
    Comment,
    /// A REPL command such as `:load`.
    Command,
}

/// The classified pieces of a line, as byte ranges in order; what is not listed is plain.
pub fn classify(line: &str) -> Vec<(std::ops::Range<usize>, Class)> {
    if line.trim_start().starts_with(':') {
        let end = line.find(char::is_whitespace).unwrap_or(line.len());
        return vec![(0..end, Class::Command)];
    }
    let mut pieces = Vec::new();
    let mut scanner = Scanner::new(line);
    // A text is one piece from its quote to its closing quote, interpolations and all: where
    // it starts, and how much was open before it.
    let mut text: Option<(usize, usize)> = None;
    while let Some(token) = scanner.next() {
        if let Some((start, depth)) = text {
            if scanner.open().len() <= depth {
                let end = if token.kind == Kind::LineEnd {
                    token.start
                } else {
                    token.end
                };
                pieces.push((start..end, Class::Text));
                text = None;
            }
            continue;
        }
        let piece = &line[token.start..token.end];
        let class = match token.kind {
            Kind::Open(Delim::Text) => {
                text = Some((token.start, scanner.open().len() - 1));
                continue;
            }
            Kind::Comment => Class::Comment,
            Kind::Word if words::is_keyword(piece) => Class::Keyword,
            Kind::Word if piece.starts_with(|c: char| c.is_ascii_digit()) => Class::Number,
            _ => continue,
        };
        pieces.push((token.start..token.end, class));
    }
    if let Some((start, _)) = text {
        pieces.push((start..line.len(), Class::Text));
    }
    pieces
}

/// The line with ANSI colours; the visible text is unchanged.
pub fn highlight(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut last = 0;
    for (range, class) in classify(line) {
        let colour = match class {
            Class::Keyword => KEYWORD,
            Class::Text => TEXT,
            Class::Number => NUMBER,
            Class::Comment => COMMENT,
            Class::Command => COMMAND,
        };
        out.push_str(&line[last..range.start]);
        out.push_str(colour);
        out.push_str(&line[range.clone()]);
        out.push_str(RESET);
        last = range.end;
    }
    out.push_str(&line[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colours_keywords_texts_and_comments_without_changing_the_text() {
        let line = r#"on new event in A do notify "hi {title}" # done 2h"#;
        let coloured = highlight(line);
        assert_eq!(strip(&coloured), line);
        assert!(coloured.contains(&format!("{KEYWORD}notify{RESET}")));
        assert!(coloured.contains(&format!("{TEXT}\"hi {{title}}\"{RESET}")));
        assert!(coloured.contains(&format!("{COMMENT}# done 2h{RESET}")));
        assert!(
            !coloured.contains(&format!("{KEYWORD}title")),
            "a name is not a keyword"
        );
    }

    #[test]
    fn an_unclosed_text_is_coloured_to_the_end() {
        let line = "notify \"hello";
        assert_eq!(strip(&highlight(line)), line);
    }

    #[test]
    fn colours_a_lookup_of_every_record_as_a_find() {
        // Lookup words are contextual (a field may be called `count` or `every`): plain, as
        // `find` is, around reserved words in colour.
        for lookup in ["find", "every"] {
            let line = format!("let open = {lookup} ticket in Desk ordered by opened desc");
            let coloured = highlight(&line);
            assert_eq!(strip(&coloured), line);
            assert!(coloured.contains(&format!("{KEYWORD}let{RESET}")));
            assert!(coloured.contains(&format!("{KEYWORD}in{RESET}")));
            assert!(
                !coloured.contains(&format!("{KEYWORD}{lookup}")),
                "{lookup}"
            );
        }
    }
}
