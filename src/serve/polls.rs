//! Polling: `poll contact every 5m [since changed as "updated_since"]` reads an entity's list
//! on an interval and turns what changed into events, for apps that send no webhooks.
//!
//! ```text
//! last poll  {7: v1 #a1, 8: v1 #b2}          cursor 10:00
//! this poll  {7: #a1, 8: #c3, 9: #d4}        (with `since`: GET /contacts?updated_since=10:00)
//!   → updated contact 8 (key poll:8:v2:c3), new contact 9 (key poll:9:v1:d4)
//!   → no 7 in a list diff: deleted contact 7 (key poll:7:v2:gone)
//! ```
//!
//! The state of each poll (its cursor, and the id, version and hash of each record it saw) is
//! kept in the journal in tables of its own. The events are journaled first, under keys made
//! of the record's id, its next version and its hash; the state is saved after. A poll cut off
//! between the two (`kill -9`) is done again at the next start, finds the same changes, and
//! offers them under the same keys: the journal answers `duplicate`, so nothing is missed and
//! nothing runs twice. A record that changes again before then gets a key of its own.
//!
//! The first poll of an entity takes the list as it is and makes no events: polling starts
//! from the state the app is in, not from its history.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value as Json};

use super::journal::{self, Journal, JournalError, NewEvent};
use crate::args;
use crate::ast::EventKind;
use crate::program::{AppId, EntityId, FieldId, Program};
use crate::remote::rest::HttpApps;
use crate::span::Span;
use crate::value::Value;

/// The shortest interval a poll may have: shorter, an app is asked more often than any
/// rate limit likes, and webhooks are the better way.
pub const FLOOR: Duration = Duration::from_secs(30);

/// `poll ENTITY every DURATION [since FIELD [as "param"]]`, resolved.
#[derive(Clone, Debug)]
pub struct Poll {
    pub app: AppId,
    pub entity: EntityId,
    pub every: Duration,
    pub since: Option<Since>,
    pub span: Span,
}

/// `since changed as "updated_since"`: the time field that moves on each change, and the
/// query parameter that asks the app for the records changed since a time.
#[derive(Clone, Debug)]
pub struct Since {
    pub field: FieldId,
    pub param: Option<String>,
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS polls (
  poll TEXT PRIMARY KEY, cursor INTEGER, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS poll_records (
  poll TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (poll, id)
) WITHOUT ROWID;
"#;

/// The polls a program runs: those of entities a workflow is triggered by or a sync keeps.
/// A connector may declare a poll that a script does not need; reading a list that no one
/// listens to would only spend the app's rate limit.
pub fn all(program: &Program) -> Vec<std::sync::Arc<Poll>> {
    let heard = |entity: EntityId| {
        program.workflows.iter().any(|w| w.trigger.entity == entity)
            || program
                .syncs
                .iter()
                .any(|s| s.left.entity == entity || s.right.entity == entity)
    };
    program
        .apps
        .iter()
        .filter_map(|a| a.location.as_ref())
        .flat_map(|l| l.polls.iter())
        .filter(|p| heard(p.entity))
        .cloned()
        .collect()
}

/// The polls' state in the journal, through a connection of its own.
pub struct Store {
    journal: Journal,
}

/// What a poll remembers of one record.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    version: i64,
    hash: String,
}

/// What one poll found.
#[derive(Debug, Default)]
pub struct Found {
    pub events: Vec<NewEvent>,
    /// The first poll of the entity: its records were taken as they are.
    pub baseline: bool,
}

impl Store {
    pub fn open(path: &Path) -> journal::Result<Store> {
        let journal = Journal::open(path, true)?;
        journal
            .conn()
            .sqlite_schema(SCHEMA)
            .map_err(|e| journal.fail(e))?;
        Ok(Store { journal })
    }

    /// The cursor of a poll, and whether it ever ran.
    fn cursor(&self, poll: &str) -> journal::Result<(bool, Option<i64>)> {
        let row = self
            .journal
            .conn()
            .query_opt("SELECT cursor FROM polls WHERE poll = ?1", args![poll])
            .and_then(|row| row.map(|r| r.get::<Option<i64>>(0)).transpose())
            .map_err(|e| self.journal.fail(e))?;
        Ok((row.is_some(), row.flatten()))
    }

