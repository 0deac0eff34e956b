//! Input events: one JSON object a line, decoded straight into the record layout (R0303).
//!
//! ```text
//! {"kind":"new","app":"Calendar","entity":"event","record":{"title":"Standup"},"actor":"user"}
//! {"kind":"new","app":"Calender","entity":"event","record":{}}     # R0303: unknown app
//! ```
//!
//! A line is read with a [`serde::de::DeserializeSeed`] that knows the script: the app and
//! entity names are matched as they are read, and the record's fields go straight into the
//! entity's slots, typed by its declaration, with no JSON tree in between. Only when `record`
//! comes before `app` or `entity` in a line is it read into a tree first and decoded after.
//!
//! For `updated` and `deleted`, the record names itself by `id` (`"Calendar/event/1"` or `1`);
//! an update writes only the fields the line gives. `actor` is the origin where the app
//! `reports actor`, and such an app must give it: an event without one is held (R0305).
//! Elsewhere it defaults to `user`. `changed` is accepted and ignored (the simulator works out
//! what changed).

mod lines;
mod seed;
mod unique;

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed};

pub use lines::{LINE_LIMIT, LineRead, LineReader};
use seed::{Decoded, LineSeed, Parts, RecordSeed, ValueSeed};
pub use unique::parse_unique;

use super::apps::{FieldSet, Record, RecordId};
use crate::ast::EventKind;
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help};
use crate::program::{AppId, EntityId, Program};
use crate::types::Type;
use crate::value::{Label, Value};

/// One input line, decoded.
#[derive(Clone, Debug)]
pub struct InputEvent {
    pub line: usize,
    pub kind: EventKind,
    pub entity: EntityId,
    /// The record's id, where the line gives one.
    pub id: Option<RecordId>,
    /// The record in its entity's layout; fields the line does not give are `none`.
    pub record: Record,
    /// The fields the line gives (what an update writes).
    pub given: FieldSet,
    pub actor: Label,
}

/// What is wrong with an input line.
#[derive(Clone, Debug, PartialEq)]
pub enum InputError {
    /// Not JSON, or JSON of the wrong shape (serde_json's message).
    Json(String),
    MissingKey(&'static str),
    /// A key given twice in one object: which one would count is anyone's guess.
    DuplicateKey {
        key: String,
    },
    /// A line longer than weir reads; the input stops there.
    LineTooLong {
        limit: usize,
    },
    UnknownKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    UnknownKind(String),
    UnknownApp {
        name: String,
        suggestion: Option<Arc<str>>,
    },
    UnknownEntity {
        app: Arc<str>,
        name: String,
        suggestion: Option<Arc<str>>,
    },
    UnknownField {
        app: Arc<str>,
        entity: Arc<str>,
        field: String,
        suggestion: Option<Arc<str>>,
    },
    WrongType {
        field: Arc<str>,
        expected: Type,
        found: std::borrow::Cow<'static, str>,
    },
    BadValue {
        field: Arc<str>,
        expected: Type,
        text: String,
    },
    /// A text outside the set of a choice field.
    NotAChoice {
        field: Arc<str>,
        choices: Arc<[Arc<str>]>,
        text: String,
    },
    MissingFields {
        entity: Arc<str>,
        fields: Vec<Arc<str>>,
    },
    BadId(String),
    NeedsId(EventKind),
    /// The app would not take the change (an id already taken, a record that is not there).
    Refused(String),
}

const KEYS: [&str; 6] = ["kind", "app", "entity", "record", "actor", "changed"];

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Json(message) => write!(f, "this is not an event: {message}"),
            InputError::MissingKey(key) => write!(f, "the event has no `{key}`"),
            InputError::DuplicateKey { key } => {
                write!(f, "the key `{key}` is given twice")
            }
            InputError::LineTooLong { limit } => write!(
                f,
                "the line is longer than {}, the most weir reads in one line",
                crate::load::show_size(*limit as u64)
            ),
            InputError::UnknownKey { key, .. } => write!(f, "`{key}` is not a key of an event"),
            InputError::UnknownKind(kind) => write!(
                f,
                "`{kind}` is not a kind of event; use `new`, `updated` or `deleted`"
            ),
            InputError::UnknownApp { name, .. } => {
                write!(f, "the script has no app `{name}`")
            }
            InputError::UnknownEntity { app, name, .. } => {
                write!(f, "the script has no entity `{name}` in `{app}`")
            }
            InputError::UnknownField {
                app, entity, field, ..
            } => write!(f, "`{entity}` in `{app}` has no field `{field}`"),
            InputError::WrongType {
                field,
                expected: Type::Any,
                found,
            } => write!(
                f,
                "`{field}` holds {found}, which weir cannot store (values are text, numbers, booleans, times, durations and lists)"
            ),
            InputError::WrongType {
                field,
                expected,
                found,
            } => write!(
                f,
                "`{field}` is a {} field, but the event gives {found}",
                expected.unwrapped()
            ),
            InputError::BadValue {
                field,
                expected,
                text,
            } => write!(
                f,
                "`{field}` is a {expected} field, but {text:?} is not a {expected}"
            ),
            InputError::NotAChoice {
                field,
                choices,
                text,
            } => write!(
                f,
                "`{field}` takes {}, but the event gives {text:?}",
                crate::types::choice_list(choices)
            ),
            InputError::MissingFields { entity, fields } => {
                let names: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                write!(f, "a new `{entity}` needs {}", names.join(", "))
            }
            InputError::BadId(text) => write!(f, "{text:?} is not an id of this entity"),
            InputError::NeedsId(kind) => {
                let article = if *kind == EventKind::Updated {
                    "an"
                } else {
                    "a"
                };
                write!(f, "{article} `{kind}` event must name its record by `id`")
            }
            InputError::Refused(reason) => f.write_str(reason),
        }
    }
}

