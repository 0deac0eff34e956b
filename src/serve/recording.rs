//! Finished events waiting to be recorded, in groups: one transaction for many events.
//!
//! ```text
//! worker runs #41, #42, #43        → held here (their writes planned, nothing sent)
//! group full, or the queue empty   → one transaction: #41–#43, their runs, the outbox rows of
//!                                    their writes, the simulated apps' changes; then the rows
//!                                    go to the sender
//! #44's run reads Crm              → the group so far is recorded first, then the read waits
//!                                    for the writes to Crm it holds (see `Waiting::flush`)
//! ```
//!
//! Nothing is acknowledged by a group: an event is answered `202` once the committer has synced
//! it to disk, before it runs. A crash while events are held here loses only their runs, which
//! were never recorded nor sent: the events are still `queued` in the journal, the counter of
//! run numbers was not moved on, and they run again at the next start with the same numbers.
//! Each event keeps what it changed ([`Changes`]) when it finishes, so that a group recorded
//! while a later event runs holds none of that event's changes.

use std::sync::{Arc, Mutex};

use super::Counters;
use super::journal::{Finished, Journal, JournalError, SimChanges};
use super::sender::Outbox;
use super::status::EventStatus;
use crate::program::{EntityId, Program};

/// What an event changed besides its own rows, taken when it finished: links made, simulated
/// records and sync pairs as they were then, and the counters after it.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub links: Vec<(String, String)>,
    pub sim: SimChanges,
    pub next_run: u64,
    pub next_event: u64,
}

/// The events finished and not yet recorded, and what records them.
pub struct Recording {
    journal: Journal,
    program: Arc<Program>,
    held: Vec<Finished>,
    outbox: Option<Outbox>,
    counters: Option<Arc<Counters>>,
}

/// Shared by the worker and the read path, which records the group before it waits.
pub type Shared = Arc<Mutex<Recording>>;

impl Recording {
    pub fn new(journal: Journal, program: Arc<Program>) -> Recording {
        Recording {
            journal,
            program,
            held: Vec::new(),
            outbox: None,
            counters: None,
        }
    }

    pub fn shared(self) -> Shared {
        Arc::new(Mutex::new(self))
    }

    pub fn set_outbox(&mut self, outbox: Outbox) {
        self.outbox = Some(outbox);
    }

    pub fn take_outbox(&mut self) -> Option<Outbox> {
        self.outbox.take()
    }

    /// Rows recorded before (by a server that stopped), to send.
    pub fn send(&self, rows: Vec<super::outbox::Row>) {
        if let Some(outbox) = &self.outbox {
            outbox.send(rows);
        }
    }

    pub fn set_counters(&mut self, counters: Arc<Counters>) {
        self.counters = Some(counters);
    }

    pub fn counters(&self) -> Option<Arc<Counters>> {
        self.counters.clone()
    }

    /// Drops the events held, which are not recorded: they run again.
    pub fn forget(&mut self) {
        self.held.clear();
    }

    pub fn hold(&mut self, finished: Finished) {
        self.held.push(finished);
    }

    /// Events held that have writes to send.
    pub fn writing(&self) -> usize {
        self.held.iter().filter(|f| !f.writes.is_empty()).count()
    }

    /// Whether an event held creates a record of this entity.
    pub fn creates(&self, entity: EntityId) -> bool {
        self.held
            .iter()
            .flat_map(|f| &f.writes)
            .any(|w| w.method == "create" && w.entity == entity)
    }

    /// The latest word on a timer among the events held: planned or cancelled by one of them,
    /// and not in the journal yet ([`super::timers::last_word`]).
    pub fn timer_planned(&self, workflow: &str, record: &str) -> Option<Option<i64>> {
        let plans = self.held.iter().flat_map(|f| &f.changes.sim.timers);
        super::timers::last_word(plans, workflow, record)
    }

    /// Records the events held, and `rest` (what changed since the last of them, with the
    /// counters now), in one transaction; then hands their writes to the sender. `stopping`:
    /// weir stops, and a read of these runs may have been cut short, so none of them is
    /// recorded: they run again at the next start, with the same numbers.
    pub fn record(&mut self, rest: Option<Changes>, stopping: bool) -> Result<(), JournalError> {
        let batch = std::mem::take(&mut self.held);
        if stopping {
            return Ok(());
        }
        let Some(last) = rest.as_ref().or(batch.last().map(|f| &f.changes)) else {
            return Ok(());
        };
        let counters = [("next_run", last.next_run), ("next_event", last.next_event)];
        let mut links = Vec::new();
        let mut sim = SimChanges::default();
        for changes in batch.iter().map(|f| &f.changes).chain(rest.as_ref()) {
            links.extend(changes.links.iter().cloned());
            sim.records.extend(changes.sim.records.iter().cloned());
            sim.pairs.extend(changes.sim.pairs.iter().cloned());
            sim.timers.extend(changes.sim.timers.iter().cloned());
            sim.waits.extend(changes.sim.waits.iter().cloned());
        }
        let p = Arc::clone(&self.program);
        let rows = self.journal.finish(&p, &batch, &links, &counters, &sim)?;
        super::limits_seen::keep(&self.journal, &batch)?;
        if let Some(counts) = &self.counters {
            // An event with writes to send is queued until they are sent.
            for f in &batch {
                let now = if f.writes.is_empty() {
                    f.status
                } else {
                    EventStatus::Queued
                };
                counts.moved(f.was, now);
            }
        }
        if let Some(outbox) = &self.outbox {
            outbox.send(rows);
        }
        Ok(())
    }
}

/// Records the group held, from the read path: an error is said, and the group's events run
/// again at the next start.
pub fn flush(shared: &Shared, stopping: bool) {
    let mut recording = shared.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(err) = recording.record(None, stopping) {
        eprintln!("error: {err}");
    }
}
