//! What the journal grants each server's engine where several servers share it: runs of the
//! run budget, and the windows of rate limits, so that both hold for the whole cluster.
//!
//! ```text
//! max 100 runs a minute, two servers
//! a: granted 12 of `notify` (12 of 100 taken) … its batch used 9 → gives 3 back (9 taken)
//! b: granted 11, then 10 …; 99 taken → a is granted 1, b 0 → b holds its event (budget)
//! `at most once per 1h per device`: a opens boiler-1's window at 08:00; b's reading of
//!   boiler-1 at 08:10 finds it open, and is skipped
//! ```
//!
//! The run budget (`--max-runs`, per workflow and minute) is counted in `run_budget`, by
//! window of a minute on the database's clock. A server's engine is granted runs a few at a
//! time ([`Granted`], [`crate::run::budget`]): a grant takes them from the count at once, in a
//! transaction that locks the workflow's row, so that the servers together never start more
//! runs than the budget; at the end of each batch a server gives back what it was granted and
//! did not start ([`give_back`]). A grant is an eighth of what is left (at least one, at most
//! [`GRANT`]): near the end of the budget a server may hold an event while another holds
//! runs it has not started yet, for the length of one batch. Runs of a server killed
//! mid-batch stay counted: the budget errs on the side of holding.
//!
//! A rate limit's window (`at most once per 1h per device`) is opened in `limits_seen` by one
//! statement that opens it only if no window is open ([`open_window`],
//! [`crate::run::limit::Windows`]): of two servers that start a run for one device at once, one
//! opens the window and runs, the other finds it open and skips its run. The row names the
//! journal event whose run opened it, so that the event, run again after its batch was not
//! recorded, opens it again rather than be skipped.
//!
//! A question the journal does not answer (it is away) grants no run and opens no window for
//! now; the server sees it ([`Link::failure`]) and does not record the batch, which runs again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use postgres::{Client, GenericClient};

use super::worker::Worker;
use crate::program::{Program, WorkflowId};
use crate::run::budget::Grants;
use crate::run::limit::Windows;

/// Budgets renew every minute.
pub const BUDGET_WINDOW_MS: i64 = 60_000;

/// The window of the run budget now, on the database's clock: when it started.
pub fn budget_window(client: &mut impl GenericClient) -> Result<i64, postgres::Error> {
    let row = client.query_one(
        "SELECT weir_now_ms() / $1::BIGINT * $1::BIGINT",
        &[&BUDGET_WINDOW_MS],
    )?;
    Ok(row.get(0))
}

/// The most runs granted at once.
pub const GRANT: u64 = 256;

/// Grants up to a few runs of `workflow` in `window`, so that every server together starts at
/// most `max`; how many.
pub fn grant(
    client: &mut impl GenericClient,
    workflow: &str,
    window: i64,
    max: u64,
) -> Result<u64, postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute(
        "INSERT INTO run_budget (workflow, window_start, runs) VALUES ($1, $2, 0)
         ON CONFLICT (workflow, window_start) DO NOTHING",
        &[&workflow, &window],
    )?;
    let taken: i64 = tx
        .query_one(
            "SELECT runs FROM run_budget WHERE workflow = $1 AND window_start = $2 FOR UPDATE",
            &[&workflow, &window],
        )?
        .get(0);
    let left = max.saturating_sub(u64::try_from(taken).unwrap_or(0));
    let granted = (left / 8).clamp(1, GRANT).min(left);
    if granted > 0 {
        tx.execute(
            "UPDATE run_budget SET runs = runs + $3 WHERE workflow = $1 AND window_start = $2",
            &[&workflow, &window, &(granted as i64)],
        )?;
    }
    tx.commit()?;
    Ok(granted)
}

/// Gives back the runs a server was granted in `window` and did not start, by workflow; windows
/// before the last are dropped.
pub fn give_back(
    client: &mut impl GenericClient,
    window: i64,
    unused: &[(String, u64)],
) -> Result<(), postgres::Error> {
    for (workflow, n) in unused.iter().filter(|(_, n)| *n > 0) {
        client.execute(
            "UPDATE run_budget SET runs = GREATEST(runs - $3, 0)
             WHERE workflow = $1 AND window_start = $2",
            &[workflow, &window, &(*n as i64)],
        )?;
    }
    client.execute(
        "DELETE FROM run_budget WHERE window_start < $1::BIGINT - $2::BIGINT",
        &[&window, &BUDGET_WINDOW_MS],
    )?;
    Ok(())
}

/// The runs each workflow started in a window, on every server (granted and not given back).
pub fn spent(
    client: &mut impl GenericClient,
    window: i64,
) -> Result<HashMap<String, u64>, postgres::Error> {
    let rows = client.query(
        "SELECT workflow, runs FROM run_budget WHERE window_start = $1",
        &[&window],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get::<_, i64>(1) as u64))
        .collect())
}