impl InputError {
    /// The exact fix, where there is one to say.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            InputError::UnknownKey {
                suggestion: Some(s),
                ..
            } => format!("did you mean `{s}`?"),
            InputError::UnknownKey { .. } => format!("an event has the keys {}", KEYS.join(", ")),
            InputError::UnknownApp {
                suggestion: Some(s),
                ..
            }
            | InputError::UnknownEntity {
                suggestion: Some(s),
                ..
            }
            | InputError::UnknownField {
                suggestion: Some(s),
                ..
            } => format!("did you mean `{s}`?"),
            InputError::BadValue {
                expected: Type::Time,
                ..
            } => "write times in RFC 3339, as in \"2030-01-02T09:00:00Z\", with a year from -9999 to 9999".into(),
            InputError::BadValue { .. } => "write durations as weir does, as in \"1h30m\"".into(),
            InputError::NotAChoice { choices, text, .. } => {
                match crate::suggest::closest(text, choices.iter().map(|c| &**c)) {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => format!("give one of {}", crate::types::choice_list(choices)),
                }
            }
            InputError::BadId(_) => "ids look like \"Calendar/event/1\" (or just 1)".into(),
            InputError::NeedsId(_) => {
                "add the record's id, as in \"record\": {\"id\": \"Calendar/event/1\", …}".into()
            }
            InputError::Json(_) => {
                "each line is one JSON object, as in {\"kind\":\"new\",\"app\":\"Calendar\",\"entity\":\"event\",\"record\":{\"title\":\"Standup\"}}".into()
            }
            InputError::UnknownApp { .. } | InputError::UnknownEntity { .. } | InputError::UnknownField { .. } => {
                "name an app, entity or field the script declares or uses; `weir graph FILE` lists them".into()
            }
            InputError::WrongType { .. } => "give the field a value of its declared type".into(),
            InputError::DuplicateKey { key } => {
                format!("give `{key}` once; weir does not guess which of two values counts")
            }
            InputError::LineTooLong { .. } => {
                "write one event a line, each a JSON object ending with a line break".into()
            }
            _ => {
                "an event reads {\"kind\":\"new\",\"app\":\"Calendar\",\"entity\":\"event\",\"record\":{…}}, with \"actor\" and \"changed\" if the app tells them".into()
            }
        })
    }
}

/// The required fields a new record of a declared entity lacks, as an error.
pub fn missing_fields(program: &Program, entity: EntityId, record: &Record) -> Option<InputError> {
    let e = program.entity(entity);
    if !e.declared {
        return None;
    }
    let missing: Vec<Arc<str>> = e
        .fields
        .iter()
        .zip(record.fields())
        .filter(|(f, v)| f.required && **v == Value::None)
        .map(|(f, _)| f.name.clone())
        .collect();
    (!missing.is_empty()).then(|| InputError::MissingFields {
        entity: e.name.clone(),
        fields: missing,
    })
}