    fn seen(&self, poll: &str) -> journal::Result<HashMap<String, Seen>> {
        let rows = self
            .journal
            .conn()
            .query_map(
                "SELECT id, version, hash FROM poll_records WHERE poll = ?1",
                args![poll],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        Seen {
                            version: r.get(1)?,
                            hash: r.get(2)?,
                        },
                    ))
                },
            )
            .map_err(|e| self.journal.fail(e))?;
        Ok(rows.into_iter().collect())
    }

    /// Saves what a poll saw, in one transaction: the records that changed, those gone, the
    /// cursor.
    fn save(&mut self, poll: &str, plan: &Plan) -> journal::Result<()> {
        let conn = self.journal.conn();
        let saved = conn.transaction().and_then(|tx| {
            for (id, seen) in &plan.put {
                tx.execute(
                    "INSERT INTO poll_records (poll, id, version, hash) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (poll, id) DO UPDATE SET version = excluded.version, hash = excluded.hash",
                    args![poll, id, seen.version, seen.hash],
                )?;
            }
            for id in &plan.gone {
                tx.execute(
                    "DELETE FROM poll_records WHERE poll = ?1 AND id = ?2",
                    args![poll, id],
                )?;
            }
            tx.execute(
                "INSERT INTO polls (poll, cursor, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (poll) DO UPDATE SET cursor = excluded.cursor, at = excluded.at",
                args![poll, plan.cursor, journal::now_ms()],
            )?;
            tx.commit()
        });
        saved.map_err(|e| self.journal.fail(e))
    }
}

/// Why a poll did not finish; it is tried again at its next interval.
#[derive(Debug)]
pub enum Failed {
    App(crate::run::apps::AppError),
    Journal(JournalError),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::App(err) => write!(f, "{err}"),
            Failed::Journal(err) => write!(f, "{err}"),
        }
    }
}

/// What a poll changes in its state once its events are journaled.
#[derive(Debug, Default)]
struct Plan {
    put: Vec<(String, Seen)>,
    gone: Vec<String>,
    cursor: Option<i64>,
}

/// `CRM/contact`: a poll's name in the journal.
pub fn name(program: &Program, poll: &Poll) -> String {
    format!(
        "{}/{}",
        program.app(poll.app).name,
        program.entity(poll.entity).name
    )
}

/// Polls an entity once: reads its list, journals an event for each change through `offer`
/// (which returns once they are durable), then saves the poll's state.
pub fn poll_once(
    program: &Program,
    apps: &HttpApps,
    store: &mut Store,
    poll: &Poll,
    offer: &mut dyn FnMut(&[NewEvent]) -> Result<(), JournalError>,
) -> Result<Found, Failed> {
    let key = name(program, poll);
    let (ran, cursor) = store.cursor(&key).map_err(Failed::Journal)?;
    let since = match (&poll.since, cursor) {
        (
            Some(Since {
                param: Some(param), ..
            }),
            Some(at),
        ) => Some((param.as_str(), crate::value::format_rfc3339(at))),
        _ => None,
    };
    let listed = apps.poll_list(poll.entity, since).map_err(Failed::App)?;
    let seen = store.seen(&key).map_err(Failed::Journal)?;
    let (events, plan) = diff(program, poll, ran, cursor, &seen, listed);
    if !events.is_empty() {
        offer(&events).map_err(Failed::Journal)?;
    }
    store.save(&key, &plan).map_err(Failed::Journal)?;
    Ok(Found {
        events,
        baseline: !ran,
    })
}

