//! The journal: one SQLite file (or a PostgreSQL database, `--journal postgres://…`) that
//! holds everything `weir serve` must not forget. Its statements go through [`super::db`],
//! written once for both engines.
//!
//! ```text
//! POST /events/Shop/order/new   → events: #41 queued       (synced to disk, then 202)
//! worker runs #41               → runs, actions, ids, links, ledger; #41 done
//! kill -9, restart              → #42 (queued) runs again; its writes already done are not
//!                                  sent again (actions hold their idempotency keys)
//! ```
//!
//! Tables: `events` (every accepted webhook, with its duplicate key scoped by route, its
//! status: queued, done, failed, held), `runs` (what each event set off, [`super::runs`]),
//! `actions` (the writes real apps confirmed, by idempotency
//! key), `ids` (the app's ids and the engine's numbers), `links`, `ledger` (recent writes to
//! real apps, with their chains), `held` (events the run-time guard held, to release),
//! `releases` (events `weir replay` asked to run again), `notifications` and `meta`.
//! The file is in WAL mode: the server that accepts events and the worker that runs them each
//! have their own connection, and readers (`weir runs`) never block them.
//! It is created readable by its owner only; [`super::marker`] keeps a note beside it of what
//! it holds, to notice at start a journal that lost events.
//! `sim_records` and `sync_pairs` hold the simulated apps and the sync ledger, written with the
//! batch that changed them ([`SimChanges`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::db::{Db, DbError, DbResult, FromValue, Row, ToValue, postgres};
use crate::args;

use super::status::{EventStatus, RunStatus};

/// Why the journal could not be used.
#[derive(Debug)]
pub struct JournalError {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot use the journal `{}`: {}", self.path, self.reason)
    }
}

