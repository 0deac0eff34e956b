//! `--state FILE`: the simulated apps' records, links, sync ledger and held events, saved as
//! JSON and loaded again, so that successive runs go on where the last one stopped.
//!
//! ```text
//! weir run mirror.weir --events monday.jsonl --state apps.json    # starts empty, saves
//! weir run mirror.weir --events tuesday.jsonl --state apps.json   # goes on from Monday
//! ```
//!
//! Records are written as input events write them (`{"id": "Calendar/event/1", "title": …}`),
//! under their app and entity; an open entity's hidden stamp is the key `$stamp`. Loading
//! decodes them into the script's layout, so a state file that no longer fits the script is
//! refused with the reason, never half loaded.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::apps::{Apps, RecordRef};
use super::guard::{Actor, Chain, Held, HoldReason, Hop};
use super::input::{self, InputError};
use super::sim::{HasSimulator, Simulator};
use super::sync::Pair;
use super::{ConflictNote, Engine, Event};
use crate::ast::EventKind;
use crate::program::{EntityId, Program, SyncEnd, SyncId};
use crate::value::{Label, Value};
use smol_str::SmolStr;

pub(crate) const VERSION: u64 = 1;
const STAMP_KEY: &str = "$stamp";

/// Why a state file could not be loaded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StateError {
    /// The file is not a weir state file (`place` says which part is wrong).
    #[error("`{place}` should be {expected}")]
    Shape {
        place: String,
        expected: &'static str,
    },
    #[error("it has records of app `{0}`, which the script does not use")]
    UnknownApp(String),
    #[error("it has records of `{entity}` in `{app}`, which the script does not use")]
    UnknownEntity { app: String, entity: String },
    #[error("it holds an event for workflow `{0}`, which the script no longer has")]
    UnknownWorkflow(String),
    #[error("it has a ledger for `sync {0}`, which the script no longer has")]
    UnknownSync(String),
    #[error("{0:?} names no record of the script")]
    BadRecordRef(String),
    #[error("{place}: {problem}")]
    Record { place: String, problem: InputError },
    #[error("{place}: {reason}")]
    Refused { place: String, reason: String },
}

pub(crate) fn sync_name(p: &Program, sync: SyncId) -> String {
    let s = &p.syncs[sync.0];
    format!(
        "{} between {} and {}",
        s.entity_name,
        p.app(s.left.app).name,
        p.app(s.right.app).name
    )
}

fn actor_json(p: &Program, by: Actor) -> Json {
    match by {
        Actor::Workflow(w) => json!({ "workflow": &*p.workflow(w).name }),
        Actor::Sync(s) => json!({ "sync": sync_name(p, s) }),
    }
}

pub(crate) fn record_entry(p: &Program, entity: EntityId, record: super::apps::RecordView) -> Json {
    let mut json = super::trace::record_json(p, entity, record);
    if let (Some(stamp), Json::Object(map)) = (record.stamp(), &mut json) {
        map.insert(STAMP_KEY.into(), Json::String(stamp.to_string()));
    }
    json
}