/// The events and the new state of a poll, from what it saw last and the list now.
fn diff(
    program: &Program,
    poll: &Poll,
    ran: bool,
    cursor: Option<i64>,
    seen: &HashMap<String, Seen>,
    listed: Vec<(String, crate::run::apps::Record)>,
) -> (Vec<NewEvent>, Plan) {
    let app = program.app(poll.app).name.to_string();
    let entity = program.entity(poll.entity);
    let event = |kind: EventKind, key: String, record: String| NewEvent {
        key: journal::event_key(&app, &entity.name, &kind.to_string(), Some(&key), None),
        app: app.clone(),
        entity: entity.name.to_string(),
        kind: kind.to_string(),
        record,
        actor: None,
        changed: None,
    };
    let mut events = Vec::new();
    let mut plan = Plan {
        cursor,
        ..Plan::default()
    };
    let mut present = std::collections::HashSet::new();
    for (id, record) in listed {
        let mut flat = Map::new();
        flat.insert("id".into(), Json::String(id.clone()));
        for (field, value) in entity.fields.iter().zip(record.fields().iter()) {
            if *value != Value::None {
                flat.insert(field.name.to_string(), value.as_json());
            }
        }
        if let Some(since) = &poll.since
            && let Some(Value::Time(at)) = record.fields().get(since.field.0)
        {
            plan.cursor = plan.cursor.max(Some(*at));
        }
        let text = Json::Object(flat).to_string();
        let hash = hash(&text);
        present.insert(id.clone());
        let (kind, version) = match seen.get(&id) {
            Some(was) if was.hash == hash => continue,
            Some(was) => (EventKind::Updated, was.version + 1),
            None => (EventKind::New, 1),
        };
        if ran {
            events.push(event(kind, format!("poll:{id}:v{version}:{hash}"), text));
        }
        plan.put.push((id, Seen { version, hash }));
    }
    // Only a whole list tells what is gone: a list of the records changed since a time
    // leaves out every record that did not change.
    if poll.since.is_none() {
        let mut gone: Vec<(&String, &Seen)> = seen
            .iter()
            .filter(|(id, _)| !present.contains(*id))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(b.0));
        for (id, was) in gone {
            let record = serde_json::json!({ "id": id }).to_string();
            let key = format!("poll:{id}:v{}:gone", was.version + 1);
            events.push(event(EventKind::Deleted, key, record));
            plan.gone.push(id.clone());
        }
    }
    (events, plan)
}

/// A short, stable digest of a record's JSON text.
fn hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::apps::Record;

    fn program() -> Program {
        let src = r#"app CRM at "http://127.0.0.1:1" {
          contact { name: text }
          poll contact every 1m
        }
        workflow seen {
          on updated contact in CRM
          notify "{name}"
        }"#;
        let loaded = crate::load::parse_all(vec![("t.weir".to_string(), src.to_string())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors(), "the test's script checks");
        checked.program
    }

    fn named(name: &str) -> Record {
        let mut record = Record::empty(1);
        record.set(FieldId(0), Value::Text(name.into()));
        record
    }

    fn keys(events: &[NewEvent]) -> Vec<String> {
        events.iter().filter_map(|e| e.key.clone()).collect()
    }

    /// A poll cut off after its events were journaled and before its state was saved is done
    /// again from the same state: the same changes come under the same keys, and the journal
    /// takes them as duplicates. A change made in between comes under a key of its own.
    #[test]
    fn a_poll_done_again_from_the_same_state_offers_the_same_keys() {
        let p = program();
        let poll = &all(&p)[0];
        let (_, plan) = diff(
            &p,
            poll,
            false,
            None,
            &HashMap::new(),
            vec![("7".into(), named("Ada"))],
        );
        let seen: HashMap<String, Seen> = plan.put.into_iter().collect();
        let (first, _) = diff(&p, poll, true, None, &seen, vec![("7".into(), named("Bo"))]);
        let (again, _) = diff(&p, poll, true, None, &seen, vec![("7".into(), named("Bo"))]);
        assert_eq!(keys(&first), keys(&again));
        assert_eq!(first[0].kind, "updated");
        let (other, _) = diff(&p, poll, true, None, &seen, vec![("7".into(), named("Cy"))]);
        assert_ne!(keys(&first), keys(&other));
        let (gone, plan) = diff(&p, poll, true, None, &seen, Vec::new());
        assert_eq!(gone[0].kind, "deleted");
        assert_eq!(plan.gone, ["7"]);
    }
}
