//! The built-in functions: their names, types, and what they compute.

use std::sync::Arc;

use crate::types::Type;
use crate::value::{self, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Upper,
    Lower,
    Trim,
    Len,
    Contains,
    StartsWith,
    EndsWith,
    Replace,
    Split,
    Join,
    Now,
    Time,
    Date,
    Format,
    Number,
    Text,
}

/// An argument of the wrong type: which one, and what it should have been.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgMismatch {
    pub index: usize,
    pub expected: Type,
    pub found: Type,
}

impl Builtin {
    pub const ALL: [Builtin; 16] = [
        Builtin::Upper,
        Builtin::Lower,
        Builtin::Trim,
        Builtin::Len,
        Builtin::Contains,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Replace,
        Builtin::Split,
        Builtin::Join,
        Builtin::Now,
        Builtin::Time,
        Builtin::Date,
        Builtin::Format,
        Builtin::Number,
        Builtin::Text,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Upper => "upper",
            Builtin::Lower => "lower",
            Builtin::Trim => "trim",
            Builtin::Len => "len",
            Builtin::Contains => "contains",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Replace => "replace",
            Builtin::Split => "split",
            Builtin::Join => "join",
            Builtin::Now => "now",
            Builtin::Time => "time",
            Builtin::Date => "date",
            Builtin::Format => "format",
            Builtin::Number => "number",
            Builtin::Text => "text",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// How the function is called, for messages.
    pub fn signature(self) -> &'static str {
        match self {
            Builtin::Upper => "upper(text) -> text",
            Builtin::Lower => "lower(text) -> text",
            Builtin::Trim => "trim(text) -> text",
            Builtin::Len => "len(text or list) -> number",
            Builtin::Contains => "contains(text, text) -> bool or contains(list, value) -> bool",
            Builtin::StartsWith => "starts_with(text, prefix) -> bool",
            Builtin::EndsWith => "ends_with(text, suffix) -> bool",
            Builtin::Replace => "replace(text, from, to) -> text",
            Builtin::Split => "split(text, separator) -> list of text",
            Builtin::Join => "join(list of text, separator) -> text",
            Builtin::Now => "now() -> time",
            Builtin::Time => "time(\"2030-01-02T09:00:00Z\") -> time",
            Builtin::Date => "date(time) -> text",
            Builtin::Format => "format(time, \"%Y-%m-%d %H:%M\", \"Europe/Berlin\") -> text",
            Builtin::Number => "number(text) -> number?",
            Builtin::Text => "text(value) -> text",
        }
    }

    pub fn arity(self) -> usize {
        match self {
            Builtin::Now => 0,
            Builtin::Upper
            | Builtin::Lower
            | Builtin::Trim
            | Builtin::Len
            | Builtin::Time
            | Builtin::Date
            | Builtin::Number
            | Builtin::Text => 1,
            Builtin::Contains
            | Builtin::StartsWith
            | Builtin::EndsWith
            | Builtin::Split
            | Builtin::Join
            | Builtin::Format => 2,
            Builtin::Replace => 3,
        }
    }

    /// The most arguments the function takes: its arity, or more for one whose last
    /// arguments may be left out (`format`'s time zone).
    pub fn most_args(self) -> usize {
        match self {
            Builtin::Format => 3,
            _ => self.arity(),
        }
    }

