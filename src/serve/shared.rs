//! What the servers on one PostgreSQL journal share besides its events: the writes apps
//! confirmed, the app ids learned, the links made, the echo ledger and the sync ledger's pairs,
//! each read as the others add them (a pair removed stays as an empty row, for them to see).
//!
//! ```text
//! server a runs #41: POST Crm/contact (key …-1/1) → 201 c-3      actions, ids, ledger rows
//! server b, before it runs #43 (Crm/contact c-3 updated):
//!   reads the rows added since it last read → knows c-3, and that its update is a's echo
//! ```
//!
//! A server reads the rows the others added since it last read ([`Reader::read`]), before it
//! runs the events it claimed. Rows are numbered as they are written (`seq`) and carry the
//! transaction that wrote them (`tx`): a transaction that took its number early may commit
//! late, so a read asks for every row of a transaction not older than the oldest one still
//! running at the last read (the snapshot's `xmin`), and leaves out those it already had.
//! Nothing is missed and nothing is taken twice. A server's own rows are left out by its
//! name, which it gives its connections (`application_name`).
//!
//! The run budget and the windows of rate limits are granted to each server's engine by the
//! journal ([`super::granted`]). Held events are those whose status is `held` in the journal,
//! which every server and `weir runs` read alike.

use std::collections::HashMap;

use postgres::GenericClient;

use super::db::{Db, DbResult};
use super::journal::LedgerRow;
use super::worker::{self, Worker};
use crate::program::Program;
use crate::remote::Connected;
use crate::run::{Engine, state};

/// What the other servers added since the last read.
#[derive(Clone, Debug, Default)]
pub struct Added {
    /// Writes apps confirmed: `(idempotency key, engine's number of the record)`.
    pub actions: Vec<(String, u64)>,
    /// The id table: `(App/entity, app's id, engine's number)`.
    pub ids: Vec<(String, Option<String>, u64)>,
    pub links: Vec<(String, String)>,
    pub ledger: Vec<LedgerRow>,
    /// The sync ledger's pairs written: `(sync, left record, pair as JSON)`, the pair empty
    /// where it was removed.
    pub pairs: Vec<(String, String, String)>,
}

impl Added {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
            && self.ids.is_empty()
            && self.links.is_empty()
            && self.ledger.is_empty()
            && self.pairs.is_empty()
    }
}

/// Where one server is in the rows the others add.
#[derive(Clone, Debug)]
pub struct Reader {
    server: String,
    /// The oldest transaction running at the last read (`xid8`, as text).
    horizon: String,
    /// Rows already read of transactions at or past the horizon: `seq → tx`.
    seen: HashMap<i64, u64>,
}

/// The tables read, each with its columns after `seq` and `tx`.
const TABLES: [(&str, &str); 5] = [
    ("actions", "key, record, NULL, NULL, NULL"),
    ("ids", "entity, local, app_id, NULL, NULL"),
    ("links", "a, NULL, b, NULL, NULL"),
    ("ledger", "kind, print, record, fields, chain"),
    ("sync_pairs", "sync, NULL, left_record, pair, NULL"),
];

impl Reader {
    /// Starts from now: rows of transactions that are still running, or begin later, are
    /// read; the others were there when the server loaded the journal.
    pub fn start(client: &mut impl GenericClient, server: &str) -> Result<Reader, postgres::Error> {
        let horizon = client
            .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::TEXT", &[])?
            .get(0);
        Ok(Reader {
            server: server.to_string(),
            horizon,
            seen: HashMap::new(),
        })
    }

    /// The rows the other servers added since the last read.
    pub fn read(&mut self, client: &mut impl GenericClient) -> Result<Added, postgres::Error> {
        let mut tx = client.transaction()?;
        // One snapshot for every statement of the read.
        tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        // The snapshot the reads below see, taken by this first statement.
        let horizon: String = tx
            .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::TEXT", &[])?
            .get(0);
        let mut added = Added::default();
        for (table, columns) in TABLES {
            let sql = format!(
                "SELECT seq, tx::TEXT, {columns} FROM {table}
                 WHERE tx >= $1::TEXT::XID8 AND server IS DISTINCT FROM $2 ORDER BY seq"
            );
            for row in tx.query(&sql, &[&self.horizon, &self.server])? {
                let (seq, written): (i64, String) = (row.get(0), row.get(1));
                let written = written.parse().unwrap_or(u64::MAX);
                if self.seen.insert(seq, written).is_some() {
                    continue;
                }
                take(table, &row, &mut added);
            }
        }
        tx.commit()?;
        let oldest: u64 = horizon.parse().unwrap_or(0);
        self.seen.retain(|_, written| *written >= oldest);
        self.horizon = horizon;
        Ok(added)
    }
}

/// A row of one of the [`TABLES`] into what was added.
fn take(table: &str, row: &postgres::Row, added: &mut Added) {
    let text = |i: usize| row.get::<_, Option<String>>(i).unwrap_or_default();
    let number = |i: usize| row.get::<_, Option<i64>>(i).unwrap_or(0) as u64;
    match table {
        "actions" => added.actions.push((text(2), number(3))),
        "ids" => added.ids.push((text(2), row.get(4), number(3))),
        "links" => added.links.push((text(2), text(4))),
        "sync_pairs" => added.pairs.push((text(2), text(4), text(5))),
        _ => added.ledger.push(LedgerRow {
            kind: text(2),
            print: number(3),
            record: text(4),
            fields: text(5),
            chain: text(6),
        }),
    }
}

