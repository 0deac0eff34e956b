//! What can go wrong while a run runs, as data, and how each reads (R0302).
//!
//! The checker rules out most of these before anything runs; they remain possible where it
//! cannot see: values from open apps (type `any`), texts turned into times at run time, and
//! scripts run with `--no-check`. A run error stops that run only: its earlier writes stay,
//! the other runs of the same event go on.

use std::fmt;
use std::sync::Arc;

use super::apps::AppError;
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help, primary};
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

/// An expression or action that could not be carried out. Boxed, so that a `Result` of a
/// value is no bigger than the value: evaluation passes results up at every step.
#[derive(Clone, Debug, PartialEq)]
pub struct RunError(Box<RunErrorData>);

#[derive(Clone, Debug, PartialEq)]
pub struct RunErrorData {
    pub span: Span,
    pub kind: RunErrorKind,
}

impl std::ops::Deref for RunError {
    type Target = RunErrorData;

    fn deref(&self) -> &RunErrorData {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum RunErrorKind {
    /// A value of a kind the operation cannot use.
    WrongType {
        expected: &'static str,
        found: Value,
    },
    /// Two values that cannot be compared or combined.
    Mismatch {
        op: &'static str,
        left: Value,
        right: Value,
    },
    /// `none` where a value is needed.
    Missing,
    /// A built-in function refused its argument.
    Function {
        function: &'static str,
        message: String,
    },
    DivideByZero,
    /// A time or duration out of range.
    Overflow,
    /// A number result too large to keep (an infinity, or not a number at all).
    NumberTooLarge,
    /// A text past [`crate::value::TEXT_LIMIT`].
    TextTooLong,
    /// A declared field cannot hold the value.
    FieldType {
        field: Arc<str>,
        entity: Arc<str>,
        expected: Type,
        found: Value,
    },
    /// A record would be created without a required field.
    MissingField {
        field: Arc<str>,
        entity: Arc<str>,
    },
    App(AppError),
}

impl RunError {
    pub fn new(span: Span, kind: RunErrorKind) -> RunError {
        RunError(Box::new(RunErrorData { span, kind }))
    }
}

/// A value as a message shows it: `12 (a number)`.
struct Shown<'a>(&'a Value);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::None => f.write_str("none"),
            Value::List(_) => write!(f, "the list {}", self.0),
            v => write!(f, "{v} ({})", article(v.kind_name())),
        }
    }
}

fn article(kind: &str) -> String {
    match kind {
        "origin" => "an origin label".into(),
        "none" => "none".into(),
        other => format!("a {other}"),
    }
}

impl fmt::Display for RunErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunErrorKind::Function { message, .. } => f.write_str(message),
            RunErrorKind::App(err) => err.fmt(f),
            other => other.write_message(f, |v, f| Shown(v).fmt(f)),
        }
    }
}

impl RunErrorKind {
    /// The message, each value it quotes written by `value`: in full ([`Shown`]), or by its
    /// kind alone ([`WithoutValues`]). Calls and apps word their own messages.
    fn write_message(
        &self,
        f: &mut fmt::Formatter<'_>,
        value: impl Fn(&Value, &mut fmt::Formatter<'_>) -> fmt::Result,
    ) -> fmt::Result {
        match self {
            RunErrorKind::WrongType { expected, found } => {
                write!(f, "{} is needed here, but the value is ", article(expected))?;
                value(found, f)
            }
            RunErrorKind::Mismatch { op, left, right } => {
                write!(f, "`{op}` cannot combine ")?;
                value(left, f)?;
                f.write_str(" with ")?;
                value(right, f)
            }
            RunErrorKind::Missing => f.write_str("a value is needed here, but it is none"),
            RunErrorKind::DivideByZero => f.write_str("division by zero"),
            RunErrorKind::Overflow => f.write_str(
                "the time or duration is out of range (times go from the year -9999 to 9999)",
            ),
            RunErrorKind::NumberTooLarge => {
                f.write_str("the result is too large for a number (beyond about ±1.8e308)")
            }
            RunErrorKind::TextTooLong => f.write_str(crate::value::TEXT_TOO_LONG),
            RunErrorKind::FieldType {
                field,
                entity,
                expected,
                found,
            } => {
                write!(
                    f,
                    "`{field}` of `{entity}` {}, but the value is ",
                    FieldWants(expected)
                )?;
                value(found, f)
            }
            RunErrorKind::MissingField { field, entity } => write!(
                f,
                "`{field}` of `{entity}` needs a value, but the record would leave it empty"
            ),
            RunErrorKind::Function { message, .. } => f.write_str(message),
            RunErrorKind::App(err) => write!(f, "{err}"),
        }
    }
}

impl RunErrorKind {
    /// The short text under the expression.
    fn label(&self) -> String {
        match self {
            RunErrorKind::WrongType { found, .. } => format!("this is {}", Shown(found)),
            RunErrorKind::Mismatch { .. } => "these do not go together".into(),
            RunErrorKind::Missing => "this is none".into(),
            RunErrorKind::Function { function, .. } => format!("`{function}` failed here"),
            RunErrorKind::DivideByZero => "this divides by zero".into(),
            RunErrorKind::Overflow => "out of range".into(),
            RunErrorKind::NumberTooLarge => "this is too large".into(),
            RunErrorKind::TextTooLong => "this text is too long".into(),
            RunErrorKind::FieldType { found, .. } => format!("this is {}", Shown(found)),
            RunErrorKind::MissingField { .. } => "this record".into(),
            RunErrorKind::App(AppError { read: true, .. }) => "this read".into(),
            RunErrorKind::App(_) => "this write".into(),
        }
    }

