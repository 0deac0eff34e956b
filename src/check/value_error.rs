//! How a value or a record that does not fit reads: a type that does not match, a condition
//! that is not true or false, a value that may be `none`, a record missing required fields. The
//! problems are [`CheckError`] variants; each one's message, labels and help is one arm here.

use std::sync::Arc;

use super::error::{CheckError, Mismatch, Named, Parts, and_list};
use super::sync_error::match_not_mapped_parts;
use crate::ast::BinaryOp;
use crate::diagnostic::{help, primary, secondary};
use crate::program::Entity;
use crate::span::Span;
use crate::types::{Type, choice_list};

impl CheckError {
    /// A value of the wrong type or shape, or a record missing what it needs.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per value error: each variant's message, labels and help together"
    )]
    pub(super) fn value_parts(&self) -> Parts {
        match self {
            CheckError::BadFieldAccess {
                span,
                base,
                field,
                base_ty: Some(ty),
                ..
            } => (
                match ty.unwrapped() {
                    crate::types::Type::Record(..) => format!(
                        "`{base}` is an item of a list of records, whose fields are read in a walk or a `for`"
                    ),
                    _ => format!("`{base}` is a {ty}, which has no field `{field}`"),
                },
                vec![primary(*span, "only records have fields")],
                vec![help(match ty.unwrapped() {
                    // The records `every` found: `xs[0].FIELD` is not read, a walk is.
                    crate::types::Type::List(item)
                        if matches!(**item, crate::types::Type::Record(..)) =>
                    {
                        format!("read each record's field, as in `[item.{field} for item in {base}]`")
                    }
                    crate::types::Type::Record(..) => format!(
                        "read the records of a list in a walk, as in `[item.{field} for item in LIST][0] ?? …`, or in a `for`"
                    ),
                    crate::types::Type::List(_) => format!(
                        "read an item's field, as in `{base}[0].{field}`, or each item's, as in `[item.{field} for item in {base}]`"
                    ),
                    _ if matches!(field.as_ref(), "length" | "len" | "size" | "count") => {
                        format!("the length of a text or list is `len({base})`")
                    }
                    _ => format!("read `{field}` of a record, as in `trigger.{field}`"),
                })],
            ),
            CheckError::BadFieldAccess {
                span,
                base,
                field,
                has_trigger,
                base_ty: None,
            } => (
                if *has_trigger || &**base != "trigger" {
                    format!(
                        "`{base}.{field}` cannot be read: only `trigger` has fields to read with `.`"
                    )
                } else {
                    format!("`{base}.{field}` cannot be read here: no trigger record is in view")
                },
                vec![primary(*span, "not a field access weir knows")],
                vec![help(match field.as_ref() {
                    "length" | "len" | "size" | "count" => {
                        format!("the length of a text or list is `len({base})`")
                    }
                    _ if *has_trigger => {
                        format!(
                            "write `trigger.{field}` for the trigger record's field, or `{field}` alone"
                        )
                    }
                    _ => format!(
                        "there is no trigger record here: write the field's name alone, `{field}`"
                    ),
                })],
            ),
            CheckError::WrongArity {
                name,
                expected,
                found,
                signature,
            } => (
                format!(
                    "`{}` takes {}, but {found} {} given",
                    name.text,
                    match *expected {
                        (1, 1) => "1 argument".to_string(),
                        (fewest, most) if fewest == most => format!("{fewest} arguments"),
                        (fewest, most) => format!("{fewest} or {most} arguments"),
                    },
                    if *found == 1 { "was" } else { "were" }
                ),
                vec![primary(name.span, format!("called with {found}"))],
                vec![help(format!("call it as `{signature}`"))],
            ),
            CheckError::TypeMismatch {
                span,
                expected,
                found,
                context,
            } => mismatch_parts(*span, expected, found, context),
            CheckError::UnknownTimeZone {
                span,
                name,
                suggestion,
            } => (
                format!("`{name}` is not a time zone weir knows"),
                vec![primary(*span, "not a time zone")],
                vec![help(match suggestion {
                    Some(close) => format!("did you mean `{close}`? write `\"{close}\"`"),
                    None => "name a place of the IANA time zone database, as in `\"Europe/Berlin\"` or `\"America/Los_Angeles\"` (abbreviations such as `PST` or `CEST` name no place, and a place's clocks change with summer time)".into(),
                })],
            ),
            CheckError::NotBool {
                span,
                found,
                context,
            } => (
                format!(
                    "{context} must be true or false, but this is {}",
                    article(found)
                ),
                vec![primary(*span, format!("this is {}", article(found)))],
                vec![help(
                    "compare it with something, as in `status == \"new\"` or `notes != none`",
                )],
            ),
            CheckError::OptionalUsed { span, found } => (
                format!(
                    "this value may be `none` (it is {}), but a value is required here",
                    article(found)
                ),
                vec![primary(*span, "may be `none`")],
                vec![help(format!(
                    "give a default with `??`, as in `x ?? {}`, or test it first with `x != none`",
                    default_example(found.unwrapped())
                ))],
            ),
            _ => unreachable!("expected a problem with a value, found {self:?}"),
        }
    }

    /// A record that cannot be written or read as the script says.
    pub(super) fn record_parts(&self) -> Parts {
        match self {
            CheckError::NoStamp { span, entity, app } => (
                format!(
                    "records of `{entity}` in `{app}` keep no stamp, so `origin` means nothing here"
                ),
                vec![primary(*span, "no stamp to read")],
                vec![help(format!(
                    "declare a field of type `stamp` in `{entity}` (for example `origin: stamp`) to keep who wrote each record"
                ))],
            ),
            CheckError::MapCollision { span, collision } => collision.parts(*span),
            CheckError::Sync(problem) => problem.parts(),
            CheckError::MatchNotMapped {
                name,
                mapped,
                suggestion,
            } => match_not_mapped_parts(name, mapped, suggestion.as_deref()),
            CheckError::NotAChoice {
                span,
                text,
                choices,
                suggestion,
            } => (
                format!(
                    "{text:?} is not one of the choices {}",
                    choice_list(choices)
                ),
                vec![primary(*span, "not a choice")],
                vec![help(match suggestion {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => format!(
                        "write one of {}, or add {text:?} to the field's choices",
                        choice_list(choices)
                    ),
                })],
            ),
            CheckError::MissingFields {
                span,
                app,
                entity,
                missing,
                copied_from,
            } => missing_fields_parts(*span, app, entity, missing, copied_from.as_ref()),
            _ => unreachable!("expected a problem with a record, found {self:?}"),
        }
    }
}

