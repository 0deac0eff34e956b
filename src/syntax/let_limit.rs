//! A limit after `let NAME = create …` (E0001): the grammar takes `at most once per …` after
//! an action, not after a named create, since a skipped create would leave the steps after it
//! without the record they read. Said in those words, with the limit moved to the trigger.
//!
//! ```text
//! create note in Crm { text: "x" } at most once per 1h           # accepted: the step is limited
//! let n = create note in Crm { text: "x" } at most once per 1h   # E0001: limit the trigger
//! ```

use super::error::{Found, SyntaxError, SyntaxErrorKind};
use super::scan::{self, Kind};
use crate::span::Span;

/// The error when `at most` follows `let NAME = create …` on its line.
pub(super) fn limit_on_let(text: &str, found: &Found, at: Span) -> Option<SyntaxError> {
    if !matches!(found, Found::Token(t) if t == "at") {
        return None;
    }
    let pos = at.start as usize;
    let line_start = statement_start(&text[..pos]);
    let words = code_words(&text[line_start..pos]);
    let [first, name, equals, create, ..] = words.as_slice() else {
        return None;
    };
    if *first != "let" || *equals != "=" || *create != "create" {
        return None;
    }
    let limit = code_words(&text[pos..]).join(" ");
    if !limit.starts_with("at most") {
        return None;
    }
    let end = pos + line_code_len(&text[pos..]);
    let trigger = trigger_line(&text[..line_start]);
    Some(SyntaxError::custom(
        Span::new(at.file, pos, end),
        SyntaxErrorKind::LimitOnLet {
            name: name.to_string(),
            limit,
            trigger,
        },
    ))
}

/// Where the line starts that the step ending at the end of `head` starts on: a step whose
/// field block runs over lines starts on the line of the block's `{`.
fn statement_start(head: &str) -> usize {
    let mut open = Vec::new();
    let mut last_closed = None;
    let mut last_code = None;
    for token in scan::tokens(head) {
        match token.kind {
            Kind::Open(_) => open.push(token.start),
            Kind::Close(_) => last_closed = open.pop(),
            _ => {}
        }
        if token.is_significant() {
            last_code = Some(token.kind);
        }
    }
    let at = match (last_code, last_closed) {
        (Some(Kind::Close(_)), Some(opened)) => opened,
        _ => head.len(),
    };
    head[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The code words and symbols of `text` up to its first line's end.
fn code_words(text: &str) -> Vec<&str> {
    scan::tokens(text)
        .take_while(|t| t.kind != Kind::LineEnd)
        .filter(|t| t.is_significant())
        .map(|t| &text[t.start..t.end])
        .collect()
}

/// The length of the code on the first line of `text`, a comment and trailing space aside.
fn line_code_len(text: &str) -> usize {
    scan::tokens(text)
        .take_while(|t| !matches!(t.kind, Kind::LineEnd | Kind::Comment))
        .filter(|t| t.is_significant())
        .last()
        .map_or(0, |t| t.end)
}

/// The last trigger line (`on …`) in `text`, as written, without a comment.
fn trigger_line(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let words = code_words(line);
        (words.first() == Some(&"on")).then(|| words.join(" ").replace(" ,", ","))
    })
}

/// The message, label and help of [`SyntaxErrorKind::LimitOnLet`].
pub(super) fn parts(name: &str, limit: &str, trigger: Option<&str>) -> (String, String, String) {
    let help = match trigger {
        Some(trigger) if !trigger.contains(" at most ") => {
            format!("limit the whole run on its trigger instead: `{trigger} {limit}`")
        }
        _ => format!("limit the whole run on its trigger instead: `on … {limit}`"),
    };
    (
        format!(
            "a `let {name} = create …` step cannot be limited: the steps after it read `{name}`, which a skipped create would not make"
        ),
        "a limit goes after an action or a trigger".to_string(),
        help,
    )
}