/// A line that could not be run: where it is and what is wrong.
#[derive(Clone, Debug)]
pub struct BadLine {
    /// The input as the user named it (`events.jsonl`, or `stdin`).
    pub source: Arc<str>,
    pub line: usize,
    pub error: InputError,
}

impl Report for BadLine {
    fn report(&self) -> Diagnostic {
        let mut notes = vec![match self.error {
            InputError::LineTooLong { .. } => format!(
                "weir stopped reading {} at line {}; that line and those after it did not run",
                self.source, self.line
            ),
            _ => format!(
                "line {} of {} was skipped; the other lines still run",
                self.line, self.source
            ),
        }];
        if let Some(text) = self.error.help() {
            notes.push(help(text));
        }
        diagnostic::new(
            Code::R0303,
            format!("{}:{}: {}", self.source, self.line, self.error),
        )
        .with_notes(notes)
    }
}

/// Reads input lines for one program.
pub struct Decoder<'p> {
    program: &'p Program,
    user: Label,
    engine: Label,
}

impl<'p> Decoder<'p> {
    pub fn new(program: &'p Program) -> Decoder<'p> {
        Decoder {
            program,
            user: Arc::from("user"),
            engine: program.engine.clone(),
        }
    }

    /// Decodes one line read as bytes: a line that is not UTF-8 is a bad line, not the end of
    /// the input.
    pub fn decode_bytes(&self, line: usize, text: &[u8]) -> Result<InputEvent, InputError> {
        match std::str::from_utf8(text) {
            Ok(text) => self.decode(line, text),
            Err(err) => Err(InputError::Json(format!(
                "the line is not UTF-8 text (byte {} is not valid)",
                err.valid_up_to() + 1
            ))),
        }
    }

    /// Decodes one line (numbered from 1).
    pub fn decode(&self, line: usize, text: &str) -> Result<InputEvent, InputError> {
        let mut problem = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let seed = LineSeed {
            decoder: self,
            problem: &mut problem,
        };
        let result = seed.deserialize(&mut de).and_then(|parts| {
            de.end()?;
            Ok(parts)
        });
        let parts = match result {
            Ok(parts) => parts,
            Err(err) => return Err(problem.unwrap_or_else(|| json_problem(&err))),
        };
        let Parts {
            kind,
            entity,
            record,
            raw,
            actor,
        } = parts;
        let kind = kind.ok_or(InputError::MissingKey("kind"))?;
        let entity = entity.ok_or(InputError::MissingKey("entity"))?;
        let (record, given, id) = match (record, raw) {
            (Some(decoded), _) => decoded,
            (None, Some(raw)) => {
                let mut problem = None;
                let seed = RecordSeed {
                    decoder: self,
                    entity,
                    problem: &mut problem,
                };
                match seed.deserialize(raw) {
                    Ok(decoded) => decoded,
                    Err(err) => {
                        return Err(problem.unwrap_or_else(|| InputError::Json(err.to_string())));
                    }
                }
            }
            (None, None) => return Err(InputError::MissingKey("record")),
        };
        self.finish(line, kind, entity, (record, given, id), actor)
    }

    /// Decodes a webhook's body: the record of an event whose kind, app and entity the route
    /// gives, read in one pass as a line's record is.
    pub fn decode_record_event(
        &self,
        kind: EventKind,
        entity: EntityId,
        body: &str,
        actor: Option<&str>,
    ) -> Result<InputEvent, InputError> {
        let mut problem = None;
        let mut de = serde_json::Deserializer::from_str(body);
        let seed = RecordSeed {
            decoder: self,
            entity,
            problem: &mut problem,
        };
        let decoded = seed.deserialize(&mut de).and_then(|decoded| {
            de.end()?;
            Ok(decoded)
        });
        match decoded {
            Ok(decoded) => self.finish(1, kind, entity, decoded, actor.map(|a| self.label(a))),
            Err(err) => Err(problem.unwrap_or_else(|| json_problem(&err))),
        }
    }

    /// What every event must have once its record is read.
    fn finish(
        &self,
        line: usize,
        kind: EventKind,
        entity: EntityId,
        (mut record, given, id): Decoded,
        actor: Option<Label>,
    ) -> Result<InputEvent, InputError> {
        let e = self.program.entity(entity);
        let lacks = |(f, v): (&crate::program::Field, &Value)| f.required && *v == Value::None;
        match kind {
            EventKind::New if e.declared && e.fields.iter().zip(record.fields()).any(lacks) => {
                let missing = e
                    .fields
                    .iter()
                    .zip(record.fields())
                    .filter(|pair| lacks(*pair))
                    .map(|(f, _)| f.name.clone())
                    .collect();
                return Err(InputError::MissingFields {
                    entity: e.name.clone(),
                    fields: missing,
                });
            }
            EventKind::New => {}
            EventKind::Updated | EventKind::Deleted if id.is_none() => {
                return Err(InputError::NeedsId(kind));
            }
            _ => {}
        }
        record.id = id.unwrap_or(0);
        // An app that promises to report actors and names none is not trusted: the event runs
        // as from no one, and the run-time guard holds it (R0305).
        let actor = actor.unwrap_or_else(|| {
            if self.program.app(e.app).reports_actor {
                Arc::from(super::guard::NO_ACTOR)
            } else {
                self.user.clone()
            }
        });
        Ok(InputEvent {
            line,
            kind,
            entity,
            id,
            record,
            given,
            actor,
        })
    }

    fn label(&self, text: &str) -> Label {
        if text == &*self.user {
            self.user.clone()
        } else if text == &*self.engine {
            self.engine.clone()
        } else {
            Arc::from(text)
        }
    }

    fn unknown_app(&self, name: &str) -> InputError {
        let names = self.program.apps.iter().map(|a| &*a.name);
        InputError::UnknownApp {
            name: name.to_string(),
            suggestion: crate::suggest::closest(name, names).map(Arc::from),
        }
    }

    fn unknown_entity(&self, app: AppId, name: &str) -> InputError {
        let a = self.program.app(app);
        let names = self
            .program
            .entities_of(app)
            .map(|e| &*self.program.entity(e).name);
        InputError::UnknownEntity {
            app: a.name.clone(),
            name: name.to_string(),
            suggestion: crate::suggest::closest(name, names).map(Arc::from),
        }
    }

    fn entity(&self, app: AppId, name: &str) -> Result<EntityId, InputError> {
        self.program
            .entity_named(app, name)
            .ok_or_else(|| self.unknown_entity(app, name))
    }
}

/// serde_json's message, with the column but without "line 1" (every input line is one line).
fn json_problem(err: &serde_json::Error) -> InputError {
    let text = err.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let message = match err.classify() {
        serde_json::error::Category::Eof => {
            format!(
                "it ends before its JSON object does (at column {}): a `}}` or `\"` is missing",
                err.column()
            )
        }
        serde_json::error::Category::Syntax => {
            format!(
                "it is not valid JSON (the problem is at column {})",
                err.column()
            )
        }
        _ => message.to_string(),
    };
    InputError::Json(message)
}

fn stash<E: de::Error>(slot: &mut Option<InputError>, problem: InputError) -> E {
    *slot = Some(problem);
    E::custom("see the stashed problem")
}

/// Decodes a record already read as JSON (a state file, a held event): `(record, given, id)`.
pub(crate) fn decode_record(
    program: &Program,
    entity: EntityId,
    json: serde_json::Value,
) -> Result<Decoded, InputError> {
    let decoder = Decoder::new(program);
    let mut problem = None;
    let seed = RecordSeed {
        decoder: &decoder,
        entity,
        problem: &mut problem,
    };
    seed.deserialize(json)
        .map_err(|err| problem.unwrap_or_else(|| InputError::Json(err.to_string())))
}

/// Decodes one value already read as JSON, as a field of type `ty` wants it.
pub(crate) fn decode_value(
    program: &Program,
    field: &Arc<str>,
    ty: &Type,
    json: serde_json::Value,
) -> Result<Value, InputError> {
    let decoder = Decoder::new(program);
    let mut problem = None;
    let seed = ValueSeed {
        decoder: &decoder,
        field,
        ty,
        problem: &mut problem,
    };
    seed.deserialize(json)
        .map_err(|err| problem.unwrap_or_else(|| InputError::Json(err.to_string())))
}
