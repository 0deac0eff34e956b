//! The outbox: writes to real apps that runs decided and that are not sent yet, in the journal.
//!
//! ```text
//! worker runs #41 → run 90 plans POST /contact (key …-90/1)      outbox: row 7, #41 waits
//! sender sends row 7 → 201 {"id": "c-3"}    → actions …-90/1, ids Crm/contact/7 = c-3,
//!                                              row 7 gone; #41 done
//! kill -9 before the 201; restart → row 7 is sent again, with the same key
//! ```
//!
//! A run's writes are planned ([`crate::remote::deferred`]) and written here in the transaction
//! that records the event, so the engine's state and the writes it decided are kept together:
//! after a crash an event is either run again from the start (nothing of it was kept) or its
//! writes are still here to send. The event stays `queued` while it has rows, with what its
//! runs came to kept in `outcome`; when its last row is sent it becomes that (or `failed`, if a
//! write failed). [`super::sender`] sends the rows.

use rusqlite::Connection;

use super::db::{Db, DbResult};
use crate::args;

use super::journal::now_ms;
use super::status::EventStatus;
use crate::program::{EntityId, Program};
use crate::remote::IdempotencyKey;
use crate::remote::deferred::Planned;
use crate::remote::http::Body;

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  event INTEGER NOT NULL, key TEXT NOT NULL,
  entity TEXT NOT NULL, record INTEGER NOT NULL, method TEXT NOT NULL,
  verb TEXT, url TEXT, body BLOB, media TEXT
);
"#;

/// Adds `events.outcome` to a journal made before the outbox.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = 'outcome'",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        conn.execute_batch("ALTER TABLE events ADD COLUMN outcome TEXT")?;
    }
    Ok(())
}

/// A planned write as the outbox holds it.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: i64,
    pub event: i64,
    pub write: Planned,
}

/// `Calendar/event`, as the journal names an entity.
pub fn entity_label(p: &Program, entity: EntityId) -> String {
    let e = p.entity(entity);
    format!("{}/{}", p.app(e.app).name, e.name)
}

fn entity_named(p: &Program, text: &str) -> Option<EntityId> {
    let (app, entity) = text.split_once('/')?;
    p.entity_named(p.app_named(app)?, entity)
}

/// Keeps an event's planned writes; their rows, in order.
pub fn insert(tx: &Db, program: &Program, event: i64, writes: &[Planned]) -> DbResult<Vec<Row>> {
    let mut rows = Vec::with_capacity(writes.len());
    for w in writes {
        let id = tx
            .query_one(
                "INSERT INTO outbox (event, key, entity, record, method, verb, url, body, media)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                args![
                    event,
                    w.key.to_string(),
                    entity_label(program, w.entity),
                    w.local,
                    w.method,
                    w.line.as_ref().map(|(verb, _)| verb.as_str()),
                    w.line.as_ref().map(|(_, url)| url),
                    w.body.as_ref().map(|b| &b.bytes),
                    w.body.as_ref().map(|b| b.content_type)
                ],
            )?
            .get(0)?;
        rows.push(Row {
            id,
            event,
            write: w.clone(),
        });
    }
    Ok(rows)
}

/// The app's ids already known of records: `(entity, engine's number, app's id)`.
pub type KnownIds = Vec<(EntityId, u64, String)>;

/// Every row still to send, oldest first, with the app's ids already known of their records
/// (a create sent before a crash). A row whose entity or key no longer reads is left out. On
/// PostgreSQL, where several servers share the outbox, none: each sends the rows of the events
/// it runs, and those of events it takes over ([`load_of`]).
pub fn load(conn: &Db, program: &Program) -> DbResult<(Vec<Row>, KnownIds)> {
    if conn.is_postgres() {
        return Ok((Vec::new(), Vec::new()));
    }
    load_where(conn, program, "TRUE", &[])
}

/// The rows still to send of some events (that a server took over from one that stopped).
pub fn load_of(conn: &Db, program: &Program, events: &[i64]) -> DbResult<(Vec<Row>, KnownIds)> {
    let listed: Vec<String> = events.iter().map(i64::to_string).collect();
    load_where(
        conn,
        program,
        "o.event IN (SELECT CAST(e AS BIGINT) FROM unnest(string_to_array(?1, ',')) AS e)",
        crate::args![listed.join(",")],
    )
}

