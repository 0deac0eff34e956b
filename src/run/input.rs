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
//! an update writes only the fields the line gives. `actor` (default `user`) is the origin
//! where the app `reports actor`; `changed` is accepted and ignored (the simulator works out
//! what changed).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::apps::{FieldSet, Record, RecordId, RecordRef};
use crate::ast::EventKind;
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help};
use crate::program::{AppId, EntityId, FieldId, Program};
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
        found: &'static str,
    },
    BadValue {
        field: Arc<str>,
        expected: Type,
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
                expected,
                found,
            } => write!(
                f,
                "`{field}` is a {} field, but the line gives {found}",
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
    fn help(&self) -> Option<String> {
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
            } => "write times in RFC 3339, as in \"2030-01-02T09:00:00Z\"".into(),
            InputError::BadValue { .. } => "write durations as weir does, as in \"1h30m\"".into(),
            InputError::BadId(_) => "ids look like \"Calendar/event/1\" (or just 1)".into(),
            InputError::NeedsId(_) => {
                "add the record's id, as in \"record\": {\"id\": \"Calendar/event/1\", …}".into()
            }
            _ => return None,
        })
    }
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
        let mut notes = vec![format!(
            "line {} of {} was skipped; the other lines still run",
            self.line, self.source
        )];
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
        let (mut record, given, id) = match (record, raw) {
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
        Ok(InputEvent {
            line,
            kind,
            entity,
            id,
            record,
            given,
            actor: actor.unwrap_or_else(|| self.user.clone()),
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

    fn app(&self, name: &str) -> Result<AppId, InputError> {
        self.program.app_named(name).ok_or_else(|| {
            let names = self.program.apps.iter().map(|a| &*a.name);
            InputError::UnknownApp {
                name: name.to_string(),
                suggestion: crate::suggest::closest(name, names).map(Arc::from),
            }
        })
    }

    fn entity(&self, app: AppId, name: &str) -> Result<EntityId, InputError> {
        self.program.entity_named(app, name).ok_or_else(|| {
            let a = self.program.app(app);
            let names = a.entities.iter().map(|e| &*self.program.entity(*e).name);
            InputError::UnknownEntity {
                app: a.name.clone(),
                name: name.to_string(),
                suggestion: crate::suggest::closest(name, names).map(Arc::from),
            }
        })
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
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("malformed JSON at column {}: {message}", err.column())
        }
        _ => message.to_string(),
    };
    InputError::Json(message)
}

fn stash<E: de::Error>(slot: &mut Option<InputError>, problem: InputError) -> E {
    *slot = Some(problem);
    E::custom("see the stashed problem")
}

/// A record decoded in its layout, the fields given, and the id.
type Decoded = (Record, FieldSet, Option<RecordId>);

#[derive(Default)]
struct Parts {
    kind: Option<EventKind>,
    entity: Option<EntityId>,
    record: Option<Decoded>,
    /// The record, when it came before the app and entity were known.
    raw: Option<serde_json::Value>,
    actor: Option<Label>,
}

/// Calls a function on a string value without copying it.
struct Str<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for Str<F> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for Str<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(s))
    }
}

/// The keys of an input line.
enum Key {
    Kind,
    App,
    Entity,
    Record,
    Actor,
    Changed,
}