pub type Result<T> = std::result::Result<T, JournalError>;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  key TEXT UNIQUE,
  app TEXT NOT NULL, entity TEXT NOT NULL, kind TEXT NOT NULL,
  record TEXT NOT NULL, actor TEXT, changed TEXT,
  received INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued',
  run_base INTEGER, message TEXT, finished INTEGER,
  runs TEXT
);
CREATE TABLE IF NOT EXISTS actions (
  key TEXT PRIMARY KEY, run INTEGER NOT NULL, entity TEXT NOT NULL,
  method TEXT NOT NULL, record INTEGER NOT NULL, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_run ON actions (run);
CREATE TABLE IF NOT EXISTS ids (
  entity TEXT NOT NULL, app_id TEXT, local INTEGER NOT NULL,
  UNIQUE (entity, app_id)
);
CREATE TABLE IF NOT EXISTS links (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL, record TEXT NOT NULL, fields TEXT NOT NULL,
  print INTEGER NOT NULL, chain TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS held (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event INTEGER NOT NULL, json TEXT NOT NULL, released INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS held_event ON held (event);
CREATE TABLE IF NOT EXISTS releases (event INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event INTEGER NOT NULL, channel TEXT, text TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_records (
  entity TEXT NOT NULL, id INTEGER NOT NULL, record TEXT,
  PRIMARY KEY (entity, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_pairs (
  sync TEXT NOT NULL, left_record TEXT NOT NULL, pair TEXT NOT NULL,
  PRIMARY KEY (sync, left_record)
);
"#;

/// Milliseconds since 1970.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The key that makes an event a duplicate: the sender's `X-Weir-Event-Id`, or else the
/// request's signature, scoped by the route it came to (`Shop/order/new id:42`). A sender
/// retries a delivery to the same route, so ids need only be unique per route: id `42` of
/// `Shop/order/new` and id `42` of `Crm/contact/updated` are two events.
pub fn event_key(
    app: &str,
    entity: &str,
    kind: &str,
    id: Option<&str>,
    signature: Option<&str>,
) -> Option<String> {
    match (id, signature) {
        (Some(id), _) => Some(format!("{app}/{entity}/{kind} id:{id}")),
        (None, Some(signature)) => Some(format!("{app}/{entity}/{kind} sig:{signature}")),
        (None, None) => None,
    }
}

/// Journals written before keys were scoped by route hold bare event ids: scope them once.
pub(super) const SCOPE_KEYS: &str =
    "UPDATE events SET key = app || '/' || entity || '/' || kind || ' id:' || key
     WHERE key IS NOT NULL AND key NOT LIKE app || '/' || entity || '/' || kind || ' %'";

/// An event to accept.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// The duplicate key ([`event_key`]).
    pub key: Option<String>,
    pub app: String,
    pub entity: String,
    pub kind: String,
    /// The record as it came, JSON text.
    pub record: String,
    pub actor: Option<String>,
    pub changed: Option<String>,
}

/// What became of an event offered to the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    New(i64),
    /// An event with the same `X-Weir-Event-Id` was accepted before, as this one.
    Duplicate(i64),
}

/// An accepted event as the journal holds it.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub id: i64,
    pub app: String,
    pub entity: String,
    pub kind: String,
    pub record: String,
    pub actor: Option<String>,
    pub changed: Option<String>,
    pub status: EventStatus,
    pub run_base: Option<u64>,
    pub message: Option<String>,
    /// When it last finished running (milliseconds since 1970).
    pub finished: Option<i64>,
    /// When it was accepted (milliseconds since 1970).
    pub received: i64,
}

/// One thing an event set off, as `weir runs` lists it (a row of [`super::runs`]). Journals
/// written before that table kept them as JSON, one a line: objects by name, or older arrays
/// of the same four fields in this order, which read back too.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRow {
    pub run: Option<u64>,
    pub by: String,
    pub status: RunStatus,
    pub message: Option<String>,
}

/// A write to a real app kept in the ledger.
#[derive(Clone, Debug)]
pub struct LedgerRow {
    pub kind: String,
    pub record: String,
    pub fields: String,
    pub print: u64,
    pub chain: String,
}

/// What running an event came to.
#[derive(Clone, Debug, Default)]
pub struct Finished {
    pub event: i64,
    /// The event's status before it ran (queued, or failed or held for a replay).
    pub was: EventStatus,
    pub status: EventStatus,
    pub run_base: u64,
    pub message: Option<String>,
    pub runs: Vec<RunRow>,
    /// Held events, as the state file writes them.
    pub held: Vec<String>,
    pub notes: Vec<(Option<String>, String)>,
    pub written: Vec<LedgerRow>,
    /// Held rows of the event that this run released.
    pub released: bool,
    /// Writes to real apps its runs decided, to send ([`super::outbox`]).
    pub writes: Vec<crate::remote::deferred::Planned>,
    /// Windows of rate limits its runs opened: `(workflow, per value, started at)`.
    pub limited: Vec<(String, String, i64)>,
    /// Runs whose failed runs workflows are on, with the event each started on as JSON
    /// ([`super::failed_runs`]).
    pub heard: Vec<(u64, String)>,
    /// What it changed besides its rows, and the counters after it.
    pub changes: super::recording::Changes,
}

/// A run as `weir runs` and `GET /runs` show it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub event: i64,
    pub app: String,
    pub entity: String,
    pub kind: String,
    pub event_status: EventStatus,
    pub run: Option<u64>,
    pub by: String,
    pub status: RunStatus,
    pub message: Option<String>,
    pub at: i64,
}

/// How many events are in each state.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub queued: u64,
    pub done: u64,
    pub failed: u64,
    pub held: u64,
}

pub struct Journal {
    conn: Db,
    /// The journal as messages name it (a PostgreSQL URL without its password).
    path: String,
    /// The journal as it was given, to open it again.
    location: PathBuf,
}

impl Journal {
    /// Opens (or creates) a journal: a SQLite file, or a PostgreSQL database by its URL
    /// (`postgres://…`). `durable`: every commit is synced to disk before it returns (for
    /// accepting events); otherwise a commit survives a crash of weir but maybe not of the
    /// machine, which is enough where the work can be done again. A PostgreSQL commit is
    /// always the server's.
    pub fn open(path: &Path, durable: bool) -> Result<Journal> {
        if let Some(url) = postgres::url_of(path) {
            let name = postgres::redacted(url);
            let conn = postgres::open(url).map_err(|reason| JournalError {
                path: name.clone(),
                reason,
            })?;
            return Ok(Journal {
                conn,
                path: name,
                location: path.to_path_buf(),
            });
        }
        let name = path.display().to_string();
        let conn =
            super::db::sqlite::open_journal(path, durable).map_err(|reason| JournalError {
                path: name.clone(),
                reason,
            })?;
        Ok(Journal {
            conn,
            path: name,
            location: path.to_path_buf(),
        })
    }