fn load_where(
    conn: &Db,
    program: &Program,
    condition: &str,
    args: &[&dyn crate::serve::db::ToValue],
) -> DbResult<(Vec<Row>, KnownIds)> {
    let found = conn.query_map(
        &format!(
            "SELECT o.id, o.event, o.key, o.entity, o.record, o.method, o.verb, o.url, o.body,
                    o.media,
                    (SELECT app_id FROM ids WHERE ids.entity = o.entity AND ids.local = o.record
                     AND ids.app_id IS NOT NULL)
             FROM outbox o WHERE {condition} ORDER BY o.id"
        ),
        args,
        |r| {
            Ok((
                r.get::<i64>(0)?,
                r.get::<i64>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<i64>(4)?,
                r.get::<String>(5)?,
                r.get::<Option<String>>(6)?,
                r.get::<Option<String>>(7)?,
                r.get::<Option<Vec<u8>>>(8)?,
                r.get::<Option<String>>(9)?,
                r.get::<Option<String>>(10)?,
            ))
        },
    )?;
    let mut rows = Vec::new();
    let mut known = Vec::new();
    for row in found {
        let (id, event, key, entity, local, method, verb, url, body, media, app_id) = row;
        let (Some(entity), Ok(key)) = (entity_named(program, &entity), key.parse()) else {
            continue;
        };
        let method = match method.as_str() {
            "create" => "create",
            "update" => "update",
            _ => "delete",
        };
        let line = match (verb, url) {
            (Some(verb), Some(url)) => match reqwest::Method::from_bytes(verb.as_bytes()) {
                Ok(verb) => Some((verb, url)),
                Err(_) => continue,
            },
            _ => None,
        };
        let body = body.map(|bytes| match media.as_deref() {
            Some("application/x-www-form-urlencoded") => Body::form(bytes),
            _ => Body::json(bytes),
        });
        if let Some(app_id) = app_id {
            known.push((entity, local as u64, app_id));
        }
        rows.push(Row {
            id,
            event,
            write: Planned {
                key,
                entity,
                local: local as u64,
                method,
                line,
                body,
            },
        });
    }
    Ok((rows, known))
}

/// What became of a row.
#[derive(Clone, Debug)]
pub enum Sent {
    /// The app took it (`app_id`: the id of the record a create made).
    Done { app_id: Option<String> },
    /// The app answered 404 to an update or delete: the record is gone; nothing was written.
    Gone,
    /// Given up: why, in words.
    Failed(String),
}

/// Records rows sent: the writes done (by key), the ids learned, the rows gone.
pub fn sent(tx: &Db, program: &Program, rows: &[(Row, Sent)]) -> DbResult<()> {
    use super::journal::{ACTION_DONE, PUT_ID, UNNAMED_ID};
    let now = now_ms();
    for (row, sent) in rows {
        let w = &row.write;
        let entity = entity_label(program, w.entity);
        if let Sent::Done { app_id } = sent {
            tx.execute(
                ACTION_DONE,
                args![w.key.to_string(), w.key.run, entity, w.method, w.local, now],
            )?;
            if let Some(app_id) = app_id {
                tx.execute(UNNAMED_ID, args![entity, w.local])?;
                tx.execute(PUT_ID, args![entity, app_id, w.local])?;
            }
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", args![row.id])?;
    }
    Ok(())
}

/// An event whose last row is sent becomes what its runs came to, or failed (`failure`: the
/// write's run and why); its new status. `None`: another server took the event over when
/// this one's lease ran out, and settles it (on PostgreSQL).
pub fn settle_event(
    tx: &Db,
    event: i64,
    failure: Option<(&IdempotencyKey, &str)>,
) -> DbResult<Option<EventStatus>> {
    if !super::claims::still_ours(tx, event)? {
        return Ok(None);
    }
    let outcome: Option<EventStatus> = tx
        .query_one("SELECT outcome FROM events WHERE id = ?1", args![event])?
        .get(0)?;
    let status = match failure {
        Some(_) => EventStatus::Failed,
        None => outcome.unwrap_or(EventStatus::Done),
    };
    tx.execute(
        "UPDATE events SET status = ?2, message = COALESCE(?3, message), finished = ?4,
           outcome = NULL
         WHERE id = ?1",
        args![event, status, failure.map(|f| f.1), now_ms()],
    )?;
    if let Some((key, message)) = failure {
        super::runs::fail(tx, event, key.run, message)?;
    }
    super::claims::let_go_of(tx, event)?;
    Ok(Some(status))
}