/// Events the run-time guard holds, on every server.
pub fn held(client: &mut impl GenericClient) -> Result<u64, postgres::Error> {
    let row = client.query_one("SELECT COUNT(*) FROM events WHERE status = 'held'", &[])?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// The engine's number for a record of `entity` no server has numbered (`app_id` empty: a
/// record the app has not named yet), or the one a server gave it: every server numbers
/// records from one count per entity, so that no two records share a number, and a record
/// the app names gets one number whichever server meets it first. `least`: the next number
/// the asking server would give (past every number it knows).
pub fn number(db: &Db, entity: &str, app_id: &str, least: u64) -> DbResult<u64> {
    let known = "SELECT local FROM ids WHERE entity = ?1 AND app_id = ?2";
    if !app_id.is_empty()
        && let Some(row) = db.query_opt(known, crate::args![entity, app_id])?
    {
        return row.get(0);
    }
    let given: u64 = db
        .query_one(
            "INSERT INTO local_numbers (entity, last) VALUES (?1, ?2)
             ON CONFLICT (entity) DO UPDATE SET last = GREATEST(local_numbers.last + 1, ?2)
             RETURNING last",
            crate::args![entity, least],
        )?
        .get(0)?;
    if app_id.is_empty() {
        return Ok(given);
    }
    // Another server may name the record at the same moment: the first row stays.
    db.execute(
        "INSERT INTO ids (entity, app_id, local) VALUES (?1, ?2, ?3)
         ON CONFLICT (entity, app_id) DO NOTHING",
        crate::args![entity, app_id, given],
    )?;
    db.query_one(known, crate::args![entity, app_id])?.get(0)
}

/// Takes what the other servers added into a worker's engine ([`Reader::read`]): the app ids
/// they learned, the writes apps confirmed, the links and the echo ledger, as
/// [`Worker::open`] puts them back from the journal.
pub fn take_in(worker: &mut Worker, program: &Program, added: &Added) {
    let engine = worker.engine_mut();
    if let Some(http) = engine.apps_mut().http_mut() {
        for (entity, app_id, local) in &added.ids {
            if let Some(entity) = worker::entity_named(program, entity) {
                http.restore_id(entity, app_id.as_deref().unwrap_or_default(), *local);
            }
        }
        for (key, local) in &added.actions {
            if let Ok(key) = key.parse() {
                http.restore_done(key, *local);
            }
        }
    }
    for (a, b) in &added.links {
        if let (Ok(a), Ok(b)) = (state::record_ref(program, a), state::record_ref(program, b)) {
            engine.apps_mut().restore_link(a, b);
        }
    }
    for row in &added.ledger {
        if let Some(written) = worker::ledger_entry(program, row) {
            engine.remember_write(written);
        }
    }
    for (sync, left, pair) in &added.pairs {
        take_pair(engine, program, (sync, left, pair));
    }
}

/// A pair of the sync ledger another server wrote, into the engine's ledger; one it removed
/// (an empty pair), out of it. A pair that no longer fits the script is left out.
fn take_pair(
    engine: &mut Engine<Connected>,
    program: &Program,
    (sync, left, pair): (&str, &str, &str),
) {
    if pair.is_empty() {
        if let (Some(sync), Ok(left)) = (
            state::sync_named(program, sync),
            state::record_ref(program, left),
        ) {
            engine.ledger_mut().drop_adopted(sync, left.id);
        }
        return;
    }
    let json = serde_json::from_str(pair).unwrap_or_default();
    if let Ok(pair) = state::load_pair(program, &json, "a pair another server wrote") {
        engine.ledger_mut().adopt(pair);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::remote::Policy;
    use crate::run::Options;
    use crate::run::apps::RecordRef;

    const SCRIPT: &str = r#"app Shop { order { customer: text } }
app Crm at "http://127.0.0.1:9" { contact { name: text } }

workflow make {
  on new order in Shop
  create contact in Crm { name: customer }
}
"#;

    fn program() -> Arc<Program> {
        let loaded = crate::load::parse_all(vec![("shop.weir".into(), SCRIPT.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors());
        Arc::new(checked.program)
    }

    #[test]
    fn a_worker_takes_in_the_ids_others_learned() {
        let dir = std::env::temp_dir().join(format!("weir-shared-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let p = program();
        let Ok(mut worker) = Worker::open(
            &dir.join("weir.db"),
            Arc::clone(&p),
            Options::default(),
            Policy::default(),
        ) else {
            panic!("the worker starts");
        };
        let added = Added {
            ids: vec![("Crm/contact".into(), Some("c-3".into()), 7)],
            ..Added::default()
        };
        take_in(&mut worker, &p, &added);
        let contact = p
            .entity_named(p.app_named("Crm").unwrap(), "contact")
            .unwrap();
        let http = worker.engine_mut().apps().http().unwrap();
        assert_eq!(
            http.app_id(RecordRef::new(contact, 7)).as_deref(),
            Some("c-3")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
