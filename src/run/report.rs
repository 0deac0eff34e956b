//! What the engine takes from real apps and from a journal: events an app reports (its change
//! is already made), held events released, and the counters a journal keeps across restarts.
//!
//! ```text
//! webhook: new Tracker/ticket/3 {title: "Printer"}   # Engine::receive: runs what it sets off;
//!                                                    # if it echoes the engine's own write, it
//!                                                    # carries that write's chain
//! weir replay 12                                     # Engine::release: the held workflow runs
//!                                                    # on its event, as a new chain
//! ```

use std::sync::Arc;

use super::apps::{Apps, Record, RecordRef};
use super::guard::{Actor, Held};
use super::{Engine, Outcome, echo};
use crate::ast::EventKind;
use crate::program::{EntityId, FieldId};
use crate::value::Label;

/// An event a real app reported (through its webhook): the change is already made in the app,
/// so the engine only runs what it sets off.
#[derive(Clone, Debug)]
pub struct Reported {
    pub kind: EventKind,
    pub entity: EntityId,
    /// The record, with the engine's id for it.
    pub record: Record,
    pub actor: Label,
    pub changed: Option<Arc<[FieldId]>>,
    /// Start a new chain even if the event is the echo of the engine's own write (a released
    /// event runs afresh).
    pub fresh: bool,
}

impl<A: Apps> Engine<A> {
    /// The number the next run will get.
    pub fn next_run_id(&self) -> u64 {
        self.core.next_run
    }

    /// Numbers runs from `next` on. A journal sets it so that an event run again gets the run
    /// numbers, and so the idempotency keys, it had the first time.
    pub fn set_next_run_id(&mut self, next: u64) {
        self.core.next_run = next.max(1);
    }

    /// Gives every workflow its whole run budget again (`weir serve` does, every minute).
    pub fn renew_budget(&mut self) {
        self.core.budget.renew();
    }

    /// Shares the run budget with other engines (several servers on one journal): runs are
    /// granted by `grants`.
    pub fn share_budget(&mut self, grants: Box<dyn super::budget::Grants>) {
        self.core.budget.share(grants);
    }

    /// Runs granted and not started, by workflow: they go back to the shared budget.
    pub fn unused_budget(&mut self) -> Vec<u64> {
        self.core.budget.unused()
    }

    /// Remembers a write to a real app made before a restart.
    pub fn remember_write(&mut self, written: echo::Written) {
        self.core.echoes.remember(written);
    }

    /// Runs what an event a real app reported sets off. Where the event is the echo of the
    /// engine's own write (the write ledger has it), it carries that write's chain.
    pub fn receive(&mut self, reported: Reported) -> Outcome {
        let Reported {
            kind,
            entity,
            record,
            actor,
            changed,
            fresh,
        } = reported;
        let mut out = Outcome::default();
        let at = RecordRef::new(entity, record.id);
        let cause = if fresh {
            None
        } else {
            self.core.echoes.claim(kind, at, &record)
        };
        let p = Arc::clone(&self.program);
        self.core
            .emit(&p, kind, entity, record, changed, &actor, cause, &mut out);
        self.core.settle(&p, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }

    /// Runs what the guard held an event from (a workflow, or a sync) on that event, as the
    /// start of a new chain: `weir replay` releases held events this way.
    pub fn release(&mut self, held: Held) -> Outcome {
        let mut out = Outcome::default();
        let mut event = held.event;
        event.cause = None;
        let p = Arc::clone(&self.program);
        match held.by {
            Actor::Workflow(w) => self.core.consider(&p, &mut self.apps, w, &event, &mut out),
            Actor::Sync(s) => {
                let left = p.syncs[s.0].left.entity == event.entity;
                self.core
                    .sync_event(&p, &mut self.apps, s, left, &event, &mut out);
            }
        }
        self.core.settle(&p, &mut self.apps, &mut out);
        self.core.totals += out.counts;
        out
    }
}
