//! The write ledger: the engine's recent writes to real apps, so that their echoes come back
//! with the chain that caused them.
//!
//! A real app reports every write through its webhook, the engine's own included, and a
//! webhook carries no causal chain. So for each write to an app `at "url"`, the engine keeps
//! the record, the fields it wrote, a fingerprint of their values and the run's chain. When an
//! event arrives for that record and its fields still have the written values, it is the
//! write's echo: it inherits the chain, and the run-time guard sees a loop that passes through
//! the app as if it had happened in the simulator.
//!
//! ```text
//! to_b writes Tracker/ticket/3 {title: "Printer"}      # kept: Tracker/ticket/3, title, chain
//! webhook: updated Tracker/ticket/3 {title: "Printer"} # matches: the chain goes on (hops + 1)
//! webhook: updated Tracker/ticket/3 {title: "Scanner"} # a person's edit: a new chain
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::apps::{Record, RecordRef};
use super::guard::Hop;
use crate::ast::EventKind;
use crate::program::FieldId;
use crate::value::Value;

/// How many writes the ledger keeps; the oldest go first.
const CAPACITY: usize = 65_536;

/// One write to a real app.
#[derive(Clone, Debug)]
pub struct Written {
    pub kind: EventKind,
    pub at: RecordRef,
    /// The fields written (none for a delete).
    pub fields: Arc<[FieldId]>,
    /// The fingerprint of their values, as [`fingerprint`] makes it.
    pub print: u64,
    /// The chain of the run that wrote.
    pub chain: Arc<Hop>,
}

impl Written {
    pub fn new(
        kind: EventKind,
        at: RecordRef,
        record: &Record,
        fields: &[FieldId],
        chain: Arc<Hop>,
    ) -> Written {
        Written {
            kind,
            at,
            print: fingerprint(record, fields),
            fields: Arc::from(fields),
            chain,
        }
    }

    /// Whether an event of this kind with this record is this write coming back.
    fn matches(&self, kind: EventKind, record: &Record) -> bool {
        let deleted = |k| k == EventKind::Deleted;
        deleted(self.kind) == deleted(kind) && fingerprint(record, &self.fields) == self.print
    }
}

/// A stable fingerprint of some fields of a record (FNV-1a over their JSON form, so that it
/// reads the same after a restart).
pub fn fingerprint(record: &Record, fields: &[FieldId]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for field in fields {
        eat(&(field.0 as u64).to_le_bytes());
        let value = record.get(*field);
        let json = match value {
            Value::None => String::from("null"),
            v => v.as_json().to_string(),
        };
        eat(json.as_bytes());
        eat(&[0]);
    }
    hash
}

/// The recent writes, by record.
#[derive(Clone, Debug, Default)]
pub struct Echoes {
    by_record: HashMap<RecordRef, Vec<Written>>,
    order: VecDeque<RecordRef>,
}

impl Echoes {
    pub fn remember(&mut self, written: Written) {
        if self.order.len() >= CAPACITY
            && let Some(oldest) = self.order.pop_front()
            && let Some(list) = self.by_record.get_mut(&oldest)
        {
            if !list.is_empty() {
                list.remove(0);
            }
            if list.is_empty() {
                self.by_record.remove(&oldest);
            }
        }
        self.order.push_back(written.at);
        self.by_record.entry(written.at).or_default().push(written);
    }

    /// The chain an incoming event inherits, if it is the echo of a write; the write is then
    /// forgotten (an echo comes once).
    pub fn claim(&mut self, kind: EventKind, at: RecordRef, record: &Record) -> Option<Arc<Hop>> {
        let list = self.by_record.get_mut(&at)?;
        let i = list.iter().rposition(|w| w.matches(kind, record))?;
        let written = list.remove(i);
        if list.is_empty() {
            self.by_record.remove(&at);
        }
        Some(written.chain)
    }

    pub fn len(&self) -> usize {
        self.by_record.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_record.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{EntityId, WorkflowId};
    use crate::run::guard::Actor;

    fn record(title: &str) -> Record {
        let mut r = Record::empty(2);
        r.set(FieldId(0), Value::text(title));
        r
    }

    fn chain() -> Arc<Hop> {
        Arc::new(Hop {
            by: Actor::Workflow(WorkflowId(0)),
            run: 1,
            event: 1,
            kind: EventKind::New,
            record: RecordRef::new(EntityId(0), 1),
            hops: 1,
            root_event: 1,
            root_origin: Arc::from("user"),
            parent: None,
        })
    }

    #[test]
    fn an_echo_inherits_the_chain_once_and_an_edit_does_not() {
        let at = RecordRef::new(EntityId(1), 3);
        let mut echoes = Echoes::default();
        let written = Written::new(
            EventKind::New,
            at,
            &record("Printer"),
            &[FieldId(0)],
            chain(),
        );
        echoes.remember(written);
        assert!(
            echoes
                .claim(EventKind::New, at, &record("Scanner"))
                .is_none()
        );
        let mut with_more = record("Printer");
        with_more.set(FieldId(1), Value::text("a field the write did not send"));
        assert!(echoes.claim(EventKind::Updated, at, &with_more).is_some());
        assert!(
            echoes
                .claim(EventKind::New, at, &record("Printer"))
                .is_none()
        );
        assert!(echoes.is_empty());
    }

    #[test]
    fn fingerprints_are_stable_and_tell_values_apart() {
        let fields = [FieldId(0)];
        assert_eq!(
            fingerprint(&record("a"), &fields),
            fingerprint(&record("a"), &fields)
        );
        assert_ne!(
            fingerprint(&record("a"), &fields),
            fingerprint(&record("b"), &fields)
        );
        assert_eq!(fingerprint(&record("a"), &fields), 0xca31_3af7_61f4_527e);
    }
}
