//! `weir repl`: the language, one line at a time.
//!
//! [`session`] is the backend (text in, text out, no terminal); [`command`] parses `:commands`;
//! [`terminal`] is the thin rustyline front end with history, completion and colours;
//! [`transcript`] runs a recorded session, for tests and the tutorial.

pub mod command;
pub mod complete;
pub mod highlight;
pub mod session;
mod show;
pub mod terminal;
pub mod transcript;

pub use session::{Reply, Session};

/// Whether the input so far ended early (an open `{`, a trailing `do`, an unfinished
/// expression) so that the next line should continue it. A genuine mistake is not early: it
/// is reported at once.
pub fn wants_more(input: &str) -> bool {
    let text = input.trim_end();
    let only_comments = crate::syntax::scan::tokens(text).all(|t| !t.is_significant());
    if text.trim_start().starts_with(':') || only_comments {
        return false;
    }
    crate::syntax::is_incomplete(text)
}