/// The engine's state as JSON.
pub fn save<A: HasSimulator>(engine: &Engine<A>) -> Json {
    let p = &**engine.program();
    let sim: &Simulator = engine.apps().simulator();
    let mut apps = Map::new();
    for (i, e) in p.entities.iter().enumerate() {
        let entity = EntityId(i);
        let records: Vec<Json> = sim
            .records(entity)
            .map(|r| record_entry(p, entity, r))
            .collect();
        if records.is_empty() && sim.next_id(entity) == 1 {
            continue;
        }
        let app = apps
            .entry(p.app(e.app).name.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        app[&*e.name] = json!({ "next_id": sim.next_id(entity), "records": records });
    }
    let show = |r: RecordRef| r.show(p).to_string();
    let links: Vec<Json> = sim
        .links()
        .into_iter()
        .map(|(a, b)| json!([show(a), show(b)]))
        .collect();
    let ledger: Vec<Json> = engine
        .ledger()
        .pairs()
        .map(|pair| pair_json(p, pair))
        .collect();
    let held: Vec<Json> = engine.held().iter().map(|h| held_json(p, h)).collect();
    let mut state = json!({
        "weir_state": VERSION,
        "next_event": engine.next_event_id(),
        "apps": apps,
        "links": links,
        "ledger": ledger,
        "held": held,
    });
    if let Json::Object(top) = &mut state {
        super::state_time::save(engine, top);
    }
    state
}

/// A pair of the sync ledger as the state file writes it.
pub(crate) fn pair_json(p: &Program, pair: &Pair) -> Json {
    let s = &p.syncs[pair.sync.0];
    let show = |r: RecordRef| r.show(p).to_string();
    json!({
        "sync": sync_name(p, pair.sync),
        "left": show(RecordRef::new(s.left.entity, pair.left)),
        "right": show(RecordRef::new(s.right.entity, pair.right)),
        "left_values": pair.left_values.iter().map(Value::as_json).collect::<Vec<_>>(),
        "right_values": pair.right_values.iter().map(Value::as_json).collect::<Vec<_>>(),
    })
}

/// The hops of a chain, oldest first, as the state file writes them.
fn hops_json(p: &Program, chain: &Chain) -> Vec<Json> {
    super::guard::hops(chain)
        .into_iter()
        .map(|hop| {
            json!({
                "by": actor_json(p, hop.by),
                "run": hop.run,
                "event": hop.event,
                "kind": hop.kind.keyword(),
                "record": hop.record.show(p).to_string(),
            })
        })
        .collect()
}

/// A chain on its own (the write ledger keeps one per write).
pub(crate) fn chain_json(p: &Program, chain: &Chain) -> Json {
    let root = chain.as_ref();
    json!({
        "root_event": root.map(|h| h.root_event),
        "root_origin": root.map(|h| h.root_origin.to_string()),
        "chain": hops_json(p, chain),
    })
}

/// Reads back what [`chain_json`] wrote.
pub(crate) fn load_chain(p: &Program, json: &Json) -> Result<Chain, StateError> {
    load_hops(p, object(json, "chain")?, "chain")
}

pub(crate) fn held_json(p: &Program, held: &Held) -> Json {
    let mut json = event_json(p, &held.event);
    json["by"] = actor_json(p, held.by);
    json["reason"] = json!(held.reason.key());
    json["limit"] = json!(held.reason.limit());
    json["story"] = json!(super::guard::story(p, held));
    json
}

/// An event with its chain, as a held event (or a failed run under `weir serve`) keeps it.
pub(crate) fn event_json(p: &Program, e: &Event) -> Json {
    let entity = p.entity(e.entity);
    let mut json = chain_json(p, &e.cause);
    json["event"] = json!({
        "id": e.id,
        "kind": e.kind.keyword(),
        "app": &*p.app(entity.app).name,
        "entity": &*entity.name,
        "record": record_entry(p, e.entity, e.record.view()),
        "origin": &*e.origin,
        "changed": e.changed.as_ref().map(|c| c.iter().map(|f| entity.fields[f.0].name.to_string()).collect::<Vec<_>>()),
        "conflict": e.conflict.as_ref().map(|c| json!({
            "sync": &*p.syncs[c.sync.0].name,
            "field": &*c.field,
            "loser": &*c.app,
            "kept": &*c.kept,
            "lost": &*c.lost,
            "left": &*c.left,
            "right": &*c.right,
        })),
    });
    json
}

// ---------------------------------------------------------------- loading

fn shape(place: impl Into<String>, expected: &'static str) -> StateError {
    StateError::Shape {
        place: place.into(),
        expected,
    }
}

fn object<'a>(json: &'a Json, place: &str) -> Result<&'a Map<String, Json>, StateError> {
    json.as_object().ok_or_else(|| shape(place, "an object"))
}

fn array<'a>(json: Option<&'a Json>, place: &str) -> Result<&'a [Json], StateError> {
    match json {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(_) => Err(shape(place, "a list")),
    }
}

fn text<'a>(json: Option<&'a Json>, place: &str) -> Result<&'a str, StateError> {
    json.and_then(Json::as_str)
        .ok_or_else(|| shape(place, "text"))
}

