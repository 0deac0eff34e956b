//! Claims: several `weir serve` share the events of one PostgreSQL journal, each event run by
//! one of them at a time, every record's events in the order they were accepted.
//!
//! ```text
//! accepted #41 Shop/order/7, #42 Shop/order/9, #43 Shop/order/7
//! server a claims → #41, #42 (leased to a for 30 s; #41 takes run numbers 1–1000000)
//! server b claims → nothing: #43 waits for #41, its record's earlier event
//! a finishes #41  → b claims #43;  a is killed while it runs #42 → 30 s on, b claims #42, which
//!                   keeps its run numbers, so its writes keep their idempotency keys
//! ```
//!
//! Each event gets, when it is accepted, the key of the record it is about (its order key:
//! `App/entity/id`, the record's own `id`; an event with none, such as a new record without
//! one yet, has no key and waits for no other event). A server claims a batch with `FOR UPDATE
//! SKIP LOCKED`: the oldest queued events whose lease is free (never taken, or run out) and
//! with no earlier unfinished event of their key. Unfinished is `queued`: not run, being run,
//! or run with writes still in the outbox; so per-record order holds across servers whatever
//! their speeds. A claim leases the event to its server (`lease_owner` until `lease_until`, on
//! the database's clock, `claims` counting the takes); the server renews its leases while it
//! works. A server that stops without finishing leaves its events to the others when their
//! leases run out, and one that stops cleanly lets go of them at once.
//!
//! Finishing an event checks, in the transaction that records it, that the lease is still
//! this server's and this take's (the row locked, so no claim takes it meanwhile): an event
//! finishes once, whoever ran it. A write an app confirmed is recorded once by its idempotency
//! key, whoever sent it.
//!
//! Run numbers: the first claim of an event takes a block of [`RUN_BLOCK`] numbers from the
//! sequence `run_bases` (block `n` starts at `n × RUN_BLOCK + 1`); the event keeps it when it
//! is claimed again after a crash, so that its runs have the same numbers and its writes the
//! same idempotency keys, unique across servers. An event that would run more runs than its
//! block holds is failed rather than run into the next block ([`fits`]).
//!
//! Two servers accepting events of one record at once would number them in one order and
//! commit them in the other, and a claim in between would see the later first: accepting
//! takes a lock per order key ([`lock_records`]), so that events of a record are committed in the
//! order of their numbers.

use postgres::GenericClient;
use serde_json::Value as Json;

use super::db::{Db, DbResult};
use super::journal::{NewEvent, StoredEvent};
use super::status::EventStatus;

/// The journal's tables for claims, after `0001_journal.sql`.
pub const MIGRATION: &str = include_str!("../../migrations/postgres/0002_claims.sql");

/// Run numbers each event may use.
pub const RUN_BLOCK: u64 = 1_000_000;

/// Whether the runs of an event whose block starts at `base` end before the next block:
/// `next` is the run number after its last run.
pub fn fits(base: u64, next: u64) -> bool {
    next <= base + RUN_BLOCK
}

/// The key of the record an event is about: `App/entity/id`, with the record's `id` as the
/// app writes it (`"t-7"` and `7` are both `7`'s text); none where it has no id.
pub fn order_key(app: &str, entity: &str, record: &str) -> Option<String> {
    let json: Json = serde_json::from_str(record).ok()?;
    let id = match json.get("id")? {
        Json::String(s) if !s.is_empty() => s.clone(),
        Json::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(format!("{app}/{entity}/{id}"))
}

/// The order keys of a batch of events about to be accepted, in the transaction that inserts
/// them: on PostgreSQL, each key is locked first, in one order for every server, so that two
/// servers never commit events of a record out of the order of their numbers; on SQLite (one
/// server) there are none.
pub fn lock_records(tx: &Db, batch: &[NewEvent]) -> DbResult<Vec<Option<String>>> {
    if !tx.is_postgres() {
        return Ok(vec![None; batch.len()]);
    }
    let keys: Vec<Option<String>> = batch
        .iter()
        .map(|e| order_key(&e.app, &e.entity, &e.record))
        .collect();
    let locked: Vec<&str> = keys.iter().flatten().map(String::as_str).collect();
    if !locked.is_empty() {
        // Sorted before they are taken (the outer query locks in its subquery's order). A
        // key holding the separator only takes a lock or two more.
        tx.query(
            "SELECT COUNT(*) FROM (
               SELECT pg_advisory_xact_lock(h) FROM (
                 SELECT DISTINCT hashtextextended(k, 0) AS h
                 FROM unnest(string_to_array(?1, chr(31))) AS k ORDER BY h
               ) AS sorted
             ) AS locked",
            crate::args![locked.join("\u{1f}")],
        )?;
    }
    Ok(keys)
}

