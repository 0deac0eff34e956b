//! `total <-5` (E0001): `<-` is a sync mapping's arrow, so `<` never takes a `-` right after it
//! and pest stops at the `-`. What was meant is `total < -5`: the error says so.
//!
//! ```text
//! on new order in Shop where total < -5 do …    # accepted
//! on new order in Shop where total <-5 do …     # E0001: write `total < -5`
//! ```

use super::error::{Found, SyntaxError, SyntaxErrorKind};
use super::scan;
use crate::span::Span;

/// The error when `-` was found right after a `<` that follows a value.
pub(super) fn less_than_negative(text: &str, found: &Found, at: Span) -> Option<SyntaxError> {
    if !matches!(found, Found::Token(t) if t == "-") {
        return None;
    }
    let pos = at.start as usize;
    let arrow = pos
        .checked_sub(1)
        .filter(|&i| text[i..].starts_with("<-"))?;
    let words = |text: &str| {
        scan::tokens(text)
            .filter(scan::Token::is_significant)
            .map(|t| (t.start, t.end))
            .collect::<Vec<_>>()
    };
    let (left_start, left_end) = *words(&text[..arrow]).last()?;
    let left = &text[left_start..left_end];
    let right_tokens = words(&text[pos + 1..]);
    let (_, right_end) = *right_tokens.first()?;
    let right = &text[pos + 1..pos + 1 + right_end];
    // A value after the `-`: a number or a name.
    let value = |w: &str| {
        w.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    if !value(right.trim()) || right.trim().is_empty() {
        return None;
    }
    // After a bracket, the help shows the operator and its right side alone.
    let left = if value(left) { left } else { "" };
    Some(SyntaxError::custom(
        Span::new(at.file, arrow, pos + 1),
        SyntaxErrorKind::LessThanNegative {
            left: left.to_string(),
            right: right.trim().to_string(),
        },
    ))
}

/// The message, label and help of [`SyntaxErrorKind::LessThanNegative`].
pub(super) fn parts(left: &str, right: &str) -> (String, String, String) {
    (
        "`<-` is the arrow of a sync's mapping, not `<` before a negative number".to_string(),
        "read as an arrow".to_string(),
        format!(
            "put a space between `<` and `-`: `{}< -{right}`",
            if left.is_empty() {
                String::new()
            } else {
                format!("{left} ")
            }
        ),
    )
}
