//! Forms (`application/x-www-form-urlencoded`) as providers post them, read as the JSON a
//! webhook's record is read from, then typed as the entity declares its fields.
//!
//! ```text
//! amount=12.5&paid=true&ship[city]=Berlin&tags[]=a&tags[]=b
//!     → {"amount": "12.5", "paid": "true", "ship": {"city": "Berlin"}, "tags": ["a", "b"]}
//!     → with `amount: number, paid: bool, ship: { city: text }, tags: list of text`:
//!       {"amount": 12.5, "paid": true, "ship": {"city": "Berlin"}, "tags": ["a", "b"]}
//! amount=12,50                                    → 422: `amount` is a number field
//! ship[street]=Linden  (no `ship.street` declared) → 422, naming `ship[street]`
//! ```
//!
//! Every value of a form is a text on the wire, so the entity's types say what each one is:
//! a number or a bool is read from its text, and one that does not read is refused naming the
//! form's field. Brackets nest fields as Rails and Stripe write them: `ship[city]` is
//! `ship.city`, `items[0][id]` the `id` of the first of `items`, `tags[]` one more of `tags`.
//! A plain field the entity does not use is left out, as in JSON; a bracketed one is refused,
//! since the sender meant it for a nested field that the script does not have.

use serde_json::{Map, Value as Json};

use super::envelope::Unopened;
use super::hooks::{Means, mapping};
use super::webhook::Problem;
use crate::program::Program;
use crate::types::Type;

/// How deep brackets may nest a field, as deep as JSON bodies may nest (serde_json's limit):
/// deeper is no provider's form, and reading it would take as deep a stack.
const DEEPEST: usize = 128;

/// A form's fields, nested where their names have brackets; the first value of a name counts.
pub fn parse(bytes: &[u8]) -> Result<Map<String, Json>, Unopened> {
    let mut fields = Map::new();
    for (key, value) in form_urlencoded::parse(bytes) {
        let path = segments(&key);
        if path.len() > DEEPEST {
            return Err(Unopened {
                message: format!(
                    "the form has a field nested {} brackets deep, more than the {DEEPEST} weir reads",
                    path.len() - 1
                ),
                help: "send the provider's request unchanged; no provider nests a form's fields so deep"
                    .into(),
            });
        }
        insert(&mut fields, &key, &path, value.into_owned())?;
    }
    for value in fields.values_mut() {
        lists(value);
    }
    Ok(fields)
}

/// `ship[city]` → `ship`, `city`; a name without brackets, or with brackets that do not
/// close, is one plain name.
fn segments(key: &str) -> Vec<&str> {
    let Some(open) = key.find('[').filter(|&at| at > 0) else {
        return vec![key];
    };
    let mut path = vec![&key[..open]];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let Some((inside, after)) = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .filter(|(inside, _)| !inside.contains('['))
        else {
            return vec![key];
        };
        path.push(inside);
        rest = after;
    }
    path
}

fn insert(
    into: &mut Map<String, Json>,
    key: &str,
    path: &[&str],
    value: String,
) -> Result<(), Unopened> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(());
    };
    let clash = || Unopened {
        message: format!(
            "the form gives `{}` both as one value and as fields in brackets",
            path_before(key, rest.len())
        ),
        help: "send each field one way: one value, or its fields in brackets (`ship[city]=…`)"
            .into(),
    };
    match rest {
        [] => match into.get(*first) {
            None => {
                into.insert((*first).to_string(), Json::String(value));
            }
            Some(Json::String(_)) => {}
            Some(_) => return Err(clash()),
        },
        [""] => match into
            .entry((*first).to_string())
            .or_insert_with(|| Json::Array(Vec::new()))
        {
            Json::Array(items) => items.push(Json::String(value)),
            _ => return Err(clash()),
        },
        ["", ..] => {
            return Err(Unopened {
                message: format!("the form's `{key}` has `[]` before more brackets"),
                help: format!("number the items, as in `{}`", key.replacen("[]", "[0]", 1)),
            });
        }
        _ => match into
            .entry((*first).to_string())
            .or_insert_with(|| Json::Object(Map::new()))
        {
            Json::Object(inner) => insert(inner, key, rest, value)?,
            _ => return Err(clash()),
        },
    }
    Ok(())
}

/// The part of `key` before its last `n` bracketed segments: `ship` of `ship[city]`.
fn path_before(key: &str, n: usize) -> &str {
    let mut end = key.len();
    for _ in 0..n {
        end = key[..end].rfind('[').unwrap_or(end);
    }
    &key[..end]
}