fn number(json: Option<&Json>, place: &str) -> Result<u64, StateError> {
    json.and_then(Json::as_u64)
        .ok_or_else(|| shape(place, "a whole number"))
}

/// `Calendar/event/1` as a record of the script.
pub(crate) fn record_ref(p: &Program, text: &str) -> Result<RecordRef, StateError> {
    let bad = || StateError::BadRecordRef(text.to_string());
    let mut parts = text.splitn(3, '/');
    let (Some(app), Some(entity), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let app = p.app_named(app).ok_or_else(bad)?;
    let entity = p.entity_named(app, entity).ok_or_else(bad)?;
    let id = RecordRef::parse_id(p, entity, text).ok_or_else(bad)?;
    Ok(RecordRef::new(entity, id))
}

fn actor(p: &Program, json: Option<&Json>, place: &str) -> Result<Actor, StateError> {
    let map = object(json.unwrap_or(&Json::Null), place)?;
    if let Some(name) = map.get("workflow").and_then(Json::as_str) {
        return p
            .workflow_named(name)
            .map(Actor::Workflow)
            .ok_or_else(|| StateError::UnknownWorkflow(name.to_string()));
    }
    let name = text(map.get("sync"), place)?;
    (0..p.syncs.len())
        .map(SyncId)
        .find(|s| sync_name(p, *s) == name)
        .map(Actor::Sync)
        .ok_or_else(|| StateError::UnknownSync(name.to_string()))
}

fn kind(json: Option<&Json>, place: &str) -> Result<EventKind, StateError> {
    match json.and_then(Json::as_str) {
        Some("new") => Ok(EventKind::New),
        Some("updated") => Ok(EventKind::Updated),
        Some("deleted") => Ok(EventKind::Deleted),
        _ => Err(shape(place, "`new`, `updated` or `deleted`")),
    }
}

/// Decodes a saved record (with its hidden stamp) for an entity.
pub(crate) fn decode_entry(
    p: &Program,
    entity: EntityId,
    json: &Json,
    place: &str,
) -> Result<super::apps::Record, StateError> {
    let mut map = object(json, place)?.clone();
    let stamp = match map.remove(STAMP_KEY) {
        Some(Json::String(s)) => Some(Label::from(s.as_str())),
        Some(_) => return Err(shape(format!("{place}.{STAMP_KEY}"), "text")),
        None => None,
    };
    let (mut record, _, id) =
        input::decode_record(p, entity, Json::Object(map)).map_err(|problem| {
            StateError::Record {
                place: place.to_string(),
                problem,
            }
        })?;
    record.id = id.ok_or_else(|| shape(format!("{place}.id"), "the record's id"))?;
    record.set_stamp(stamp);
    Ok(record)
}

/// Loads a saved state into an engine whose apps are empty.
pub fn load<A: HasSimulator>(engine: &mut Engine<A>, json: &Json) -> Result<(), StateError> {
    let program = Arc::clone(engine.program());
    let p = &*program;
    let top = object(json, "the file")?;
    if top.get("weir_state").and_then(Json::as_u64) != Some(VERSION) {
        return Err(shape("weir_state", "1 (a weir state file)"));
    }
    if let Some(next) = top.get("next_event") {
        engine.set_next_event_id(number(Some(next), "next_event")?);
    }
    let apps = top.get("apps").cloned().unwrap_or(Json::Object(Map::new()));
    for (app_name, entities) in object(&apps, "apps")? {
        let app = p
            .app_named(app_name)
            .ok_or_else(|| StateError::UnknownApp(app_name.clone()))?;
        for (entity_name, table) in object(entities, &format!("apps.{app_name}"))? {
            let entity =
                p.entity_named(app, entity_name)
                    .ok_or_else(|| StateError::UnknownEntity {
                        app: app_name.clone(),
                        entity: entity_name.clone(),
                    })?;
            let place = format!("apps.{app_name}.{entity_name}");
            let table = object(table, &place)?;
            for (i, entry) in array(table.get("records"), &format!("{place}.records"))?
                .iter()
                .enumerate()
            {
                let place = format!("{place}.records[{i}]");
                let record = decode_entry(p, entity, entry, &place)?;
                let id = record.id;
                engine
                    .apps_mut()
                    .simulator_mut()
                    .create(entity, record, Some(id))
                    .map_err(|err| StateError::Refused {
                        place,
                        reason: err.reason,
                    })?;
            }
            if let Some(next) = table.get("next_id") {
                let next = number(Some(next), &format!("{place}.next_id"))?;
                engine.apps_mut().simulator_mut().reserve_ids(entity, next);
            }
        }
    }
    for (i, link) in array(top.get("links"), "links")?.iter().enumerate() {
        let place = format!("links[{i}]");
        let pair = array(Some(link), &place)?;
        let [a, b] = pair else {
            return Err(shape(place, "a pair of record ids"));
        };
        let a = record_ref(p, text(Some(a), &place)?)?;
        let b = record_ref(p, text(Some(b), &place)?)?;
        engine.apps_mut().simulator_mut().link(a, b);
    }
    for (i, entry) in array(top.get("ledger"), "ledger")?.iter().enumerate() {
        let place = format!("ledger[{i}]");
        let pair = load_pair(p, entry, &place)?;
        engine.ledger_mut().insert(pair);
    }
    let mut held = Vec::new();
    for (i, entry) in array(top.get("held"), "held")?.iter().enumerate() {
        held.push(load_held(p, entry, &format!("held[{i}]"))?);
    }
    engine.restore_held(held);
    super::state_time::load(engine, top)
}

/// The sync a state file names (`ticket between Helpdesk and Tracker`).
pub(crate) fn sync_named(p: &Program, name: &str) -> Option<SyncId> {
    (0..p.syncs.len())
        .map(SyncId)
        .find(|s| sync_name(p, *s) == name)
}

/// A pair of the sync ledger, as [`pair_json`] writes it.
pub(crate) fn load_pair(p: &Program, entry: &Json, place: &str) -> Result<Pair, StateError> {
    let map = object(entry, place)?;
    let name = text(map.get("sync"), place)?;
    let sync = sync_named(p, name).ok_or_else(|| StateError::UnknownSync(name.to_string()))?;
    let s = &p.syncs[sync.0];
    let left = record_ref(p, text(map.get("left"), place)?)?;
    let right = record_ref(p, text(map.get("right"), place)?)?;
    let mut sides = [Vec::new(), Vec::new()];
    for (side, key) in ["left_values", "right_values"].iter().enumerate() {
        let values = array(map.get(*key), &format!("{place}.{key}"))?;
        if values.len() != s.mappings.len() {
            return Err(shape(
                format!("{place}.{key}"),
                "one value per mapping of the sync",
            ));
        }
        let entity = if side == 0 {
            s.left.entity
        } else {
            s.right.entity
        };
        for (m, value) in s.mappings.iter().zip(values) {
            // A computed side's value has the type of its expression.
            let (name, ty) = match m.end(side == 0) {
                SyncEnd::Field(f) => {
                    let field = p.field(entity, *f);
                    (field.name.clone(), &field.ty)
                }
                SyncEnd::Computed(e) => (Arc::from("a computed value"), &e.ty),
            };
            let v = input::decode_value(p, &name, ty, value.clone()).map_err(|problem| {
                StateError::Record {
                    place: format!("{place}.{key}"),
                    problem,
                }
            })?;
            sides[side].push(v);
        }
    }
    let [left_values, right_values] = sides;
    Ok(Pair {
        sync,
        left: left.id,
        right: right.id,
        left_values,
        right_values,
    })
}

fn load_hops(p: &Program, map: &Map<String, Json>, place: &str) -> Result<Chain, StateError> {
    let root_origin: Label = Label::from(
        map.get("root_origin")
            .and_then(Json::as_str)
            .unwrap_or("user"),
    );
    let root_event = map.get("root_event").and_then(Json::as_u64).unwrap_or(0);
    let mut cause: Chain = None;
    for (i, hop) in array(map.get("chain"), &format!("{place}.chain"))?
        .iter()
        .enumerate()
    {
        let hop_place = format!("{place}.chain[{i}]");
        let h = object(hop, &hop_place)?;
        let hops = cause.as_ref().map_or(0, |c| c.hops) + 1;
        cause = Some(Arc::new(Hop {
            by: actor(p, h.get("by"), &hop_place)?,
            run: number(h.get("run"), &hop_place)?,
            event: number(h.get("event"), &hop_place)?,
            kind: kind(h.get("kind"), &hop_place)?,
            record: record_ref(p, text(h.get("record"), &hop_place)?)?,
            hops,
            root_event,
            root_origin: root_origin.clone(),
            parent: cause,
        }));
    }
    Ok(cause)
}

pub(crate) fn load_held(p: &Program, entry: &Json, place: &str) -> Result<Held, StateError> {
    let map = object(entry, place)?;
    let by = actor(p, map.get("by"), &format!("{place}.by"))?;
    let limit = map.get("limit").and_then(Json::as_u64).unwrap_or(0);
    let reason = match map.get("reason").and_then(Json::as_str) {
        Some("hops") => HoldReason::Hops(u32::try_from(limit).unwrap_or(u32::MAX)),
        Some("repeated") => HoldReason::Repeated,
        Some("budget") => HoldReason::Budget(limit),
        Some("no-actor") => HoldReason::NoActor,
        _ => {
            return Err(shape(
                format!("{place}.reason"),
                "`hops`, `repeated`, `budget` or `no-actor`",
            ));
        }
    };
    Ok(Held {
        event: load_event(p, entry, place)?,
        by,
        reason,
    })
}

/// Reads back what [`event_json`] wrote.
pub(crate) fn load_event(p: &Program, entry: &Json, place: &str) -> Result<Event, StateError> {
    let map = object(entry, place)?;
    let event_place = format!("{place}.event");
    let event = object(map.get("event").unwrap_or(&Json::Null), &event_place)?;
    let app = text(event.get("app"), &event_place)?;
    let entity_name = text(event.get("entity"), &event_place)?;
    let entity = p
        .app_named(app)
        .and_then(|a| p.entity_named(a, entity_name))
        .ok_or_else(|| StateError::UnknownEntity {
            app: app.to_string(),
            entity: entity_name.to_string(),
        })?;
    let record = decode_entry(
        p,
        entity,
        event.get("record").unwrap_or(&Json::Null),
        &format!("{event_place}.record"),
    )?;
    let e = p.entity(entity);
    let changed = match event.get("changed") {
        Some(Json::Array(names)) => Some(
            names
                .iter()
                .filter_map(|n| n.as_str().and_then(|n| e.field_named(n)))
                .collect::<Arc<[_]>>(),
        ),
        _ => None,
    };
    let cause = load_hops(p, map, place)?;
    Ok(Event {
        id: number(event.get("id"), &event_place)?,
        kind: kind(event.get("kind"), &event_place)?,
        entity,
        record,
        origin: Label::from(text(event.get("origin"), &event_place)?),
        changed,
        cause,
        conflict: load_conflict(p, event.get("conflict"), &event_place)?,
        failure: None,
    })
}

/// The conflict a held event was to a workflow run on a sync's conflicts, if any.
fn load_conflict(
    p: &Program,
    json: Option<&Json>,
    place: &str,
) -> Result<Option<Arc<ConflictNote>>, StateError> {
    let Some(json) = json.filter(|j| !j.is_null()) else {
        return Ok(None);
    };
    let place = format!("{place}.conflict");
    let map = object(json, &place)?;
    let name = text(map.get("sync"), &place)?;
    let Some(sync) = p.syncs.iter().position(|s| &*s.name == name) else {
        return Err(shape(
            format!("{place}.sync"),
            "the name of a sync of the script",
        ));
    };
    let part = |key: &str| text(map.get(key), &place).map(SmolStr::from);
    Ok(Some(Arc::new(ConflictNote {
        sync: SyncId(sync),
        field: part("field")?,
        app: part("loser")?,
        kept: part("kept")?,
        lost: part("lost")?,
        left: part("left")?,
        right: part("right")?,
    })))
}
