//! The terminal in front of a [`Session`]: rustyline with history, completion, colours and
//! multi-line input; or, when standard input is not a terminal, plain lines without prompts.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use super::complete::{self, Names};
use super::highlight;
use super::session::Session;
use crate::run::input::{LINE_LIMIT, LineRead, LineReader};

/// The prompt for a new input, and for each further line of an unfinished one: as wide as
/// each other, so that a block's lines stay aligned.
const PROMPT: &str = "weir> ";
const CONTINUATION: &str = " ...> ";

struct WeirHelper {
    names: Names,
    colour: bool,
}

impl Helper for WeirHelper {}

impl Completer for WeirHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, options) = complete::complete(line, pos, &self.names);
        let pairs = options
            .into_iter()
            .map(|o| Pair {
                display: o.clone(),
                replacement: o,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for WeirHelper {
    type Hint = String;
}

impl Highlighter for WeirHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour {
            Cow::Owned(highlight::highlight(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

/// Each line is taken as typed; [`run`] asks for the next one under the continuation prompt
/// when the input so far ended early.
impl Validator for WeirHelper {}

/// Where the history is kept: `$XDG_DATA_HOME/weir/history`, or `~/.local/share/weir/history`.
fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share"))
        })?;
    Some(base.join("weir").join("history"))
}

/// Runs the session until `:quit`, Ctrl-D or the end of input; whether it ended well (the
/// command turns that into its exit status).
pub fn run(mut session: Session) -> bool {
    if !io::stdin().is_terminal() {
        return run_plain(session);
    }
    let colour =
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal();
    session.set_colour(colour);
    let mut editor: Editor<WeirHelper, DefaultHistory> = match Editor::new() {
        Ok(editor) => editor,
        Err(err) => {
            eprintln!("error: cannot start the line editor ({err}); reading plain lines instead");
            return run_plain(session);
        }
    };
    editor.set_helper(Some(WeirHelper {
        names: session.names(),
        colour,
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!(
        "weir {}: type :help for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    // Input that ended early (an open `{`, a trailing `do`) goes on under the continuation
    // prompt; a real mistake is shown at once.
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if !pending.is_empty() {
                    pending.push('\n');
                }
                pending.push_str(&line);
                if pending.trim().is_empty() {
                    pending.clear();
                    continue;
                }
                if super::wants_more(&pending) {
                    continue;
                }
                let input = std::mem::take(&mut pending);
                let _ = editor.add_history_entry(input.as_str());
                let reply = session.eval(&input);
                print!("{}", reply.text);
                let _ = io::stdout().flush();
                if reply.quit {
                    break;
                }
                if let Some(helper) = editor.helper_mut() {
                    helper.names = session.names();
                }
            }
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                println!("(input cancelled; Ctrl-D or :quit leaves)");
            }
            Err(ReadlineError::Eof) => break,
            Err(err) => {
                eprintln!("error: cannot read input: {err}");
                return false;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    true
}

/// The same language read line by line without prompts, so that transcripts can be run.
fn run_plain(mut session: Session) -> bool {
    let stdin = io::stdin();
    let mut pending = String::new();
    let mut out = io::stdout();
    // Read from a file or a pipe, a session is a transcript: it fails if anything in it did.
    let mut failed = false;
    let mut failing = |text: &str| {
        failed |= text
            .lines()
            .any(|l| l.starts_with("error") || l.starts_with("FAILED "));
    };
    // Lines and entries are bounded like scripts and input lines: `weir repl < /dev/zero` ends
    // with an error instead of filling the memory.
    let mut lines = LineReader::new(stdin.lock(), LINE_LIMIT);
    let mut bytes = Vec::new();
    loop {
        let limit = match lines.read(&mut bytes) {
            Ok(LineRead::Line) => {
                let entry_limit = crate::load::SCRIPT_LIMIT;
                (pending.len() + bytes.len() > entry_limit as usize)
                    .then_some(("entry", entry_limit))
            }
            Ok(LineRead::TooLong) => Some(("line", LINE_LIMIT as u64)),
            Ok(LineRead::End) | Err(_) => break,
        };
        if let Some((what, limit)) = limit {
            let text = format!(
                "error: the {what} is longer than {}, the most weir reads; the session stops here\n",
                crate::load::show_size(limit)
            );
            let _ = out.write_all(text.as_bytes());
            failing(&text);
            pending.clear();
            break;
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            break;
        };
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if super::wants_more(&pending) {
            continue;
        }
        let input = std::mem::take(&mut pending);
        if input.trim().is_empty() {
            continue;
        }
        let reply = session.eval(&input);
        let _ = out.write_all(reply.text.as_bytes());
        failing(&reply.text);
        if reply.quit {
            break;
        }
    }
    if !pending.trim().is_empty() {
        let reply = session.eval(&pending);
        let _ = out.write_all(reply.text.as_bytes());
        failing(&reply.text);
    }
    !failed
}