/// A connection of a server's engine to the journal, for what it is granted there: made again
/// once when it turns out lost (the database restarted). A question it could not answer is
/// kept ([`Link::failure`]): the batch that asked it is not recorded, and runs again.
#[derive(Clone)]
pub struct Link {
    connection: Arc<Mutex<(String, Client)>>,
    failed: Arc<Mutex<Option<String>>>,
}

impl Link {
    pub fn new(url: &str) -> Result<Link, String> {
        let client = super::db::postgres::connect(url)?;
        Ok(Link {
            connection: Arc::new(Mutex::new((url.to_string(), client))),
            failed: Arc::default(),
        })
    }

    /// Runs `ask` on the connection; once more on a new one if it was lost.
    fn ask<T>(&self, ask: impl Fn(&mut Client) -> Result<T, postgres::Error>) -> Result<T, String> {
        let mut link = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (url, client) = &mut *link;
        let asked = match ask(client) {
            Err(_) if client.is_closed() => super::db::postgres::connect(url).and_then(|again| {
                *client = again;
                ask(client).map_err(|e| e.to_string())
            }),
            asked => asked.map_err(|e| e.to_string()),
        };
        if let Err(err) = &asked {
            let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
            failed.get_or_insert_with(|| err.clone());
        }
        asked
    }

    /// Why a question since the last call was not answered, if one was not.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// The names of a program's workflows, by index, as the journal's rows name them.
fn names(program: &Program) -> Vec<String> {
    program
        .workflows
        .iter()
        .map(|w| w.name.to_string())
        .collect()
}

/// A server's engine's side of the cluster's run budget: it is granted runs in the window the
/// server set for its batch.
pub struct Granted {
    link: Link,
    workflows: Vec<String>,
    window: Arc<AtomicI64>,
}

impl Granted {
    /// `window`: set by the server at the start of each batch ([`budget_window`]).
    pub fn new(link: Link, program: &Program, window: Arc<AtomicI64>) -> Granted {
        Granted {
            link,
            workflows: names(program),
            window,
        }
    }
}

impl Grants for Granted {
    fn grant(&mut self, workflow: WorkflowId, max: u64) -> u64 {
        let name = &self.workflows[workflow.0];
        let window = self.window.load(Ordering::SeqCst);
        // Unanswered: none granted for now, and the batch runs again ([`Link::failure`]).
        self.link.ask(|c| grant(c, name, window, max)).unwrap_or(0)
    }
}

/// Opens the window of `workflow`'s limit for `key` at `now` (seconds), for the run of journal
/// event `event`, unless one opened less than `window` before is open: `None` if it opened it,
/// else when the open one was opened. A window another server opened a little after `now` (its
/// clock ahead) is open too; one its own event opened is its own again (the event runs again
/// after its batch was not recorded).
pub fn open_window(
    client: &mut impl GenericClient,
    (workflow, key): (&str, &str),
    now: i64,
    window: i64,
    event: i64,
) -> Result<Option<i64>, postgres::Error> {
    let opened = client.query_opt(
        "INSERT INTO limits_seen (workflow, key, at, event) VALUES ($1, $2, $3, $5)
         ON CONFLICT (workflow, key) DO UPDATE SET at = excluded.at, event = excluded.event
         WHERE excluded.at - limits_seen.at >= $4 OR limits_seen.event = excluded.event
         RETURNING at",
        &[&workflow, &key, &now, &window, &event],
    )?;
    if opened.is_some() {
        return Ok(None);
    }
    let open = client.query_opt(
        "SELECT at FROM limits_seen WHERE workflow = $1 AND key = $2",
        &[&workflow, &key],
    )?;
    Ok(Some(open.map_or(now, |row| row.get(0))))
}

/// A server's engine's side of the cluster's rate limits: windows opened once for all servers,
/// each for the journal event whose run opens it (`running`, set by the worker).
pub struct Opened {
    link: Link,
    workflows: Vec<String>,
    running: Arc<AtomicI64>,
}

impl Opened {
    pub fn new(link: Link, program: &Program, running: Arc<AtomicI64>) -> Opened {
        Opened {
            link,
            workflows: names(program),
            running,
        }
    }
}

impl Windows for Opened {
    fn open(&mut self, workflow: WorkflowId, key: &str, now: i64, window: i64) -> Option<i64> {
        let name = &self.workflows[workflow.0];
        let event = self.running.load(Ordering::SeqCst);
        // Unanswered: the run goes for now, and the batch runs again ([`Link::failure`]).
        let opened = self
            .link
            .ask(|c| open_window(c, (name, key), now, window, event));
        opened.unwrap_or(None)
    }
}

/// The runs a worker's engine was granted and did not start, by workflow name: they go back.
pub fn unused(worker: &mut Worker, program: &Program) -> Vec<(String, u64)> {
    let names = program.workflows.iter().map(|w| w.name.to_string());
    names.zip(worker.engine_mut().unused_budget()).collect()
}
