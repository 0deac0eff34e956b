//! Recorded sessions: lines typed after `> ` and, under each, what weir answered.
//!
//! ```text
//! > upper("hi")
//! "HI" : text
//! > app A {
//! >   e { x: text }
//! > }
//! added app `A`
//! ```
//!
//! Inputs are fed line by line exactly as the terminal feeds them (a line that leaves the input
//! unfinished waits for the next), so a transcript also tests multi-line input.

use super::{Session, wants_more};

/// The typed lines of a transcript.
pub fn inputs(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .filter_map(|l| l.strip_prefix("> ").or_else(|| (l == ">").then_some("")))
        .map(str::to_string)
        .collect()
}

/// Runs the typed lines of a transcript in a new session and writes the transcript as it
/// should read: each line typed, then the answer to the input it completed.
pub fn run(transcript: &str) -> String {
    let mut session = Session::new();
    let mut out = String::new();
    let mut pending = String::new();
    for line in inputs(transcript) {
        out.push_str(format!("> {line}").trim_end());
        out.push('\n');
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if wants_more(&pending) {
            continue;
        }
        let reply = session.eval(&std::mem::take(&mut pending));
        out.push_str(&reply.text);
        if reply.quit {
            break;
        }
    }
    out
}