fn article(ty: &Type) -> String {
    let word = ty.to_string();
    let vowel = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    match ty {
        Type::Optional(inner) => {
            let inner = article(inner);
            format!(
                "an optional {}",
                inner.trim_start_matches("an ").trim_start_matches("a ")
            )
        }
        Type::Text => "text".into(),
        Type::Choice(choices) => format!("one of {}", choice_list(choices)),
        Type::Nothing => "`none`".into(),
        _ if vowel => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

pub(super) fn default_example(ty: &Type) -> &'static str {
    match ty {
        Type::Text => "\"\"",
        Type::Number => "0",
        Type::Bool => "false",
        Type::Time => "now()",
        Type::Duration => "0s",
        Type::List(_) => "[]",
        _ => "…",
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one arm per place a value can have the wrong type, each with its own message and fix"
)]
fn mismatch_parts(span: Span, expected: &Type, found: &Type, context: &Mismatch) -> Parts {
    let (message, fix) = match context {
        Mismatch::Field { field, entity } => (
            format!("the field `{field}` of {} is {}, but this value is {}", Entity::shown(entity), article(expected), article(found)),
            conversion_help(expected, found),
        ),
        Mismatch::Operator { op, left, right } => (
            format!("`{}` cannot combine {} and {}", op.symbol(), article(left), article(right)),
            match op {
                BinaryOp::Add if *left == Type::Text || *right == Type::Text => {
                    "convert the other value first, as in `\"total: \" + text(total)`, or use a text with `{…}`".into()
                }
                BinaryOp::And | BinaryOp::Or => "both sides must be true or false; compare values first, as in `a == 1 and b == 2`".into(),
                _ => "numbers combine with numbers, a time with a duration (`start + 1h`), texts with texts".into(),
            },
        ),
        Mismatch::Negate => (format!("`-` needs a number or a duration, but this is {}", article(found)), "remove the `-`".into()),
        Mismatch::Compare { left, right } => (
            format!("cannot compare {} with {}", article(left), article(right)),
            match (left.unwrapped(), right.unwrapped()) {
                // `origin == "weir"`: a label written as a text.
                (Type::Origin, Type::Text) | (Type::Text, Type::Origin) => {
                    "a label is written without quotes: drop them, as in `origin == weir`".into()
                }
                _ => conversion_help(left, right),
            },
        ),
        Mismatch::NoneCompare => (
            format!("{} is never `none`, so comparing it with `none` means nothing", article(found)),
            "only optional fields (declared with `?`) can be `none`; remove the comparison".into(),
        ),
        Mismatch::Argument { function, index } => (
            format!("argument {} of `{function}` must be {}, but this is {}", index + 1, article(expected), article(found)),
            conversion_help(expected, found),
        ),
        Mismatch::Branches { then, otherwise } => (
            format!("the branches of this `if` differ: {} and {}", article(then), article(otherwise)),
            "make both branches the same type, for example with `text(…)`".into(),
        ),
        Mismatch::ListItems => (
            format!("every item of a list must be {}, but this is {}", article(expected), article(found)),
            "make every item the same type".into(),
        ),
        Mismatch::Membership => (
            format!("`in` needs a list on its right, but this is {}", article(found)),
            "write a list, as in `status in [\"new\", \"open\"]`".into(),
        ),
        Mismatch::Default => (
            format!("the default after `??` must be {}, but this is {}", article(expected), article(found)),
            format!("write a default of the same type, such as `{}`", default_example(expected)),
        ),
        Mismatch::Message => (
            format!("a notification's message must be text, but this is {}", article(found)),
            "convert it with `text(…)`, or write a text with `{…}` in it".into(),
        ),
        Mismatch::Channel => (
            format!("a notification's channel must be text, but this is {}", article(found)),
            "write the channel in quotes, as in `notify \"#ops\" \"…\"`".into(),
        ),
        Mismatch::Copy { field, from, to } => (
            format!("`{field}` is {} in `{from}` but {} in `{to}`, so it cannot be copied", article(found), article(expected)),
            format!("give the fields explicitly, converting `{field}`, as in `{{ {field}: … }}`"),
        ),
        Mismatch::SyncField { left, right, computed } => (
            format!("`{left}` is {} but `{right}` is {}, so they cannot be synced", article(expected), article(found)),
            if *computed { conversion_help(expected, found) } else { "map fields of the same type".into() },
        ),
        Mismatch::MapValue { end } => (
            format!("`{end}` gives {}, but this value is {}", article(expected), article(found)),
            conversion_help(expected, found),
        ),
        Mismatch::BadTime { text } => (
            format!("{text:?} is not a time"),
            "write the time in RFC 3339 form, as in `time(\"2030-01-02T09:00:00Z\")`".into(),
        ),
        Mismatch::BadWrittenTime { text } => (
            format!("`{text}` is not a time"),
            "write a date and time that exist, as in `2030-01-02T09:00`".into(),
        ),
        Mismatch::OriginOrder => (
            "origins have no order: they are compared with `==`, `!=` or `in`".to_string(),
            "write `origin == weir`, `origin != weir` or `origin in [weir, zapier]`".into(),
        ),
        Mismatch::Clock => (
            format!("the clock is set to a time, but this is {}", article(found)),
            "write the time after `at`, as in `at 2030-01-02T09:00`".into(),
        ),
        Mismatch::Advance => (
            format!("the clock advances by a duration, but this is {}", article(found)),
            "write a duration after `advance`, as in `advance 24h`".into(),
        ),
    };
    let label = match context {
        Mismatch::Operator { op, left, right } => format!("{left} {} {right}", op.symbol()),
        Mismatch::Compare { left, right } => format!("{left} compared with {right}"),
        Mismatch::Copy { field, .. } => format!("copies `{field}`"),
        Mismatch::SyncField { .. } => format!("{expected} and {found}"),
        Mismatch::BadTime { .. } | Mismatch::BadWrittenTime { .. } => "not a time".into(),
        Mismatch::OriginOrder => "an order of origins".into(),
        _ => format!("this is {}", article(found)),
    };
    (message, vec![primary(span, label)], vec![help(fix)])
}

fn conversion_help(expected: &Type, found: &Type) -> String {
    match (expected.unwrapped(), found.unwrapped()) {
        (Type::Choice(to), Type::Choice(from)) => {
            let lacking: Vec<Arc<str>> = from.iter().filter(|c| !to.contains(c)).cloned().collect();
            format!(
                "map the values it lacks ({}) to ones it has, as in `if … == {:?} then {:?} else …`",
                choice_list(&lacking),
                lacking[0],
                to[0]
            )
        }
        (e, f) if let Some(converted) = converted(e, f, "…") => {
            format!("convert it with `{converted}`")
        }
        (Type::Origin, _) => {
            "an origin compares with a label such as `user` or the engine's label".into()
        }
        (e, f) => format!("use {} here, not {}", article(e), article(f)),
    }
}

/// `value` converted to `expected`, when a built-in converts `found` to it: `text(value)`,
/// `number(value) ?? 0`, `time(value)`, `value == "true"`.
pub(super) fn converted(expected: &Type, found: &Type, value: &str) -> Option<String> {
    match (expected.unwrapped(), found.unwrapped()) {
        (Type::Text, _) => Some(format!("text({value})")),
        (Type::Number, Type::Text) => Some(format!("number({value}) ?? 0")),
        (Type::Time, Type::Text) => Some(format!("time({value})")),
        // Bracketed unless one word, so no operator of the value binds tighter than `==`.
        (Type::Bool, Type::Text) if value.contains(char::is_whitespace) => {
            Some(format!("({value}) == \"true\""))
        }
        (Type::Bool, Type::Text) => Some(format!("{value} == \"true\"")),
        _ => None,
    }
}

/// E0202: a record created without its required fields.
fn missing_fields_parts(
    span: Span,
    app: &str,
    entity: &Named,
    missing: &[Arc<str>],
    copied_from: Option<&Arc<str>>,
) -> Parts {
    let fields = and_list(missing);
    let plural = missing.len() > 1;
    let (message, fix) = match copied_from {
        None => (
            format!(
                "this creates `{}` in `{app}` without the required field{} {fields}",
                entity.text,
                if plural { "s" } else { "" }
            ),
            format!(
                "add {} to the field block, or declare {} optional in `{}` (`{}: TYPE?`)",
                missing
                    .iter()
                    .map(|m| format!("`{m}: …`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if plural { "them" } else { "it" },
                entity.text,
                missing[0]
            ),
        ),
        Some(source) => (
            format!(
                "copying `{source}` into `{}` in `{app}` leaves the required field{} {fields} empty",
                entity.text,
                if plural { "s" } else { "" }
            ),
            format!(
                "`{source}` has no field of that name to copy; give the fields explicitly: `{{ {}: … }}`",
                missing[0]
            ),
        ),
    };
    (
        message,
        vec![
            primary(span, format!("{fields} missing")),
            secondary(entity.span, format!("`{}` is declared here", entity.text)),
        ],
        vec![help(fix)],
    )
}
