//! An entity's HTTP mapping, resolved: which request each operation is, where a record's
//! fields and id are in a body, where the records are in a list reply, and how pages follow
//! one another.
//!
//! ```text
//! http contact {                                      # HubSpot
//!   create POST "/crm/v3/objects/contacts"            → POST {base}/crm/v3/objects/contacts
//!   update PATCH "/crm/v3/objects/contacts/{id}"      → PATCH {base}/crm/v3/objects/contacts/512
//!   body json at "properties"                         → {"properties": {"email": "…"}}
//!   records at "results"
//!   page cursor at "paging.next.after" as "after"     → GET …?after=NTI1
//! }
//! ```
//!
//! What a mapping does not say is weir's own REST mapping: `POST {base}/{entity}`,
//! `GET|PATCH|DELETE {base}/{entity}/{id}`, `GET {base}/{entity}?field=value`, a flat JSON
//! object, the id at `id`, and a list reply that is an array (or has `items`, `records` or
//! `data`). The checker builds a [`Mapping`] for every entity of an app `at "url"`.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::ast::HttpOp;
use crate::program::FieldId;

/// A dotted path into a JSON object: `paging.next.after` is `["paging", "next", "after"]`.
pub type WirePath = Arc<[Arc<str>]>;

/// A dotted path from its text.
pub fn wire_path(text: &str) -> WirePath {
    text.split('.').map(Arc::from).collect()
}

/// `a.b.c`.
pub fn show_path(path: &WirePath) -> String {
    path.iter().map(|p| &**p).collect::<Vec<_>>().join(".")
}

/// Where a value lies in a JSON value, if it is there. A key that itself holds dots
/// (Microsoft Graph's `@odata.nextLink`) is found too: the longest key that is there wins.
pub fn get<'j>(json: &'j Json, path: &[Arc<str>]) -> Option<&'j Json> {
    if path.is_empty() {
        return Some(json);
    }
    let object = json.as_object()?;
    (1..=path.len()).rev().find_map(|n| {
        let key = path[..n].iter().map(|k| &**k).collect::<Vec<_>>().join(".");
        get(object.get(&key)?, &path[n..])
    })
}

/// Puts a value at a path, making the objects on the way.
pub fn put(map: &mut Map<String, Json>, path: &[Arc<str>], value: Json) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut at = map;
    for key in init {
        let slot = at
            .entry(key.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        if !slot.is_object() {
            *slot = Json::Object(Map::new());
        }
        let Json::Object(inner) = slot else {
            unreachable!("expected the object just made, found {slot:?}")
        };
        at = inner;
    }
    at.insert(last.to_string(), value);
}

/// One piece of a route's path.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    /// `{id}`: the record's id in the app.
    Id,
    /// `{field}`: a field of the record being created.
    Field(FieldId),
    /// `{param}`: a `param` of the mapping.
    Param(usize),
}

/// A request: its method and path (with a fixed query, if any).
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub method: reqwest::Method,
    pub path: Vec<Piece>,
}

/// `param repo env GITHUB_REPO [else "…"]`: a value of the path from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Arc<str>,
    pub env: Arc<str>,
    pub default: Option<String>,
}

/// How a list reply leads to the next page.
#[derive(Clone, Debug, PartialEq)]
pub enum Paging {
    Cursor { at: WirePath, param: String },
    AfterLast { param: String },
    Link,
    Next { at: WirePath },
    Number { param: String },
    Offset { param: String },
}

/// Where a body's fields are, and how it is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BodyShape {
    /// `body form`: `application/x-www-form-urlencoded`, nested names as `a[b]`.
    pub form: bool,
    /// `body json at "properties"`: the fields inside this object, in requests and replies.
    pub envelope: Option<WirePath>,
}