struct LineSeed<'a, 'p> {
    decoder: &'a Decoder<'p>,
    problem: &'a mut Option<InputError>,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_, '_> {
    type Value = Parts;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parts, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_, '_> {
    type Value = Parts;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Parts, M::Error> {
        let d = self.decoder;
        let mut parts = Parts::default();
        let mut app: Option<AppId> = None;
        let mut entity_name: Option<String> = None;
        while let Some(key) = map.next_key_seed(Str(|k: &str| match k {
            "kind" => Ok(Key::Kind),
            "app" => Ok(Key::App),
            "entity" => Ok(Key::Entity),
            "record" => Ok(Key::Record),
            "actor" => Ok(Key::Actor),
            "changed" => Ok(Key::Changed),
            other => Err(other.to_string()),
        }))? {
            let key = match key {
                Ok(key) => key,
                Err(key) => {
                    let suggestion = crate::suggest::closest(&key, KEYS.iter().copied())
                        .and_then(|s| KEYS.iter().copied().find(|k| *k == s));
                    return Err(stash(
                        self.problem,
                        InputError::UnknownKey { key, suggestion },
                    ));
                }
            };
            match key {
                Key::Kind => {
                    let kind = map.next_value_seed(Str(|k: &str| match k {
                        "new" => Ok(EventKind::New),
                        "updated" => Ok(EventKind::Updated),
                        "deleted" => Ok(EventKind::Deleted),
                        other => Err(other.to_string()),
                    }))?;
                    match kind {
                        Ok(kind) => parts.kind = Some(kind),
                        Err(other) => {
                            return Err(stash(self.problem, InputError::UnknownKind(other)));
                        }
                    }
                }
                Key::App => match map.next_value_seed(Str(|name: &str| d.app(name)))? {
                    Ok(id) => app = Some(id),
                    Err(problem) => return Err(stash(self.problem, problem)),
                },
                Key::Entity => match app {
                    Some(app) => {
                        match map.next_value_seed(Str(|name: &str| d.entity(app, name)))? {
                            Ok(id) => parts.entity = Some(id),
                            Err(problem) => return Err(stash(self.problem, problem)),
                        }
                    }
                    None => entity_name = Some(map.next_value_seed(Str(str::to_string))?),
                },
                Key::Record => match parts.entity {
                    Some(entity) => {
                        let seed = RecordSeed {
                            decoder: d,
                            entity,
                            problem: &mut *self.problem,
                        };
                        parts.record = Some(map.next_value_seed(seed)?);
                    }
                    None => parts.raw = Some(map.next_value()?),
                },
                Key::Actor => {
                    parts.actor = Some(map.next_value_seed(Str(|a: &str| d.label(a)))?);
                }
                Key::Changed => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let app = app.ok_or_else(|| stash(self.problem, InputError::MissingKey("app")))?;
        if let Some(name) = entity_name {
            match d.entity(app, &name) {
                Ok(id) => parts.entity = Some(id),
                Err(problem) => return Err(stash(self.problem, problem)),
            }
        }
        Ok(parts)
    }
}

/// Decodes a record into its entity's layout.
struct RecordSeed<'a, 'p> {
    decoder: &'a Decoder<'p>,
    entity: EntityId,
    problem: &'a mut Option<InputError>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = Decoded;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decoded, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// A key of a record: a field, the id, or (for an open entity) a field the script never names.
enum FieldKey {
    Field(FieldId),
    Id,
    Extra(Arc<str>),
    Unknown(String),
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Decoded, M::Error> {
        let program = self.decoder.program;
        let e = program.entity(self.entity);
        let mut record = Record::empty(e.fields.len());
        let values = record.fields_mut();
        let mut extras = Vec::new();
        let mut given = FieldSet::default();
        let mut id = None;
        while let Some(key) = map.next_key_seed(Str(|k: &str| {
            match e.fields.iter().position(|f| &*f.name == k) {
                Some(i) => FieldKey::Field(FieldId(i)),
                None if k == "id" => FieldKey::Id,
                None if !e.declared => FieldKey::Extra(Arc::from(k)),
                None => FieldKey::Unknown(k.to_string()),
            }
        }))? {
            match key {
                FieldKey::Field(field) => {
                    let f = &e.fields[field.0];
                    let seed = ValueSeed {
                        decoder: self.decoder,
                        field: &f.name,
                        ty: &f.ty,
                        problem: &mut *self.problem,
                    };
                    values[field.0] = map.next_value_seed(seed)?;
                    given.insert(field);
                }
                FieldKey::Id => {
                    let entity = self.entity;
                    let parsed = map.next_value_seed(IdSeed(|text: &str| {
                        RecordRef::parse_id(program, entity, text).ok_or_else(|| text.to_string())
                    }))?;
                    match parsed {
                        Ok(n) => id = Some(n),
                        Err(text) => return Err(stash(self.problem, InputError::BadId(text))),
                    }
                }
                FieldKey::Extra(name) => {
                    let seed = ValueSeed {
                        decoder: self.decoder,
                        field: &name,
                        ty: &Type::Any,
                        problem: &mut *self.problem,
                    };
                    let value = map.next_value_seed(seed)?;
                    extras.push((name, value));
                }
                FieldKey::Unknown(field) => {
                    let names = e.fields.iter().map(|f| &*f.name);
                    let suggestion = crate::suggest::closest(&field, names).map(Arc::from);
                    return Err(stash(
                        self.problem,
                        InputError::UnknownField {
                            app: program.app(e.app).name.clone(),
                            entity: e.name.clone(),
                            field,
                            suggestion,
                        },
                    ));
                }
            }
        }
        for (name, value) in extras {
            record.set_extra(name, value);
        }
        Ok((record, given, id))
    }
}

/// Reads an id: a number, or text that `parse` turns into one.
struct IdSeed<F>(F);

impl<'de, F: FnOnce(&str) -> Result<RecordId, String>> DeserializeSeed<'de> for IdSeed<F> {
    type Value = Result<RecordId, String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnOnce(&str) -> Result<RecordId, String>> Visitor<'de> for IdSeed<F> {
    type Value = Result<RecordId, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(if n > 0 { Ok(n) } else { Err(n.to_string()) })
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Err(n.to_string()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(Err(n.to_string()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok((self.0)(s))
    }
}

/// Decodes one value as the field's type wants it.
struct ValueSeed<'a, 'p> {
    decoder: &'a Decoder<'p>,
    field: &'a Arc<str>,
    ty: &'a Type,
    problem: &'a mut Option<InputError>,
}

impl<'a> ValueSeed<'a, '_> {
    /// The type without `?`, and whether `null` is allowed.
    fn wanted(&self) -> (&'a Type, bool) {
        match self.ty {
            Type::Optional(inner) => (inner, true),
            Type::Any => (&Type::Any, true),
            other => (other, false),
        }
    }

    fn mismatch<E: de::Error>(self, found: &'static str) -> E {
        let problem = InputError::WrongType {
            field: self.field.clone(),
            expected: self.ty.clone(),
            found,
        };
        stash(self.problem, problem)
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a value of type {}", self.ty)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.wanted().0 {
            Type::Bool | Type::Any => Ok(Value::Bool(b)),
            _ => Err(self.mismatch("true or false")),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        self.visit_f64(n as f64)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        self.visit_f64(n as f64)
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        match self.wanted().0 {
            Type::Number | Type::Any => Ok(Value::Number(n)),
            Type::Duration if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(Value::Duration(n as i64)),
            _ => Err(self.mismatch("a number")),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        let bad_value = |seed: ValueSeed, expected: Type| {
            let problem = InputError::BadValue {
                field: seed.field.clone(),
                expected,
                text: s.to_string(),
            };
            stash(seed.problem, problem)
        };
        match self.wanted().0 {
            Type::Text | Type::Any => Ok(Value::Text(smol_str::SmolStr::new(s))),
            Type::Origin => Ok(Value::Label(self.decoder.label(s))),
            Type::Time => match crate::value::parse_time(s) {
                Some(t) => Ok(Value::Time(t)),
                None => Err(bad_value(self, Type::Time)),
            },
            Type::Duration => match crate::value::parse_duration(s) {
                Some(d) => Ok(Value::Duration(d)),
                None => Err(bad_value(self, Type::Duration)),
            },
            _ => Err(self.mismatch("text")),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        if self.wanted().1 {
            Ok(Value::None)
        } else {
            Err(self.mismatch("null"))
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Value, S::Error> {
        let element = match self.wanted().0 {
            Type::List(element) => &**element,
            Type::Any => &Type::Any,
            _ => return Err(self.mismatch("a list")),
        };
        let mut items = Vec::new();
        loop {
            let seed = ValueSeed {
                decoder: self.decoder,
                field: self.field,
                ty: element,
                problem: &mut *self.problem,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        Ok(Value::List(Arc::from(items)))
    }

    fn visit_map<M: MapAccess<'de>>(self, _map: M) -> Result<Value, M::Error> {
        Err(self.mismatch("an object"))
    }
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
