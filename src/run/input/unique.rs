//! JSON read with every object's keys told apart. serde_json keeps the last of two equal keys,
//! so `{"kind":"new", …, "kind":"deleted"}` would run as a deletion; weir refuses it instead.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::{InputError, stash};

/// Reads a JSON document whose objects give each key once: a webhook's body, for instance.
/// A repeated key is an error that names it.
pub fn parse_unique(text: &str) -> Result<Json, serde_json::Error> {
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let json = UniqueJson {
        problem: &mut problem,
    }
    .deserialize(&mut de)
    .and_then(|json| de.end().map(|()| json));
    match (json, problem) {
        (Err(_), Some(problem)) => Err(de::Error::custom(problem)),
        (json, _) => json,
    }
}

/// The message of a key given twice, for serde's errors.
pub(super) fn twice<E: de::Error>(slot: &mut Option<InputError>, key: &str) -> E {
    stash(
        slot,
        InputError::DuplicateKey {
            key: key.to_string(),
        },
    )
}

/// A JSON value of any shape, refusing objects with a key given twice (at any depth).
pub(super) struct UniqueJson<'a> {
    pub problem: &'a mut Option<InputError>,
}

impl<'de> DeserializeSeed<'de> for UniqueJson<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueJson<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Json, E> {
        Ok(Json::from(n))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Json, E> {
        Ok(Json::from(n))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Json, S::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(UniqueJson {
            problem: &mut *self.problem,
        })? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Json, M::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(twice(self.problem, &key));
            }
            let value = map.next_value_seed(UniqueJson {
                problem: &mut *self.problem,
            })?;
            out.insert(key, value);
        }
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_named() {
        let err = parse_unique(r#"{"a": 1, "b": {"c": 2, "c": 3}}"#).unwrap_err();
        assert!(err.to_string().contains("`c` is given twice"), "{err}");
        let json = parse_unique(r#"{"a": [1, {"b": null}], "c": "d"}"#).unwrap();
        assert_eq!(json["a"][1]["b"], Json::Null);
    }

    #[test]
    fn a_webhook_body_with_a_field_twice_is_refused_with_its_name() {
        let text = "app A { thing { x: number } }\non new thing in A do notify \"new\"\n";
        let loaded = crate::load::parse_all(vec![("t.weir".into(), text.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        let program = checked.program;
        let app = program.app_named("A").unwrap();
        let entity = program.entity_named(app, "thing").unwrap();
        let decoder = super::super::Decoder::new(&program);
        let kind = crate::ast::EventKind::New;
        let err = decoder
            .decode_record_event(kind, entity, r#"{"x": 1, "x": 2}"#, None)
            .unwrap_err();
        assert_eq!(err, InputError::DuplicateKey { key: "x".into() });
        assert!(
            decoder
                .decode_record_event(kind, entity, r#"{"x": 1}"#, None)
                .is_ok()
        );
    }
}