/// An entity's mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// Per operation, in the order of [`HttpOp::ALL`]; `None` where the app has no such
    /// request.
    pub routes: [Option<Route>; 5],
    pub body: BodyShape,
    /// Where the id is in a record (default `id`).
    pub id_at: WirePath,
    /// Where the records are in a list reply; `None`: an array, or `items`, `records`, `data`.
    pub records_at: Option<WirePath>,
    pub paging: Option<Paging>,
    /// The fields a list can filter on as query parameters; `None`: every equality.
    pub filter: Option<Vec<FieldId>>,
    pub params: Vec<Param>,
    /// Each field's path on the wire, by [`FieldId`].
    pub wire: Vec<WirePath>,
    /// Whether an `http` block said how (messages then name the mapping).
    pub declared: bool,
    /// The entity's name in its `http` block.
    pub span: Option<crate::span::Span>,
}

impl Mapping {
    /// weir's own REST mapping for an entity named `entity` with these wire names.
    pub fn rest(entity: &str, wire: Vec<WirePath>) -> Mapping {
        let one = || vec![Piece::Text(format!("/{entity}/")), Piece::Id];
        let all = || vec![Piece::Text(format!("/{entity}"))];
        let route = |method: reqwest::Method, path: Vec<Piece>| Some(Route { method, path });
        Mapping {
            routes: [
                route(reqwest::Method::POST, all()),
                route(reqwest::Method::GET, one()),
                route(reqwest::Method::PATCH, one()),
                route(reqwest::Method::DELETE, one()),
                route(reqwest::Method::GET, all()),
            ],
            body: BodyShape::default(),
            id_at: wire_path("id"),
            records_at: None,
            paging: None,
            filter: None,
            params: Vec::new(),
            wire,
            declared: false,
            span: None,
        }
    }

    pub fn route(&self, op: HttpOp) -> Option<&Route> {
        self.routes[op_index(op)].as_ref()
    }
}

pub fn op_index(op: HttpOp) -> usize {
    match op {
        HttpOp::Create => 0,
        HttpOp::Read => 1,
        HttpOp::Update => 2,
        HttpOp::Delete => 3,
        HttpOp::List => 4,
    }
}

/// The names in braces of a path, with their byte ranges in it, or the byte where a brace is
/// left open or closed alone.
pub fn path_names(path: &str) -> Result<Vec<(usize, usize)>, usize> {
    let mut names = Vec::new();
    let mut open = None;
    for (i, b) in path.bytes().enumerate() {
        match (b, open) {
            (b'{', None) => open = Some(i),
            (b'}', Some(start)) => {
                names.push((start + 1, i));
                open = None;
            }
            (b'{' | b'}', _) => return Err(i),
            _ => {}
        }
    }
    match open {
        Some(start) => Err(start),
        None => Ok(names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_put_and_get_nested_values() {
        let mut map = Map::new();
        put(
            &mut map,
            &wire_path("start.dateTime"),
            json!("2030-01-01T09:00:00Z"),
        );
        put(&mut map, &wire_path("start.timeZone"), json!("UTC"));
        put(&mut map, &wire_path("summary"), json!("Checkup"));
        let json = Json::Object(map);
        assert_eq!(
            json,
            json!({"start": {"dateTime": "2030-01-01T09:00:00Z", "timeZone": "UTC"}, "summary": "Checkup"})
        );
        assert_eq!(
            get(&json, &wire_path("start.timeZone")),
            Some(&json!("UTC"))
        );
        assert_eq!(get(&json, &wire_path("start.missing")), None);
        assert_eq!(get(&json, &wire_path("summary.deeper")), None);
        let graph =
            json!({"@odata.nextLink": "https://graph.microsoft.com/v1.0/me/events?$skip=10"});
        assert!(get(&graph, &wire_path("@odata.nextLink")).is_some());
    }

    #[test]
    fn path_names_are_found_and_stray_braces_refused() {
        assert_eq!(
            path_names("/repos/{repo}/issues/{id}"),
            Ok(vec![(8, 12), (22, 24)])
        );
        assert_eq!(path_names("/a/{id"), Err(3));
        assert_eq!(path_names("/a/id}"), Err(5));
        assert_eq!(path_names("/a/{{id}}"), Err(4));
    }
}