/// Objects whose keys are all numbers (`items[0][id]`, `items[1][id]`) become lists, in order.
fn lists(value: &mut Json) {
    match value {
        Json::Object(map) => {
            map.values_mut().for_each(lists);
            let numbered: Option<Vec<usize>> = map.keys().map(|k| k.parse().ok()).collect();
            if let Some(mut numbers) = numbered.filter(|n| !n.is_empty()) {
                numbers.sort_unstable();
                let items = numbers
                    .iter()
                    .filter_map(|n| map.remove(&n.to_string()))
                    .collect();
                *value = Json::Array(items);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(lists),
        _ => {}
    }
}

/// `ship`, `city` as the form writes it: `ship[city]`.
fn bracketed<S: AsRef<str>>(path: &[S]) -> String {
    let mut text = String::new();
    for (i, key) in path.iter().enumerate() {
        match i {
            0 => text.push_str(key.as_ref()),
            _ => text.push_str(&format!("[{}]", key.as_ref())),
        }
    }
    text
}

/// Types the record read from a form (`flat`, keyed by the script's names) as the entity
/// declares it, after refusing a bracketed field of `record` it does not declare.
pub fn fit(
    program: &Program,
    means: &Means,
    record: &Map<String, Json>,
    flat: &mut Map<String, Json>,
) -> Result<(), Problem> {
    let e = program.entity(means.entity);
    let Some(mapping) = mapping(program, means.entity) else {
        return Ok(());
    };
    let mut found = Vec::new();
    for (key, value) in record {
        leaves(value, vec![key.clone()], &mut found);
    }
    let declared = |path: &[String]| {
        let starts = |wire: &[std::sync::Arc<str>]| {
            wire.len() <= path.len() && wire.iter().zip(path).all(|(w, p)| **w == **p)
        };
        (starts(&mapping.id_at) && mapping.id_at.len() == path.len())
            || e.fields
                .iter()
                .zip(&mapping.wire)
                .any(|(field, wire)| starts(wire) && walks(&field.ty, &path[wire.len()..]))
    };
    let undeclared = found
        .iter()
        .find(|path| means.at.len() + path.len() > 1 && !declared(path));
    if let Some(path) = undeclared {
        let sent = bracketed(&[means.at.clone(), path.clone()].concat());
        let dotted = path.join(".");
        return Err(Problem {
            status: 422,
            message: format!(
                "the form has `{sent}`, but `{}` in `{}` declares no `{dotted}`",
                e.name,
                program.app(e.app).name
            ),
            help: format!(
                "declare a field read from it in `{}`, as in `{}: text? as \"{dotted}\"`, or leave `{sent}` out of the form",
                e.name,
                path.join("_")
            ),
        });
    }
    for (field, wire) in e.fields.iter().zip(&mapping.wire) {
        let Some(value) = flat.get_mut(&*field.name) else {
            continue;
        };
        let mut sent = means.at.clone();
        sent.extend(wire.iter().map(|w| w.to_string()));
        let sent = bracketed(&sent);
        typed(value, &field.ty, &field.name, &sent)?;
        if value.is_null() {
            flat.remove(&*field.name);
        }
    }
    Ok(())
}

/// The paths of every value in a form's field, `ship`, `city` for `ship[city]`.
fn leaves(value: &Json, path: Vec<String>, found: &mut Vec<Vec<String>>) {
    let mut under = |key: String, value: &Json| {
        let mut deeper = path.clone();
        deeper.push(key);
        leaves(value, deeper, found);
    };
    match value {
        Json::Object(map) => map.iter().for_each(|(k, v)| under(k.clone(), v)),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| under(i.to_string(), v)),
        _ => found.push(path),
    }
}

/// Whether `rest`, under a field of type `ty`, names a part of it: `city` of a
/// `{ city: text }`, `0` of a list.
fn walks(ty: &Type, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    match ty {
        Type::Optional(inner) => walks(inner, path),
        Type::Nested(fields) => fields
            .iter()
            .any(|(name, ty)| **name == **first && walks(ty, rest)),
        Type::List(inner) => first.parse::<usize>().is_ok() && walks(inner, rest),
        Type::Any => true,
        _ => false,
    }
}

/// A form's text as the type of its field says: `12.5` a number, `true` a bool; inside a
/// nested field or a list, each part as its own type. An empty text of an optional number or
/// bool is no value (`null`), as a form sends an empty input.
fn typed(value: &mut Json, ty: &Type, field: &str, sent: &str) -> Result<(), Problem> {
    match (ty, &mut *value) {
        (Type::Optional(inner), Json::String(text))
            if text.trim().is_empty() && matches!(**inner, Type::Number | Type::Bool) =>
        {
            *value = Json::Null;
            Ok(())
        }
        (Type::Optional(inner), _) => typed(value, inner, field, sent),
        (Type::Number, Json::String(text)) => match text.trim().parse::<Json>() {
            Ok(number @ Json::Number(_)) => {
                *value = number;
                Ok(())
            }
            _ => Err(unread(ty, field, sent, text, "a number", "12.5")),
        },
        (Type::Bool, Json::String(text)) => match text.trim() {
            "true" | "false" => {
                *value = Json::Bool(text.trim() == "true");
                Ok(())
            }
            _ => Err(unread(ty, field, sent, text, "`true` or `false`", "true")),
        },
        (Type::Nested(fields), Json::Object(map)) => {
            for (name, ty) in fields.iter() {
                if let Some(part) = map.get_mut(&**name) {
                    typed(
                        part,
                        ty,
                        &format!("{field}.{name}"),
                        &format!("{sent}[{name}]"),
                    )?;
                }
            }
            Ok(())
        }
        (Type::List(inner), Json::Array(items)) => items
            .iter_mut()
            .enumerate()
            .try_for_each(|(i, item)| typed(item, inner, field, &format!("{sent}[{i}]"))),
        // Texts, times and choices are read from the text as JSON's are; a value of the wrong
        // shape (fields where a text goes) is the record check's to refuse.
        _ => Ok(()),
    }
}

fn unread(ty: &Type, field: &str, sent: &str, text: &str, what: &str, example: &str) -> Problem {
    Problem {
        status: 422,
        message: format!("`{field}` is a {ty} field, but the form gives `{text}`"),
        help: format!("send {what} in the form's `{sent}`, as in `{sent}={example}`"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn brackets_nest_fields_and_numbered_ones_make_lists() {
        let form = b"amount=12&ship%5Bcity%5D=Berlin&ship[zip]=10115&tags[]=a&tags[]=b&items[1][id]=y&items[0][id]=x&odd[=1&amount=13";
        assert_eq!(
            Json::Object(parse(form).unwrap()),
            json!({
                "amount": "12",
                "ship": { "city": "Berlin", "zip": "10115" },
                "tags": ["a", "b"],
                "items": [{ "id": "x" }, { "id": "y" }],
                "odd[": "1"
            })
        );
        let clash = parse(b"ship=Berlin&ship[city]=Rome").unwrap_err();
        assert_eq!(
            clash.message,
            "the form gives `ship` both as one value and as fields in brackets"
        );
        let unnumbered = parse(b"items[][id]=x").unwrap_err();
        assert_eq!(unnumbered.help, "number the items, as in `items[0][id]`");
        let deep = format!("a{}=1", "[b]".repeat(DEEPEST));
        let refused = parse(deep.as_bytes()).unwrap_err();
        assert_eq!(
            refused.message,
            "the form has a field nested 128 brackets deep, more than the 128 weir reads"
        );
        assert!(parse(format!("a{}=1", "[b]".repeat(DEEPEST - 1)).as_bytes()).is_ok());
    }

    /// Names with brackets that do not nest are names as written, never a panic or a loss.
    #[test]
    fn odd_brackets_are_plain_names() {
        let form = b"%5B=1&a%5B=2&a]]=3&]=4&a[b]c=5&%5B%5D=6&a[=7";
        assert_eq!(
            Json::Object(parse(form).unwrap()),
            json!({ "[": "1", "a[": "2", "a]]": "3", "]": "4", "a[b]c": "5", "[]": "6" })
        );
        let clash = parse(b"a[b]=1&a[b][c]=2").unwrap_err();
        assert_eq!(
            clash.message,
            "the form gives `a[b]` both as one value and as fields in brackets"
        );
    }

    #[test]
    fn a_path_walks_through_nested_fields_lists_and_optionals() {
        let city = Type::Nested(vec![("city".into(), Type::Text)].into());
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(walks(&city, &path(&["city"])));
        assert!(walks(&Type::optional(city.clone()), &path(&["city"])));
        assert!(!walks(&city, &path(&["street"])));
        assert!(walks(&Type::list(city.clone()), &path(&["0", "city"])));
        assert!(!walks(&Type::Text, &path(&["city"])));
    }

    #[test]
    fn a_text_is_typed_as_its_field_and_refused_naming_it() {
        let mut amount = json!("12.5");
        typed(&mut amount, &Type::Number, "amount", "amount").unwrap();
        assert_eq!(amount, json!(12.5));
        let mut blank = json!(" ");
        typed(&mut blank, &Type::optional(Type::Bool), "paid", "paid").unwrap();
        assert_eq!(blank, Json::Null);
        let ship = Type::Nested(vec![("zip".into(), Type::optional(Type::Number))].into());
        let mut sent = json!({ "zip": "x1" });
        let refused = typed(&mut sent, &ship, "ship", "order[ship]").unwrap_err();
        assert_eq!(
            (refused.message.as_str(), refused.help.as_str()),
            (
                "`ship.zip` is a number field, but the form gives `x1`",
                "send a number in the form's `order[ship][zip]`, as in `order[ship][zip]=12.5`"
            )
        );
    }
}
