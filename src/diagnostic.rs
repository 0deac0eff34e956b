//! Diagnostics: the one place where error data becomes text.
//!
//! Each stage keeps its own error type holding spans and names; [`Report`] turns one into a
//! codespan-reporting [`Diagnostic`]. Rendering, for a terminal, for tests (plain text) or as
//! JSON, happens here and only here.

use std::io::{self, IsTerminal, Write};

use codespan_reporting::diagnostic::{Label, LabelStyle, Severity};
use codespan_reporting::term::{self, termcolor};
use serde_json::{Value, json};

use crate::codes::{Code, Level};
use crate::source::SourceMap;
use crate::span::{FileId, Span};

pub type Diagnostic = codespan_reporting::diagnostic::Diagnostic<FileId>;

/// Anything that can be shown to a user as a diagnostic.
pub trait Report {
    fn report(&self) -> Diagnostic;
}

/// A diagnostic with no code: something worth knowing that is not a problem.
pub fn note(message: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::note().with_message(message)
}

/// Starts a diagnostic for `code` with its level and a one-sentence message.
pub fn new(code: Code, message: impl std::fmt::Display) -> Diagnostic {
    let severity = match code.level() {
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
    };
    Diagnostic::new(severity)
        .with_code(code.as_str())
        .with_message(message)
}

pub fn primary(span: Span, message: impl std::fmt::Display) -> Label<FileId> {
    Label::primary(span.file, span.range()).with_message(message)
}

pub fn secondary(span: Span, message: impl std::fmt::Display) -> Label<FileId> {
    Label::secondary(span.file, span.range()).with_message(message)
}

/// How a note that is a fix begins: codespan keeps notes as text, so the mark is the one place
/// that tells a fix from the other notes.
const HELP: &str = "help: ";

/// A `help:` note: the exact fix.
pub fn help(text: impl AsRef<str>) -> String {
    format!("{HELP}{}", text.as_ref())
}

/// The text of a note made by [`help`], without its mark; `None` for other notes.
pub fn as_help(note: &str) -> Option<&str> {
    note.strip_prefix(HELP)
}

/// Whether to colour output written to standard error.
pub fn colour_wanted() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn config() -> term::Config {
    term::Config::default()
}

/// Renders diagnostics as plain text, as a terminal without colour shows them.
pub fn render_plain(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        match term::emit_into_string(&config(), sources, diagnostic) {
            Ok(text) => out.push_str(&text),
            Err(err) => out.push_str(&format!("(could not show a diagnostic: {err})\n")),
        }
    }
    out
}

/// Renders diagnostics with ANSI colours, for a terminal that shows them (the REPL).
pub fn render_coloured(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut buffer = termcolor::Buffer::ansi();
    let styles = term::Styles::default();
    {
        let mut writer = term::StylesWriter::new(&mut buffer, &styles);
        for diagnostic in diagnostics {
            let _ = term::emit_to_write_style(&mut writer, &config(), sources, diagnostic);
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Writes diagnostics to standard error one line each (`file:line:col: warning[W0101]: …`),
/// for commands whose own output follows and should not be buried.
pub fn emit_short_to_stderr(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    let _ = io::stderr().write_all(render_short(sources, diagnostics).as_bytes());
}

/// Diagnostics one line each, without colour.
pub fn render_short(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let config = term::Config {
        display_style: term::DisplayStyle::Short,
        ..config()
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        if let Ok(text) = term::emit_into_string(&config, sources, diagnostic) {
            out.push_str(&text);
        }
    }
    out
}

/// `1 warning`, `2 warnings`: a count with its noun.
pub fn plural(n: impl Into<u64>, one: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Writes diagnostics to standard error, in colour where that is wanted.
pub fn emit_to_stderr(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    if !colour_wanted() {
        let _ = io::stderr().write_all(render_plain(sources, diagnostics).as_bytes());
        return;
    }
    let stream = termcolor::StandardStream::stderr(termcolor::ColorChoice::Always);
    let mut lock = stream.lock();
    let styles = term::Styles::default();
    let mut writer = term::StylesWriter::new(&mut lock, &styles);
    for diagnostic in diagnostics {
        let _ = term::emit_to_write_style(&mut writer, &config(), sources, diagnostic);
    }
}

/// One diagnostic as a JSON object, as `weir check --format json` prints it.
pub fn to_json(sources: &SourceMap, diagnostic: &Diagnostic) -> Value {
    let position = |file: FileId, offset: usize| {
        let (line, column) = sources.line_col(file, offset);
        json!({ "line": line, "column": column, "offset": offset })
    };
    let primary = diagnostic
        .labels
        .iter()
        .find(|l| l.style == LabelStyle::Primary)
        .or(diagnostic.labels.first());
    let labels: Vec<Value> = diagnostic
        .labels
        .iter()
        .map(|label| {
            json!({
                "style": if label.style == LabelStyle::Primary { "primary" } else { "secondary" },
                "file": sources.name(label.file_id),
                "start": position(label.file_id, label.range.start),
                "end": position(label.file_id, label.range.end),
                "message": label.message,
            })
        })
        .collect();
    let (helps, notes): (Vec<&String>, Vec<&String>) =
        diagnostic.notes.iter().partition(|n| as_help(n).is_some());
    json!({
        "code": diagnostic.code,
        "severity": match diagnostic.severity {
            Severity::Bug | Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Help => "help",
        },
        "message": diagnostic.message,
        "file": primary.map(|l| sources.name(l.file_id)),
        "start": primary.map(|l| position(l.file_id, l.range.start)),
        "end": primary.map(|l| position(l.file_id, l.range.end)),
        "labels": labels,
        "notes": notes,
        "help": helps.first().and_then(|h| as_help(h)),
    })
}

pub fn is_warning(diagnostic: &Diagnostic) -> bool {
    diagnostic.severity == Severity::Warning
}

pub fn is_error(diagnostic: &Diagnostic) -> bool {
    matches!(diagnostic.severity, Severity::Error | Severity::Bug)
}

/// Whether any diagnostic is an error (not just a warning).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(is_error)
}
