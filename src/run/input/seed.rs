//! The serde seeds that read an input line straight into the script's layout.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::unique::{UniqueJson, twice};
use super::{Decoder, InputError, KEYS, stash};
use crate::ast::EventKind;
use crate::program::{AppId, EntityId, FieldId};
use crate::run::apps::{FieldSet, Record, RecordId, RecordRef};
use crate::types::Type;
use crate::value::{Label, Value};

/// A record decoded in its layout, the fields given, and the id.
pub(super) type Decoded = (Record, FieldSet, Option<RecordId>);

#[derive(Default)]
pub(super) struct Parts {
    pub kind: Option<EventKind>,
    pub entity: Option<EntityId>,
    pub record: Option<Decoded>,
    /// The record, when it came before the app and entity were known.
    pub raw: Option<serde_json::Value>,
    pub actor: Option<Label>,
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
#[derive(Clone, Copy)]
enum Key {
    Kind,
    App,
    Entity,
    Record,
    Actor,
    Changed,
}

pub(super) struct LineSeed<'a, 'p> {
    pub decoder: &'a Decoder<'p>,
    pub problem: &'a mut Option<InputError>,
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

    #[expect(
        clippy::too_many_lines,
        reason = "serde's visitor for an event object: one arm per key, then the checks that need all of them"
    )]
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Parts, M::Error> {
        let d = self.decoder;
        let mut parts = Parts::default();
        let mut app: Option<AppId> = None;
        let mut entity_name: Option<String> = None;
        let mut seen = [false; KEYS.len()];
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
            if std::mem::replace(&mut seen[key as usize], true) {
                return Err(twice(self.problem, KEYS[key as usize]));
            }
            match key {
                Key::Kind => {
                    let kind = map.next_value_seed(Str(|k: &str| k.parse::<EventKind>()))?;
                    match kind {
                        Ok(kind) => parts.kind = Some(kind),
                        Err(other) => {
                            return Err(stash(self.problem, InputError::UnknownKind(other)));
                        }
                    }
                }
                // Names are looked up where they lie; only a name that is not found is copied,
                // to say so.
                Key::App => {
                    let found = map.next_value_seed(Str(|name: &str| {
                        d.program.app_named(name).ok_or_else(|| name.to_string())
                    }))?;
                    match found {
                        Ok(id) => app = Some(id),
                        Err(name) => return Err(stash(self.problem, d.unknown_app(&name))),
                    }
                }
                Key::Entity => match app {
                    Some(app) => {
                        let found = map.next_value_seed(Str(|name: &str| {
                            d.program
                                .entity_named(app, name)
                                .ok_or_else(|| name.to_string())
                        }))?;
                        match found {
                            Ok(id) => parts.entity = Some(id),
                            Err(name) => {
                                return Err(stash(self.problem, d.unknown_entity(app, &name)));
                            }
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
                    None => {
                        let seed = UniqueJson {
                            problem: &mut *self.problem,
                        };
                        parts.raw = Some(map.next_value_seed(seed)?);
                    }
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
pub(super) struct RecordSeed<'a, 'p> {
    pub decoder: &'a Decoder<'p>,
    pub entity: EntityId,
    pub problem: &'a mut Option<InputError>,
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
                FieldKey::Field(field) if given.contains(field) => {
                    return Err(twice(self.problem, &e.fields[field.0].name));
                }
                FieldKey::Id if id.is_some() => return Err(twice(self.problem, "id")),
                FieldKey::Extra(name) if extras.iter().any(|(n, _)| *n == name) => {
                    return Err(twice(self.problem, &name));
                }
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
pub(super) struct ValueSeed<'a, 'p> {
    pub decoder: &'a Decoder<'p>,
    pub field: &'a Arc<str>,
    pub ty: &'a Type,
    pub problem: &'a mut Option<InputError>,
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

    fn mismatch<E: de::Error>(self, found: impl Into<std::borrow::Cow<'static, str>>) -> E {
        let problem = InputError::WrongType {
            field: self.field.clone(),
            expected: self.ty.clone(),
            found: found.into(),
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
            Type::Choice(choices) if choices.iter().any(|c| &**c == s) => {
                Ok(Value::Text(smol_str::SmolStr::new(s)))
            }
            Type::Choice(choices) => {
                let problem = InputError::NotAChoice {
                    field: self.field.clone(),
                    choices: choices.clone(),
                    text: s.to_string(),
                };
                Err(stash(self.problem, problem))
            }
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

    /// A nested record: its fields as its type declares them, in that order; keys it does
    /// not declare are skipped. A field of type `any` keeps every key, in the object's order.
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Value, M::Error> {
        let types: Option<&[(Arc<str>, Type)]> = match self.wanted().0 {
            Type::Nested(types) => Some(types),
            Type::Any => None,
            _ => return Err(self.mismatch("an object")),
        };
        let mut values: Vec<(Arc<str>, Value)> = match types {
            Some(types) => types
                .iter()
                .map(|(n, _)| (n.clone(), Value::None))
                .collect(),
            None => Vec::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            let (slot, ty) = match types {
                Some(types) => match types.iter().position(|(n, _)| **n == *key) {
                    Some(i) => (Some(i), &types[i].1),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                },
                None => (None, &Type::Any),
            };
            // A problem inside names the nested field by its path: `customer.address`.
            let path: Arc<str> = Arc::from(format!("{}.{key}", self.field));
            let seed = ValueSeed {
                decoder: self.decoder,
                field: &path,
                ty,
                problem: &mut *self.problem,
            };
            let value = map.next_value_seed(seed)?;
            match slot {
                Some(i) => values[i].1 = value,
                None => values.push((Arc::from(key.as_str()), value)),
            }
        }
        if let Some(types) = types
            && let Some(((name, _), _)) = types
                .iter()
                .zip(&values)
                .find(|((_, ty), (_, v))| *v == Value::None && !ty.is_optional())
        {
            return Err(self.mismatch(format!("an object without `{name}`")));
        }
        Ok(Value::Record(Arc::from(values)))
    }
}