    fn help(&self) -> Option<&'static str> {
        Some(match self {
            RunErrorKind::FieldType { expected, .. } if expected.choices().is_some() => {
                "write only a value the field lists: map others with `if`, or stop the run first with `continue if VALUE in [\"…\"]`"
            }
            RunErrorKind::WrongType { .. }
            | RunErrorKind::Mismatch { .. }
            | RunErrorKind::FieldType { .. } => {
                "declare the app's entity so that `weir check` sees the types, or convert the value with `text(…)`, `number(…) ?? 0` or `time(…)`"
            }
            RunErrorKind::Missing | RunErrorKind::MissingField { .. } => {
                "give a default for an empty value: `value ?? \"…\"`"
            }
            RunErrorKind::Function {
                function: "time", ..
            } => "times are written in RFC 3339, as in \"2030-01-02T09:00:00Z\"",
            RunErrorKind::NumberTooLarge => {
                "keep the values in range before this step, as in `unless amount > 1000000000`"
            }
            RunErrorKind::TextTooLong => {
                "keep texts short before this step, as in `continue if len(notes) < 100000`"
            }
            RunErrorKind::Overflow => {
                "keep the values in range before this step, as in `unless wait > 3650d`"
            }
            RunErrorKind::App(AppError { failed: true, .. }) => {
                "the app may be down or overloaded: once it is back, run the event again (with `weir serve`, `weir replay --journal FILE EVENT`)"
            }
            _ => return None,
        })
    }
}

/// A run that stopped with an error: which workflow (or sync), on which event.
#[derive(Clone, Debug)]
pub struct Failure {
    /// `to_outlook`, or `the sync of ticket`.
    pub by: Arc<str>,
    pub run: u64,
    pub event: u64,
    /// `the new event Calendar/event/1`.
    pub trigger: String,
    pub error: RunError,
}

impl Report for Failure {
    fn report(&self) -> Diagnostic {
        let mut d = diagnostic::new(
            Code::R0302,
            format!("`{}` failed: {}", self.by, self.error.kind),
        )
        .with_labels(vec![primary(self.error.span, self.error.kind.label())])
        .with_notes(vec![format!(
            "the run started from {} (event #{}); its earlier writes stay, its later steps did not run",
            self.trigger, self.event
        )]);
        if let Some(text) = self.error.kind.help() {
            d.notes.push(help(text));
        }
        d
    }
}

/// An expression evaluated on its own (at the REPL) that could not be worked out.
impl Report for RunError {
    fn report(&self) -> Diagnostic {
        let mut d = diagnostic::new(
            Code::R0302,
            format!("this could not be worked out: {}", self.kind),
        )
        .with_labels(vec![primary(self.span, self.kind.label())]);
        if let Some(text) = self.kind.help() {
            d.notes.push(help(text));
        }
        d
    }
}

/// What a field holds, after its name: `is a number field`, `takes "open" or "closed"`.
struct FieldWants<'a>(&'a Type);

impl fmt::Display for FieldWants<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.choices() {
            Some(choices) => write!(f, "takes {}", crate::types::choice_list(choices)),
            None => write!(f, "is a {} field", self.0.unwrapped()),
        }
    }
}

/// A run error's text with the values it would quote left out: for messages that are kept
/// (the journal of `weir serve`), where a value of a record (a diagnosis, an account number)
/// must not end up unless asked for (`--log-values`).
pub struct WithoutValues<'a>(pub &'a RunErrorKind);

impl fmt::Display for WithoutValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            RunErrorKind::Function { function, .. } => {
                write!(f, "`{function}` could not take its value")
            }
            RunErrorKind::App(err) => write!(f, "{}", err.without_values()),
            other => other.write_message(f, |v, f| f.write_str(&article(v.kind_name()))),
        }
    }
}

impl Failure {
    /// The report's message, with the values it would quote left out ([`WithoutValues`]).
    pub fn message_without_values(&self) -> String {
        format!("`{}` failed: {}", self.by, WithoutValues(&self.error.kind))
    }
}

impl crate::run::apps::AppError {
    /// The same error with its reason stripped of what may quote a record.
    pub fn without_values(&self) -> crate::run::apps::AppError {
        crate::run::apps::AppError {
            reason: reason_without_values(&self.reason),
            ..self.clone()
        }
    }
}

/// An app's reason for refusing a write, without what may quote a record: the query of a URL
/// (a lookup's `?email=…`) and the app's own message after its status.
pub fn reason_without_values(reason: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for word in reason.split(' ') {
        match word.split_once('?') {
            Some((url, _)) if url.contains("://") => out.push(format!("{url}?…")),
            _ => out.push(word.to_string()),
        }
    }
    let text = out.join(" ");
    let Some(answered) = text.find(" answered ") else {
        return text;
    };
    let after = answered + " answered ".len();
    let Some(colon) = text[after..].find(": ").map(|i| after + i) else {
        return text;
    };
    let tail = text[colon..]
        .rfind(" (tried ")
        .map_or("", |i| &text[colon + i..]);
    format!("{}{tail}", &text[..colon])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{RunErrorKind, WithoutValues};
    use crate::types::Type;
    use crate::value::Value;

    #[test]
    fn a_choice_field_error_names_the_choices_and_keeps_the_value_out_when_asked() {
        let kind = RunErrorKind::FieldType {
            field: Arc::from("state"),
            entity: Arc::from("ticket"),
            expected: Type::Choice(Arc::from([Arc::from("open"), Arc::from("closed")])),
            found: Value::text("later"),
        };
        let shown = kind.to_string();
        assert!(shown.contains(r#"takes "open" or "closed""#), "{shown}");
        assert!(shown.contains("later"), "{shown}");
        let kept = WithoutValues(&kind).to_string();
        assert!(kept.contains(r#"takes "open" or "closed""#), "{kept}");
        assert!(!kept.contains("later"), "{kept}");
    }
}
