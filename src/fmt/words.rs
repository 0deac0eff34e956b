//! `fmt` spells the language's words in its own format strings (`"workflow {} {{"`), so a
//! word renamed or added in the table of words ([`crate::words::WORDS`]) and the grammar but
//! not here would be printed wrong, or not at all. This test reads fmt's source and fails,
//! naming the word, when a word fmt prints is not a word of the table.

use crate::words::WORDS;

/// fmt's sources, each read by the test.
const SOURCES: [(&str, &str); 2] = [
    ("src/fmt.rs", include_str!("../fmt.rs")),
    ("src/fmt/http.rs", include_str!("http.rs")),
];

/// Words in fmt's texts that are not the language's: the format strings' escapes (`\n`).
const NOT_WORDS: [&str; 3] = ["n", "t", "r"];

/// The text literals of Rust source `code`, outside comments, char literals, the messages of
/// `unreachable!` and the reasons of `#[expect]`, which are for weir's developers, not printed
/// scripts.
fn literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            // A char literal (`'"'`, `'\\'`), not a lifetime (`'a`).
            '\'' if chars.get(i + 1) == Some(&'\\') => i += 3,
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
            '"' => {
                let before: String = chars[i.saturating_sub(13)..i].iter().collect();
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    } else {
                        text.push(chars[i]);
                    }
                    i += 1;
                }
                if !before.ends_with("unreachable!(") && !before.ends_with("reason = ") {
                    out.push(text);
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The words of a format string, outside its `{…}` arguments.
fn words(literal: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut depth = 0usize;
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `{{` and `}}` print a brace.
            '{' | '}' if chars.peek() == Some(&c) => {
                chars.next();
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_word_fmt_prints_is_a_word_of_the_table() {
    let mut strangers = Vec::new();
    for (path, code) in SOURCES {
        for literal in literals(code) {
            for word in words(&literal) {
                let known = WORDS.iter().any(|w| w.text == word) || NOT_WORDS.contains(&&*word);
                if !known {
                    strangers.push(format!("`{word}` in {path} (\"{literal}\")"));
                }
            }
        }
    }
    assert!(
        strangers.is_empty(),
        "fmt prints words the table of words (src/words.rs) lacks:\n{}",
        strangers.join("\n")
    );
}

#[test]
fn the_scan_finds_words_in_format_strings_only() {
    let code = "// \"comment\"\nlet c = '\"'; format!(\"on {} in {x} {{ oauth2 2\", a); unreachable!(\"nope\")";
    let found: Vec<Vec<String>> = literals(code).iter().map(|l| words(l)).collect();
    assert_eq!(found, [["on", "in", "oauth2"].map(String::from).to_vec()]);
}

#[test]
fn the_reason_of_an_expect_is_not_printed() {
    let code =
        "#[expect(clippy::too_many_lines, reason = \"long\")]\nfn f() { out.push_str(\"app \") }";
    assert_eq!(literals(code), ["app "]);
}