    /// The result type for arguments of these types, or the first argument that does not fit.
    /// The caller has checked the number of arguments.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per builtin function, in the order of `apply`'s arms, so a function's types read in one place"
    )]
    pub fn result_type(self, args: &[Type]) -> Result<Type, ArgMismatch> {
        let expect = |index: usize, expected: Type| -> Result<(), ArgMismatch> {
            let found = &args[index];
            if found.fits(&expected) {
                Ok(())
            } else {
                Err(ArgMismatch {
                    index,
                    expected,
                    found: found.clone(),
                })
            }
        };
        match self {
            Builtin::Upper | Builtin::Lower | Builtin::Trim => {
                expect(0, Type::Text)?;
                Ok(Type::Text)
            }
            Builtin::Len => match &args[0] {
                Type::List(_) => Ok(Type::Number),
                _ => {
                    expect(0, Type::Text)?;
                    Ok(Type::Number)
                }
            },
            Builtin::Contains => match &args[0] {
                Type::List(element) => {
                    expect(1, (**element).clone())?;
                    Ok(Type::Bool)
                }
                _ => {
                    expect(0, Type::Text)?;
                    expect(1, Type::Text)?;
                    Ok(Type::Bool)
                }
            },
            Builtin::StartsWith | Builtin::EndsWith => {
                expect(0, Type::Text)?;
                expect(1, Type::Text)?;
                Ok(Type::Bool)
            }
            Builtin::Replace => {
                expect(0, Type::Text)?;
                expect(1, Type::Text)?;
                expect(2, Type::Text)?;
                Ok(Type::Text)
            }
            Builtin::Split => {
                expect(0, Type::Text)?;
                expect(1, Type::Text)?;
                Ok(Type::list(Type::Text))
            }
            Builtin::Join => {
                expect(0, Type::list(Type::Text))?;
                expect(1, Type::Text)?;
                Ok(Type::Text)
            }
            Builtin::Now => Ok(Type::Time),
            Builtin::Time => {
                expect(0, Type::Text)?;
                Ok(Type::Time)
            }
            Builtin::Date => {
                expect(0, Type::Time)?;
                Ok(Type::Text)
            }
            Builtin::Format => {
                expect(0, Type::Time)?;
                expect(1, Type::Text)?;
                if args.len() > 2 {
                    expect(2, Type::Text)?;
                }
                Ok(Type::Text)
            }
            Builtin::Number => {
                expect(0, Type::Text)?;
                Ok(Type::optional(Type::Number))
            }
            Builtin::Text => {
                if args[0].is_optional() {
                    return Err(ArgMismatch {
                        index: 0,
                        expected: args[0].unwrapped().clone(),
                        found: args[0].clone(),
                    });
                }
                Ok(Type::Text)
            }
        }
    }

    fn needs_text(self, value: &Value) -> String {
        format!("`{}` needs text, but got {value}", self.name())
    }

    /// Computes the function. `now` is the clock's current time. An error says, in one
    /// sentence, which value did not fit.
    #[expect(
        clippy::too_many_lines,
        reason = "one arm per builtin function, in the order of `result_type`'s arms; each arm is the whole function"
    )]
    pub fn apply(self, args: &[Value], now: i64) -> Result<Value, String> {
        let text = |i: usize| -> Result<&str, String> {
            match &args[i] {
                Value::Text(s) => Ok(s),
                other => Err(format!("`{}` needs text, but got {other}", self.name())),
            }
        };
        Ok(match self {
            Builtin::Upper => map_case(&args[0], true).ok_or_else(|| self.needs_text(&args[0]))?,
            Builtin::Lower => map_case(&args[0], false).ok_or_else(|| self.needs_text(&args[0]))?,
            Builtin::Trim => match &args[0] {
                // An already trimmed text is shared, not copied.
                Value::Text(s) if s.trim().len() == s.len() => Value::Text(s.clone()),
                _ => Value::text(text(0)?.trim()),
            },
            Builtin::Len => match &args[0] {
                Value::List(items) => Value::Number(items.len() as f64),
                _ => Value::Number(text(0)?.chars().count() as f64),
            },
            Builtin::Contains => match &args[0] {
                Value::List(items) => Value::Bool(items.contains(&args[1])),
                _ => Value::Bool(text(0)?.contains(text(1)?)),
            },
            Builtin::StartsWith => Value::Bool(text(0)?.starts_with(text(1)?)),
            Builtin::EndsWith => Value::Bool(text(0)?.ends_with(text(1)?)),
            Builtin::Replace => {
                let (source, from, to) = (text(0)?, text(1)?, text(2)?);
                // An empty `from` matches between every two characters.
                let matches = if from.is_empty() {
                    source.chars().count() + 1
                } else {
                    source.matches(from).count()
                };
                let length = (source.len() - matches * from.len()) as u128
                    + matches as u128 * to.len() as u128;
                if length > value::TEXT_LIMIT as u128 {
                    return Err(value::TEXT_TOO_LONG.into());
                }
                Value::text(&source.replace(from, to))
            }
            Builtin::Split => {
                let sep = text(1)?;
                let source = text(0)?;
                let items = if sep.is_empty() {
                    source.chars().count()
                } else {
                    source.matches(sep).count() + 1
                };
                if items > value::LIST_LIMIT {
                    return Err(format!(
                        "`split` would make {items} items, more than the {} weir keeps in a list",
                        value::LIST_LIMIT
                    ));
                }
                let parts: Vec<Value> = if sep.is_empty() {
                    source
                        .chars()
                        .map(|c| Value::text(&c.to_string()))
                        .collect()
                } else {
                    source.split(sep).map(Value::text).collect()
                };
                Value::List(Arc::from(parts))
            }
            Builtin::Join => match &args[0] {
                Value::List(items) => {
                    let parts: Vec<String> = items.iter().map(Value::to_plain_text).collect();
                    let length = parts.iter().map(String::len).sum::<usize>()
                        + parts.len().saturating_sub(1) * text(1)?.len();
                    if length > value::TEXT_LIMIT {
                        return Err(value::TEXT_TOO_LONG.into());
                    }
                    Value::text(&parts.join(text(1)?))
                }
                other => return Err(format!("`join` needs a list, but got {other}")),
            },
            Builtin::Now => Value::Time(now),
            Builtin::Time => {
                let source = text(0)?;
                match value::parse_time(source) {
                    Some(t) => Value::Time(t),
                    None => {
                        return Err(format!(
                            "{source:?} is not a time; write it as \"2030-01-02T09:00:00Z\", with a year from -9999 to 9999"
                        ));
                    }
                }
            }
            Builtin::Date => match &args[0] {
                Value::Time(t) => Value::text(&value::format_date(*t)),
                other => return Err(format!("`date` needs a time, but got {other}")),
            },
            Builtin::Format => match &args[0] {
                Value::Time(t) if args.len() > 2 => {
                    let name = text(2)?;
                    let zone = value::time_zone(name).ok_or_else(|| unknown_zone(name))?;
                    Value::text(&value::format_time_in(*t, text(1)?, &zone))
                }
                Value::Time(t) => Value::text(&value::format_time(*t, text(1)?)),
                other => return Err(format!("`format` needs a time, but got {other}")),
            },
            Builtin::Number => match text(0)?.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Number(n),
                _ => Value::None,
            },
            Builtin::Text => Value::text(&args[0].to_plain_text()),
        })
    }
}

/// Why a zone name read at run time is refused, with the closest name weir knows.
fn unknown_zone(name: &str) -> String {
    match value::closest_time_zone(name) {
        Some(close) => format!("{name:?} is not a time zone; did you mean {close:?}?"),
        None => format!(
            "{name:?} is not a time zone; name one of the IANA database, as in \"Europe/Berlin\""
        ),
    }
}

/// `upper`/`lower` of a text value: `None` when it is not text. Short ASCII texts are mapped
/// on the stack and stay inline; the rest go through the full Unicode mapping.
fn map_case(value: &Value, upper: bool) -> Option<Value> {
    let Value::Text(s) = value else { return None };
    let bytes = s.as_bytes();
    let mut buf = [0u8; 23];
    if bytes.len() <= buf.len() && s.is_ascii() {
        let buf = &mut buf[..bytes.len()];
        buf.copy_from_slice(bytes);
        if upper {
            buf.make_ascii_uppercase();
        } else {
            buf.make_ascii_lowercase();
        }
        return std::str::from_utf8(buf).ok().map(Value::text);
    }
    let mapped = if upper {
        s.to_uppercase()
    } else {
        s.to_lowercase()
    };
    Some(Value::Text(smol_str::SmolStr::from(mapped)))
}
