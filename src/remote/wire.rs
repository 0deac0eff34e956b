//! A record on the wire: the body a write sends (JSON or form-encoded, inside an envelope,
//! with each field under its wire name), and a record read back from a reply.
//!
//! ```text
//! contact { first_name: text? as "firstname" }, body json at "properties"
//!     { first_name: "Ana" }  ⇄  {"properties": {"firstname": "Ana"}}
//! customer { city: text? as "address.city" }, body form
//!     { city: "Lyon" }       →  address[city]=Lyon
//! ```

use serde_json::{Map, Value as Json};

use super::http::Body;
use super::mapping::{Mapping, WirePath, get, put, show_path};
use super::times;
use crate::program::{EntityId, FieldId, Program};
use crate::run::apps::{Record, RecordView};
use crate::run::input;
use crate::types::Type;
use crate::value::Value;

/// The body of a write: every field with a value, or for an update the fields it writes
/// (an emptied one as `null`, or an empty value in a form).
pub fn encode(
    program: &Program,
    entity: EntityId,
    mapping: &Mapping,
    record: RecordView,
    only: Option<&[(FieldId, Value)]>,
) -> Body {
    let e = program.entity(entity);
    let mut fields = Map::new();
    for (i, value) in record.fields.iter().enumerate().take(e.fields.len()) {
        let written = only.is_none_or(|fields| fields.iter().any(|(f, _)| f.0 == i));
        if written && (*value != Value::None || only.is_some()) {
            put(&mut fields, &mapping.wire[i], value.as_json());
        }
    }
    for (name, value) in record.extras() {
        fields.insert(name.to_string(), value.as_json());
    }
    let json = match &mapping.body.envelope {
        Some(envelope) => {
            let mut outer = Map::new();
            put(&mut outer, envelope, Json::Object(fields));
            outer
        }
        None => fields,
    };
    if mapping.body.form {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (key, value) in &json {
            flatten(&mut form, key.clone(), value);
        }
        Body::form(form.finish().into_bytes())
    } else {
        Body::json(serde_json::to_vec(&Json::Object(json)).unwrap_or_default())
    }
}

/// `address[city]=Lyon`, `tags[0]=a`: nested values as the bracketed names form-encoded APIs
/// (Stripe, Rails, PHP) read; an empty value (`none`) is an empty text, which clears a field.
fn flatten(form: &mut form_urlencoded::Serializer<String>, key: String, value: &Json) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                flatten(form, format!("{key}[{k}]"), v);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(form, format!("{key}[{i}]"), v);
            }
        }
        Json::Null => {
            form.append_pair(&key, "");
        }
        Json::String(s) => {
            form.append_pair(&key, s);
        }
        other => {
            form.append_pair(&key, &other.to_string());
        }
    }
}

/// A record from a reply: its id (where the mapping says it is) and the fields the script
/// knows. `None` where the reply is not a record of this entity.
pub fn decode(
    program: &Program,
    entity: EntityId,
    mapping: &Mapping,
    json: &Json,
) -> Option<(Option<String>, Record)> {
    json.as_object()?;
    let e = program.entity(entity);
    let app_id = get(json, &mapping.id_at).and_then(id_text);
    let inner = match &mapping.body.envelope {
        Some(envelope) => get(json, envelope)?,
        None => json,
    };
    let mut known = Map::new();
    if e.declared {
        for (i, field) in e.fields.iter().enumerate() {
            let calendar = (*field.ty.unwrapped() == Type::Time)
                .then(|| times::read(inner, &mapping.wire[i]))
                .flatten();
            if let Some(value) = calendar.or_else(|| get(inner, &mapping.wire[i]).cloned()) {
                known.insert(field.name.to_string(), value);
            }
        }
    } else {
        for (key, value) in inner.as_object()? {
            if !(mapping.id_at.len() == 1 && *key == *mapping.id_at[0]) {
                known.insert(key.clone(), value.clone());
            }
        }
    }
    let (record, _, _) = input::decode_record(program, entity, Json::Object(known)).ok()?;
    Some((app_id, record))
}

/// An app's id as text: `"t-7"` or `42`.
pub fn id_text(json: &Json) -> Option<String> {
    match json {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The records of a list reply: at `records at`, or (weir's own mapping) the reply itself as
/// an array, or its `items`, `records` or `data`. `Err` names where they were looked for.
pub fn records<'j>(mapping: &Mapping, json: &'j Json) -> Result<&'j [Json], String> {
    if let Some(at) = &mapping.records_at {
        return get(json, at)
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .ok_or_else(|| format!("a list of records at `{}`", show_path(at)));
    }
    match json {
        Json::Array(items) => Ok(items),
        Json::Object(o) => Ok(["items", "records", "data"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Json::as_array))
            .map_or(&[][..], Vec::as_slice)),
        _ if mapping.declared => Err("a list of records".to_string()),
        _ => Ok(&[]),
    }
}

/// `number`, for messages about where an id was looked for.
pub fn show_id_at(path: &WirePath) -> String {
    show_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::mapping::{BodyShape, wire_path};
    use serde_json::json;

    fn mapping(form: bool, envelope: Option<&str>) -> Mapping {
        let mut m = Mapping::rest(
            "contact",
            vec![
                wire_path("email"),
                wire_path("firstname"),
                wire_path("address.city"),
            ],
        );
        m.body = BodyShape {
            form,
            envelope: envelope.map(wire_path),
        };
        m
    }

    fn program() -> Program {
        let src = r#"app Crm at "http://127.0.0.1:1" {
          contact { email: text, first_name: text? as "firstname", city: text? as "address.city" }
        }"#;
        let loaded = crate::load::parse_all(vec![("crm.weir".to_string(), src.to_string())]);
        assert!(loaded.diagnostics.is_empty(), "the test's script parses");
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors(), "the test's script checks");
        checked.program
    }

    #[test]
    fn json_in_an_envelope_goes_out_and_comes_back() {
        let p = program();
        let m = mapping(false, Some("properties"));
        let values = [
            Value::text("a@b.c"),
            Value::text("Ana"),
            Value::text("Lyon"),
        ];
        let record = Record::from_parts(0, &values, None);
        let body = encode(&p, EntityId(0), &m, record.view(), None);
        let sent: Json = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(
            sent,
            json!({"properties": {"email": "a@b.c", "firstname": "Ana", "address": {"city": "Lyon"}}})
        );
        let reply = json!({"id": "512", "properties": sent["properties"].clone()});
        let (id, back) = decode(&p, EntityId(0), &m, &reply).expect("a record");
        assert_eq!(id.as_deref(), Some("512"));
        assert_eq!(back.fields(), &values[..]);
    }

    #[test]
    fn a_form_body_brackets_nested_names() {
        let p = program();
        let m = mapping(true, None);
        let values = [Value::text("a@b.c"), Value::None, Value::text("Lyon")];
        let record = Record::from_parts(0, &values, None);
        let body = encode(&p, EntityId(0), &m, record.view(), None);
        assert_eq!(body.content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            String::from_utf8(body.bytes).unwrap(),
            "address%5Bcity%5D=Lyon&email=a%40b.c"
        );
    }

    #[test]
    fn a_list_reply_without_records_where_they_should_be_is_an_error() {
        let mut m = mapping(false, None);
        m.records_at = Some(wire_path("results"));
        assert_eq!(
            records(&m, &json!({"results": [1, 2]})).map(<[Json]>::len),
            Ok(2)
        );
        assert_eq!(
            records(&m, &json!({"data": []})),
            Err("a list of records at `results`".to_string())
        );
    }
}