    /// Opens an existing journal only (`weir runs`, `weir replay`).
    pub fn open_existing(path: &Path) -> Result<Journal> {
        if postgres::url_of(path).is_none() && !path.is_file() {
            return Err(JournalError {
                path: path.display().to_string(),
                reason: "there is no such file; `weir serve … --journal FILE` makes one".into(),
            });
        }
        Journal::open(path, true)
    }

    /// The journal as messages name it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The journal as it was given (a file, or a URL with its password), to open it again.
    pub fn location(&self) -> &Path {
        &self.location
    }

    /// The connection, for the tables other modules keep ([`super::outbox`], `limits_seen`).
    pub(super) fn conn(&self) -> &Db {
        &self.conn
    }

    pub(super) fn fail(&self, err: DbError) -> JournalError {
        fail_in(&self.path, err)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.one("SELECT value FROM meta WHERE key = ?1", args![key])
            .map(Option::flatten)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                args![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    /// The first column of the first row a query reads, if there is a row.
    fn one<T: FromValue>(&self, sql: &str, args: &[&dyn ToValue]) -> Result<Option<T>> {
        self.conn
            .query_opt(sql, args)
            .and_then(|row| row.map(|r| r.get(0)).transpose())
            .map_err(|e| self.fail(e))
    }

    /// Accepts a batch of events in one transaction, synced once: a group commit.
    pub fn accept(&mut self, batch: &[NewEvent]) -> Result<Vec<Accepted>> {
        let now = now_ms();
        let fail = |e| fail_in(&self.path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        // On PostgreSQL each event has its record's order key, for several servers' claims.
        let orders = super::claims::lock_records(&tx, batch).map_err(fail)?;
        let mut out = Vec::with_capacity(batch.len());
        for (e, order) in batch.iter().zip(orders) {
            let inserted = match &order {
                Some(order) => tx.query_opt(
                    "INSERT INTO events (key, app, entity, kind, record, actor, changed,
                       received, order_key)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (key) DO NOTHING RETURNING id",
                    args![
                        e.key, e.app, e.entity, e.kind, e.record, e.actor, e.changed, now, order
                    ],
                ),
                None => tx.query_opt(
                    "INSERT INTO events (key, app, entity, kind, record, actor, changed, received)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (key) DO NOTHING RETURNING id",
                    args![
                        e.key, e.app, e.entity, e.kind, e.record, e.actor, e.changed, now
                    ],
                ),
            };
            let added = inserted
                .and_then(|row| row.map(|r| r.get(0)).transpose())
                .map_err(fail)?;
            match added {
                Some(id) => out.push(Accepted::New(id)),
                None => {
                    let id = tx
                        .query_one("SELECT id FROM events WHERE key = ?1", args![e.key])
                        .and_then(|r| r.get(0))
                        .map_err(fail)?;
                    out.push(Accepted::Duplicate(id));
                }
            }
        }
        tx.commit().map_err(fail)?;
        Ok(out)
    }

    fn events_where(&self, condition: &str, args: &[&dyn ToValue]) -> Result<Vec<StoredEvent>> {
        let sql = format!(
            "SELECT id, app, entity, kind, record, actor, changed, status, run_base, message, finished,
               received
             FROM events WHERE {condition}"
        );
        self.rows(&sql, args, |r| {
            Ok(StoredEvent {
                id: r.get(0)?,
                app: r.get(1)?,
                entity: r.get(2)?,
                kind: r.get(3)?,
                record: r.get(4)?,
                actor: r.get(5)?,
                changed: r.get(6)?,
                status: r.get(7)?,
                run_base: r.get(8)?,
                message: r.get(9)?,
                finished: r.get(10)?,
                received: r.get(11)?,
            })
        })
    }

    /// Every event not yet run, oldest first (not those run whose writes wait in the outbox).
    pub fn queued(&self) -> Result<Vec<StoredEvent>> {
        self.events_where("status = 'queued' AND outcome IS NULL ORDER BY id", &[])
    }

    /// Up to `limit` queued events after event `last`, oldest first.
    pub fn queued_after(&self, last: i64, limit: u32) -> Result<Vec<StoredEvent>> {
        let condition =
            format!("status = 'queued' AND outcome IS NULL AND id > ?1 ORDER BY id LIMIT {limit}");
        self.events_where(&condition, args![last])
    }

    /// Every event in a state (`failed`, `held`), oldest first.
    pub fn with_status(&self, status: EventStatus) -> Result<Vec<StoredEvent>> {
        self.events_where("status = ?1 ORDER BY id", args![status])
    }

    pub fn event(&self, id: i64) -> Result<Option<StoredEvent>> {
        Ok(self.events_where("id = ?1", args![id])?.into_iter().next())
    }

    /// The held events of an event not yet released, as the state file writes them.
    pub fn held_of(&self, event: i64) -> Result<Vec<String>> {
        self.rows(
            "SELECT json FROM held WHERE event = ?1 AND released = 0 ORDER BY id",
            args![event],
            |r| r.get(0),
        )
    }

    /// Asks for an event to be run again (`weir replay`).
    pub fn request_release(&self, event: i64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO releases (event) VALUES (?1) ON CONFLICT (event) DO NOTHING",
                args![event],
            )
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    /// Whether a release of an event waits to be taken.
    pub fn release_pending(&self, event: i64) -> Result<bool> {
        self.one::<i64>(
            "SELECT COUNT(*) FROM releases WHERE event = ?1",
            args![event],
        )
        .map(|n| n.unwrap_or(0) > 0)
    }

    /// The events `weir replay` asked for, taken off the list: each by one server only, where
    /// several share the journal (the rows a server deletes are its own to run).
    pub fn take_releases(&mut self) -> Result<Vec<i64>> {
        // In a transaction, never run twice: a connection lost before its rows arrived loses
        // the transaction, not the releases.
        let fail = |e| fail_in(&self.path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut ids = tx
            .query_map("DELETE FROM releases RETURNING event", &[], |r| {
                r.get::<i64>(0)
            })
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// Records what a batch of events came to, the links made, the counters and what the
    /// simulated apps changed, at once. An event with writes to send stays queued, its writes
    /// in the outbox: their rows.
    pub fn finish(
        &mut self,
        program: &crate::program::Program,
        batch: &[Finished],
        links: &[(String, String)],
        counters: &[(&str, u64)],
        sim: &SimChanges,
    ) -> Result<Vec<super::outbox::Row>> {
        let fail = |e| fail_in(&self.path, e);
        let tx = self.conn.transaction().map_err(fail)?;
        let mut rows = Vec::new();
        for f in batch {
            // An event another server took meanwhile (this one's lease ran out) is its own.
            let claimed = f.was == EventStatus::Queued;
            if claimed && !super::claims::still_ours(&tx, f.event).map_err(fail)? {
                continue;
            }
            rows.extend(finish_event(&tx, program, f).map_err(fail)?);
            if f.writes.is_empty() {
                super::claims::let_go_of(&tx, f.event).map_err(fail)?;
            } else if !claimed {
                super::claims::keep(&tx, f.event).map_err(fail)?;
            }
        }
        for (a, b) in links {
            tx.execute(
                "INSERT INTO links (a, b) VALUES (?1, ?2) ON CONFLICT (a, b) DO NOTHING",
                args![a, b],
            )
            .map_err(fail)?;
        }
        for (key, value) in counters {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                args![key, value.to_string()],
            )
            .map_err(fail)?;
        }
        write_sim(&tx, sim).map_err(fail)?;
        super::timers::write(&tx, &sim.timers).map_err(fail)?;
        super::waits::write(&tx, &sim.waits).map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(rows)
    }

    /// The first run number of the oldest event that failed or was held (it may run again).
    pub fn oldest_failed_run(&self) -> Result<Option<u64>> {
        self.one::<Option<u64>>(
            "SELECT MIN(run_base) FROM events WHERE status IN ('failed', 'held')",
            &[],
        )
        .map(Option::flatten)
    }

    /// Every entry of the id table: `(entity, app id, local id)`.
    pub fn ids(&self) -> Result<Vec<(String, String, u64)>> {
        self.rows("SELECT entity, app_id, local FROM ids", &[], |r| {
            let app_id: Option<String> = r.get(1)?;
            Ok((r.get(0)?, app_id.unwrap_or_default(), r.get(2)?))
        })
    }

    pub fn links(&self) -> Result<Vec<(String, String)>> {
        self.rows("SELECT a, b FROM links", &[], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// Writes real apps confirmed in runs numbered `from` on: `(key, local id)`.
    pub fn done_actions(&self, from: u64) -> Result<Vec<(String, u64)>> {
        self.rows(
            "SELECT key, record FROM actions WHERE run >= ?1",
            args![from],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The ledger's writes of the last `keep` milliseconds, oldest first; older ones go.
    pub fn ledger(&self, keep: i64) -> Result<Vec<LedgerRow>> {
        let since = now_ms() - keep;
        self.conn
            .execute("DELETE FROM ledger WHERE at < ?1", args![since])
            .map_err(|e| self.fail(e))?;
        self.rows(
            "SELECT kind, record, fields, print, chain FROM ledger ORDER BY id",
            &[],
            |r| {
                Ok(LedgerRow {
                    kind: r.get(0)?,
                    record: r.get(1)?,
                    fields: r.get(2)?,
                    print: r.get(3)?,
                    chain: r.get(4)?,
                })
            },
        )
    }

    fn rows<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        map: impl FnMut(&Row) -> DbResult<T>,
    ) -> Result<Vec<T>> {
        self.conn
            .query_map(sql, args, map)
            .map_err(|e| self.fail(e))
    }

    /// Recent runs, newest first ([`super::runs::list`]).
    pub fn list(&self, status: Option<EventStatus>, limit: u32) -> Result<Vec<Listed>> {
        super::runs::list(&self.conn, status, limit).map_err(|e| self.fail(e))
    }

    /// The highest event number accepted (for the journal's marker).
    pub fn last_event(&self) -> Result<i64> {
        self.one("SELECT COALESCE(MAX(id), 0) FROM events", &[])
            .map(Option::unwrap_or_default)
    }

    /// How many events are in each state (a scan of the journal: `weir serve` keeps these
    /// counts as it goes, [`super::Counters`]).
    pub fn tally(&self) -> Result<Tally> {
        let mut tally = Tally::default();
        for (status, n) in self.rows(
            "SELECT status, COUNT(*) FROM events GROUP BY status",
            &[],
            |r| Ok((r.get::<String>(0)?, r.get::<u64>(1)?)),
        )? {
            match status.parse() {
                Ok(EventStatus::Queued) => tally.queued = n,
                Ok(EventStatus::Done) => tally.done = n,
                Ok(EventStatus::Failed) => tally.failed = n,
                Ok(EventStatus::Held) => tally.held = n,
                Err(_) => {}
            }
        }
        Ok(tally)
    }

    /// Records a write a real app confirmed.
    pub fn action_done(
        &self,
        key: &str,
        run: u64,
        entity: &str,
        method: &str,
        record: u64,
    ) -> Result<()> {
        self.conn
            .execute(
                ACTION_DONE,
                args![key, run, entity, method, record, now_ms()],
            )
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    pub fn new_id(&self, entity: &str, app_id: &str, local: u64) -> Result<()> {
        if !app_id.is_empty() {
            // A record created with its write kept for later got its number first.
            self.conn
                .execute(UNNAMED_ID, args![entity, local])
                .map_err(|e| self.fail(e))?;
        }
        self.conn
            .execute(
                PUT_ID,
                args![entity, (!app_id.is_empty()).then_some(app_id), local],
            )
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }
}

/// A write a real app confirmed, by its idempotency key: `(key, run, entity, method, record,
/// at)`; the same key again (sent again after a crash) keeps the latest.
pub const ACTION_DONE: &str = "INSERT INTO actions (key, run, entity, method, record, at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (key) DO UPDATE SET run = excluded.run, entity = excluded.entity,
       method = excluded.method, record = excluded.record, at = excluded.at";

/// The row of a record whose app id is not known yet: `(entity, local)`.
pub const UNNAMED_ID: &str = "DELETE FROM ids WHERE entity = ?1 AND local = ?2 AND app_id IS NULL";

/// A record's app id: `(entity, app id or null, local)`.
pub const PUT_ID: &str = "INSERT INTO ids (entity, app_id, local) VALUES (?1, ?2, ?3)
     ON CONFLICT (entity, app_id) DO UPDATE SET local = excluded.local";

/// One finished event's rows, in the transaction of its batch.
fn finish_event(
    tx: &Db,
    program: &crate::program::Program,
    f: &Finished,
) -> DbResult<Vec<super::outbox::Row>> {
    let now = now_ms();
    // Its writes to send first: it is what its runs came to once they are sent.
    let (status, outcome, finished) = if f.writes.is_empty() {
        (f.status, None, Some(now))
    } else {
        (EventStatus::Queued, Some(f.status), None)
    };
    tx.execute(
        "UPDATE events SET status = ?2, run_base = ?3, message = ?4, finished = ?5,
           outcome = ?6
         WHERE id = ?1",
        args![f.event, status, f.run_base, f.message, finished, outcome],
    )?;
    let rows = super::outbox::insert(tx, program, f.event, &f.writes)?;
    // A release adds its runs to those the event had; a run again replaces them.
    super::runs::write(tx, f.event, &f.runs, f.released)?;
    super::failed_runs::keep(tx, f)?;
    if f.released {
        tx.execute(
            "UPDATE held SET released = 1 WHERE event = ?1",
            args![f.event],
        )?;
    }
    for json in &f.held {
        tx.execute(
            "INSERT INTO held (event, json) VALUES (?1, ?2)",
            args![f.event, json],
        )?;
    }
    for (channel, text) in &f.notes {
        tx.execute(
            "INSERT INTO notifications (event, channel, text, at) VALUES (?1, ?2, ?3, ?4)",
            args![f.event, channel, text, now],
        )?;
    }
    for w in &f.written {
        tx.execute(
            "INSERT INTO ledger (kind, record, fields, print, chain, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![w.kind, w.record, w.fields, w.print, w.chain, now],
        )?;
    }
    Ok(rows)
}

pub(super) fn fail_in(path: &str, err: DbError) -> JournalError {
    JournalError {
        path: path.to_string(),
        reason: err.0,
    }
}

/// What the simulated apps and the sync ledger changed in a batch. It is written in the
/// transaction that marks the batch's events done, so that after a crash the simulated apps
/// are exactly where the events are: an id given out is never given again, and a link in the
/// journal never points at a record that was lost.
#[derive(Clone, Debug, Default)]
pub struct SimChanges {
    /// `(App/entity, id, record as JSON)`; `None` for a deleted record, whose id stays taken.
    pub records: Vec<(String, u64, Option<String>)>,
    /// `(sync, left record, pair as JSON)`; `None` for a pair no longer linked.
    pub pairs: Vec<(String, String, Option<String>)>,
    /// Timers the records' changes planned or cancelled, in order ([`super::timers`]).
    pub timers: Vec<super::timers::Plan>,
    /// Runs that began to wait or went on, in order ([`super::waits`]).
    pub waits: Vec<super::waits::Change>,
}

impl SimChanges {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.pairs.is_empty()
    }
}

fn write_sim(tx: &Db, sim: &SimChanges) -> DbResult<()> {
    for (entity, id, json) in &sim.records {
        tx.execute(
            "INSERT INTO sim_records (entity, id, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (entity, id) DO UPDATE SET record = excluded.record",
            args![entity, id, json],
        )?;
    }
    for (sync, left, json) in &sim.pairs {
        match json {
            Some(json) => tx.execute(
                "INSERT INTO sync_pairs (sync, left_record, pair) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sync, left_record) DO UPDATE SET pair = excluded.pair",
                args![sync, left, json],
            )?,
            None => tx.execute(
                "DELETE FROM sync_pairs WHERE sync = ?1 AND left_record = ?2",
                args![sync, left],
            )?,
        };
    }
    Ok(())
}

impl Journal {
    /// The simulated apps' records, by entity and id: `(App/entity, id, record as JSON)`,
    /// `None` for a deleted one.
    pub fn sim_records(&self) -> Result<Vec<(String, u64, Option<String>)>> {
        self.rows(
            "SELECT entity, id, record FROM sim_records ORDER BY entity, id",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// The sync ledger's pairs, as JSON.
    pub fn sync_pairs(&self) -> Result<Vec<String>> {
        self.rows(
            // A pair removed on a shared journal stays as an empty row (migration 0004).
            "SELECT pair FROM sync_pairs WHERE pair <> '' ORDER BY sync, left_record",
            &[],
            |r| r.get(0),
        )
    }
}
