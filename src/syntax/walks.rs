//! A call with `for` inside that is not one of the walks (E0106): `count(l for l in lines)`,
//! `summ(…)`. The grammar reads `… for … in …` only after `sum(`, `any(`, `all(` and `[`, so
//! pest stops at `for` and would say a `)` is missing; the name before the `(` is the mistake.
//!
//! ```text
//! let total = sum(l.qty for l in lines)     # accepted: a walk
//! let total = summ(l.qty for l in lines)    # E0106: did you mean `sum`?
//! let n = count(l for l in lines if l.gift) # E0106: count with `sum(1 for l in lines if l.gift)`
//! ```

use super::error::{Found, Opener, SyntaxError, SyntaxErrorKind};
use super::scan::{self, Delim, Kind};
use crate::span::Span;

/// The words that walk a list's items inside `( … )`.
const WALKS: [&str; 3] = ["sum", "any", "all"];

/// Names that mean counting, for which `sum(1 for …)` is the walk.
const COUNTING: [&str; 5] = ["count", "len", "length", "size", "number"];

/// E0106 when `for` was found inside `NAME(` and `NAME` is not a walk.
pub(super) fn unknown_walk(
    text: &str,
    found: &Found,
    at: Span,
    innermost: Option<&Opener>,
) -> Option<SyntaxError> {
    if !matches!(found, Found::Token(t) if t == "for") {
        return None;
    }
    let open = innermost.filter(|o| o.symbol == '(')?.span.start as usize;
    let head = text[..open].trim_end();
    let name_start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &head[name_start..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) || WALKS.contains(&name) {
        return None;
    }
    let for_at = at.start as usize;
    // What the call holds after `for`, up to its `)` (or the line's end if it has none).
    let rest = match closing_paren(text, open) {
        Some(close) => text[for_at..=close].to_string(),
        None => format!(
            "{} …)",
            text[for_at..].lines().next().unwrap_or("").trim_end()
        ),
    };
    let value = text[open + 1..for_at].trim();
    let close = crate::suggest::closest(name, WALKS);
    let fix = if let Some(walk) = close {
        format!("{walk}({value} {rest}")
    } else if COUNTING.contains(&name) {
        format!("sum(1 {rest}")
    } else {
        format!("[{value} {}]", rest.trim_end_matches(')'))
    };
    Some(SyntaxError::custom(
        Span::new(at.file, name_start, name_start + name.len()),
        SyntaxErrorKind::UnknownWalk {
            name: name.to_string(),
            close,
            fix: fix.split_whitespace().collect::<Vec<_>>().join(" "),
        },
    ))
}

/// Where the `(` at `open` is closed, if it is.
fn closing_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for token in scan::tokens(&text[open..]) {
        match token.kind {
            Kind::Open(Delim::Paren) => depth += 1,
            Kind::Close(Delim::Paren) => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + token.start);
                }
            }
            _ => {}
        }
    }
    None
}

/// The message, label and help of [`SyntaxErrorKind::UnknownWalk`].
pub(super) fn parts(name: &str, close: Option<&str>, fix: &str) -> (String, String, String) {
    let help = match close {
        Some(walk) => format!("did you mean `{walk}`? `{fix}`"),
        None if COUNTING.contains(&name) => format!("count the items with `{fix}`"),
        None => format!("make a list of the values with `{fix}`"),
    };
    (
        format!(
            "there is no function `{name}` that walks a list's items; `sum`, `any` and `all` do"
        ),
        "not a walk".to_string(),
        help,
    )
}