/// An event a server took: what it runs, and the take, which finishing checks.
#[derive(Clone, Debug)]
pub struct Claim {
    pub event: StoredEvent,
    /// How many times it has been taken, this one included.
    pub take: i32,
    /// The first of its block of run numbers.
    pub run_base: u64,
    /// It ran before, and only its writes in the outbox are left to send.
    pub sending: bool,
}

/// One server's side of the claims: its name, and how long its leases last.
#[derive(Clone, Debug)]
pub struct Claimer {
    owner: String,
    lease_ms: i64,
}

/// The columns of a claimed event, in [`StoredEvent`]'s order, then the take and whether it
/// ran.
const CLAIMED: &str = "e.id, e.app, e.entity, e.kind, e.record, e.actor, e.changed, e.status,
     e.run_base, e.message, e.finished, e.claims, e.outcome IS NOT NULL, e.received";

impl Claimer {
    /// `owner` names the server (unique among those on the journal, and new at each start:
    /// a server started again must not take for its own the leases of the one it replaces).
    pub fn new(owner: impl Into<String>, lease: std::time::Duration) -> Claimer {
        Claimer {
            owner: owner.into(),
            lease_ms: i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Takes up to `limit` events to run, oldest first (see the module's header).
    pub fn claim(
        &self,
        client: &mut impl GenericClient,
        limit: i64,
    ) -> Result<Vec<Claim>, postgres::Error> {
        let sql = format!(
            "WITH picked AS (
               SELECT e.id FROM events e
               WHERE e.status = 'queued'
                 AND (e.lease_until IS NULL OR e.lease_until < weir_now_ms())
                 AND NOT EXISTS (
                   SELECT 1 FROM events p
                   WHERE p.order_key = e.order_key AND p.status = 'queued' AND p.id < e.id)
               ORDER BY e.id
               LIMIT $2
               FOR UPDATE OF e SKIP LOCKED
             )
             UPDATE events e
             SET lease_owner = $1, lease_until = weir_now_ms() + $3, claims = e.claims + 1,
                 run_base = COALESCE(e.run_base, nextval('run_bases'))
             FROM picked WHERE e.id = picked.id
             RETURNING {CLAIMED}"
        );
        let rows = client.query(&sql, &[&self.owner, &limit, &self.lease_ms])?;
        let mut claims: Vec<Claim> = rows.iter().map(claimed).collect();
        claims.sort_by_key(|c| c.event.id);
        Ok(claims)
    }

    /// Renews the leases this server holds; the events renewed. An event whose row a
    /// transaction of this server holds (it is being recorded, or its writes settled) is
    /// renewed at the next turn: waiting for it, in whatever order the rows come, could
    /// deadlock with that transaction.
    pub fn renew(&self, client: &mut impl GenericClient) -> Result<Vec<i64>, postgres::Error> {
        let rows = client.query(
            "UPDATE events SET lease_until = weir_now_ms() + $2
             WHERE id IN (
               SELECT id FROM events WHERE lease_owner = $1 AND status = 'queued'
               FOR UPDATE SKIP LOCKED)
             RETURNING id",
            &[&self.owner, &self.lease_ms],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Whether this take of the event is still this server's, inside the transaction that
    /// records it: the event's row stays locked to the end of the transaction, so that no
    /// claim takes it meanwhile.
    pub fn holds(
        &self,
        tx: &mut impl GenericClient,
        claim: &Claim,
    ) -> Result<bool, postgres::Error> {
        let row = tx.query_opt(
            "SELECT 1 FROM events
             WHERE id = $1 AND lease_owner = $2 AND claims = $3 AND status = 'queued'
             FOR UPDATE",
            &[&claim.event.id, &self.owner, &claim.take],
        )?;
        Ok(row.is_some())
    }

    /// Marks a run event finished (`done`, `failed`, `held`) and lets go of it, if the take is
    /// still this server's; whether it was.
    pub fn finish(
        &self,
        client: &mut impl GenericClient,
        claim: &Claim,
        status: EventStatus,
    ) -> Result<bool, postgres::Error> {
        let mut tx = client.transaction()?;
        if !self.holds(&mut tx, claim)? {
            return Ok(false);
        }
        finished(&mut tx, claim.event.id, status)?;
        tx.commit()?;
        Ok(true)
    }

    /// Marks an event run, its writes in the outbox: it stays unfinished (and its record's
    /// later events wait) and leased to this server, which sends them; whether the take was
    /// still this server's.
    pub fn ran(
        &self,
        client: &mut impl GenericClient,
        claim: &Claim,
        outcome: EventStatus,
    ) -> Result<bool, postgres::Error> {
        let mut tx = client.transaction()?;
        if !self.holds(&mut tx, claim)? {
            return Ok(false);
        }
        tx.execute(
            "UPDATE events SET outcome = $2, run_base = $3 WHERE id = $1",
            &[&claim.event.id, &outcome.as_str(), &(claim.run_base as i64)],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Lets go of the events of a batch this server claimed and has not run (after an error);
    /// how many.
    pub fn let_go_of(
        &self,
        client: &mut impl GenericClient,
        claims: &[i64],
    ) -> Result<u64, postgres::Error> {
        client.execute(
            "UPDATE events SET lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = $1 AND status = 'queued' AND outcome IS NULL
               AND id = ANY($2)",
            &[&self.owner, &claims],
        )
    }

    /// Lets go of every event this server holds, for the others to take at once (at a clean
    /// stop); how many.
    pub fn let_go(&self, client: &mut impl GenericClient) -> Result<u64, postgres::Error> {
        // Rows held by a transaction of this server are being finished: not waited for.
        client.execute(
            "UPDATE events SET lease_owner = NULL, lease_until = NULL
             WHERE id IN (
               SELECT id FROM events WHERE lease_owner = $1 AND status = 'queued'
               FOR UPDATE SKIP LOCKED)",
            &[&self.owner],
        )
    }
}

/// Marks an event finished and its lease free, in a transaction that checked the lease.
pub fn finished(
    tx: &mut impl GenericClient,
    event: i64,
    status: EventStatus,
) -> Result<(), postgres::Error> {
    tx.execute(
        "UPDATE events SET status = $2, outcome = NULL, finished = weir_now_ms(),
           lease_owner = NULL, lease_until = NULL
         WHERE id = $1",
        &[&event, &status.as_str()],
    )?;
    Ok(())
}

/// A write an app confirmed, by its idempotency key: recorded once, whoever sent it (two
/// servers may both send a write whose lease ran out; the app takes the key once, and so does
/// the journal). Whether this call recorded it.
pub fn confirmed(
    client: &mut impl GenericClient,
    key: &str,
    run: u64,
    entity: &str,
    method: &str,
    record: u64,
) -> Result<bool, postgres::Error> {
    let n = client.execute(
        "INSERT INTO actions (key, run, entity, method, record, at)
         VALUES ($1, $2, $3, $4, $5, weir_now_ms())
         ON CONFLICT (key) DO NOTHING",
        &[&key, &(run as i64), &entity, &method, &(record as i64)],
    )?;
    Ok(n == 1)
}

/// Whether the server recording an event run from its queue may (in the transaction that
/// records it): on PostgreSQL, the event is still queued and leased to this server (its
/// connections are named after it, `application_name`), or leased to none (`--poll-once`);
/// its row then stays locked to the end of the transaction, so that no claim takes it
/// meanwhile. On SQLite, always.
pub fn still_ours(tx: &Db, event: i64) -> DbResult<bool> {
    if !tx.is_postgres() {
        return Ok(true);
    }
    let row = tx.query_opt(
        "SELECT 1 FROM events
         WHERE id = ?1 AND status = 'queued'
           AND (lease_owner IS NULL OR lease_owner = current_setting('application_name'))
         FOR UPDATE",
        crate::args![event],
    )?;
    Ok(row.is_some())
}

/// Leases to this server an event it ran again (a release of `weir replay`) whose writes it
/// now sends, so that no claim takes them as another server's left over (on PostgreSQL).
pub fn keep(tx: &Db, event: i64) -> DbResult<()> {
    if tx.is_postgres() {
        tx.execute(
            "UPDATE events SET lease_owner = current_setting('application_name'),
               lease_until = weir_now_ms() + ?2
             WHERE id = ?1",
            crate::args![event, LEASE_MS],
        )?;
    }
    Ok(())
}

/// How long a lease taken by [`keep`] lasts, in milliseconds (the cluster's renews it).
const LEASE_MS: i64 = 10_000;

/// A block of run numbers no event has, for the runs a release of a held event starts, which
/// are new runs (on PostgreSQL; on SQLite the one server numbers runs from its own count).
pub fn new_block(db: &Db) -> DbResult<Option<u64>> {
    if !db.is_postgres() {
        return Ok(None);
    }
    let base: i64 = db.query_one("SELECT nextval('run_bases')", &[])?.get(0)?;
    Ok(Some(base as u64))
}

/// Lets go of an event's lease once it is finished (on PostgreSQL).
pub fn let_go_of(tx: &Db, event: i64) -> DbResult<()> {
    if tx.is_postgres() {
        tx.execute(
            "UPDATE events SET lease_owner = NULL, lease_until = NULL WHERE id = ?1",
            crate::args![event],
        )?;
    }
    Ok(())
}

fn claimed(row: &postgres::Row) -> Claim {
    let status: String = row.get(7);
    let run_base: i64 = row.get(8);
    Claim {
        event: StoredEvent {
            id: row.get(0),
            app: row.get(1),
            entity: row.get(2),
            kind: row.get(3),
            record: row.get(4),
            actor: row.get(5),
            changed: row.get(6),
            status: status.parse().unwrap_or_default(),
            run_base: Some(run_base as u64),
            message: row.get(9),
            finished: row.get(10),
            received: row.get(13),
        },
        take: row.get(11),
        run_base: run_base as u64,
        sending: row.get(12),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_ordered_by_its_own_id_and_one_without_by_nothing() {
        let key = |record| order_key("Crm", "contact", record);
        assert_eq!(
            key(r#"{"id": "c-7", "name": "Ada"}"#).unwrap(),
            "Crm/contact/c-7"
        );
        assert_eq!(key(r#"{"id": 7}"#).unwrap(), "Crm/contact/7");
        assert_eq!(key(r#"{"name": "Ada"}"#), None);
        assert_eq!(key(r#"{"id": ""}"#), None);
        assert_eq!(key("not json"), None);
    }

    #[test]
    fn an_event_fits_its_block_up_to_the_next_one() {
        assert!(fits(1, 1 + RUN_BLOCK));
        assert!(!fits(1, 2 + RUN_BLOCK));
    }
}
