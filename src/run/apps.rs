//! What the engine needs from the apps it reads and writes: records, and the [`Apps`] trait.
//!
//! A record is laid out as its entity was resolved by the checker: one [`Value`] per field,
//! indexed by [`FieldId`], so that the engine never looks a field up by its name. Records are
//! shared (`Arc<Record>`): the event that reports a write holds the record as it was written,
//! and a later update makes a new record instead of changing the one in the event.
//!
//! The simulator ([`super::sim::Simulator`]) is the first implementation of [`Apps`]; an app
//! over HTTP, or a journal that remembers every write, implements the same few operations.

use std::fmt;
use std::sync::Arc;

use crate::program::{EntityId, FieldId, Program};
use crate::value::{Label, Value};

/// A record's number within its entity; shown as `App/entity/N`.
pub type RecordId = u64;

/// Which record: an entity and the record's number in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef {
    pub entity: EntityId,
    pub id: RecordId,
}

impl RecordRef {
    pub fn new(entity: EntityId, id: RecordId) -> RecordRef {
        RecordRef { entity, id }
    }

    /// `Calendar/event/1`.
    pub fn show(self, program: &Program) -> ShowRef<'_> {
        ShowRef {
            program,
            record: self,
        }
    }

    /// Reads `Calendar/event/1` (or just `1`) back for an entity.
    pub fn parse_id(program: &Program, entity: EntityId, text: &str) -> Option<RecordId> {
        let e = program.entity(entity);
        let number = match text.rsplit_once('/') {
            Some((prefix, number)) => {
                let (app, name) = prefix.split_once('/')?;
                if app != &*program.app(e.app).name || name != &*e.name {
                    return None;
                }
                number
            }
            None => text,
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse().ok().filter(|n| *n > 0)
    }
}

/// A record reference ready to be shown.
pub struct ShowRef<'p> {
    program: &'p Program,
    record: RecordRef,
}

impl fmt::Display for ShowRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.program.entity(self.record.entity);
        write!(
            f,
            "{}/{}/{}",
            self.program.app(e.app).name,
            e.name,
            self.record.id
        )
    }
}

/// One record, laid out by its entity's fields.
///
/// A record is a cheap handle: its values live in one shared allocation, so that the event
/// reporting a write and the app holding the record share them, and a clone costs a reference
/// count, not a copy. Changing a shared record copies it first (copy on write).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: RecordId,
    /// One value per field of the entity, `Value::None` where an optional field is empty.
    fields: Arc<[Value]>,
    /// What only records of open entities have.
    open: Option<Arc<OpenParts>>,
}

/// The parts of a record of an open entity that the script does not lay out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenParts {
    /// Who last wrote the record by stamping (a declared entity keeps that in its `stamp`
    /// field). `None` reads as `user`.
    pub stamp: Option<Label>,
    /// Fields the script never names, as they came in.
    pub extras: Vec<(Arc<str>, Value)>,
}

impl Record {
    /// An empty record of `fields` fields.
    pub fn empty(fields: usize) -> Record {
        Record {
            id: 0,
            fields: nones(fields),
            open: None,
        }
    }

    /// The values, one per field.
    pub fn fields(&self) -> &[Value] {
        &self.fields
    }

    /// A field's value (`none` for a field the record was made without).
    pub fn get(&self, field: FieldId) -> &Value {
        self.fields.get(field.0).unwrap_or(&Value::None)
    }

    /// The values, to change them in place (copied first if they are shared).
    pub fn fields_mut(&mut self) -> &mut [Value] {
        Arc::make_mut(&mut self.fields)
    }

    /// Sets a field; returns the value it had.
    pub fn set(&mut self, field: FieldId, value: Value) -> Value {
        if field.0 >= self.fields.len() {
            let mut grown = self.fields.to_vec();
            grown.resize(field.0 + 1, Value::None);
            self.fields = Arc::from(grown);
        }
        std::mem::replace(&mut Arc::make_mut(&mut self.fields)[field.0], value)
    }

    /// The hidden stamp of a record of an open entity.
    pub fn stamp(&self) -> Option<&Label> {
        self.open.as_ref().and_then(|o| o.stamp.as_ref())
    }

    /// The fields of a record of an open entity that the script never names.
    pub fn extras(&self) -> &[(Arc<str>, Value)] {
        self.open.as_ref().map_or(&[], |o| &o.extras)
    }

    pub fn set_stamp(&mut self, stamp: Option<Label>) {
        if stamp.is_some() || self.open.is_some() {
            Arc::make_mut(self.open.get_or_insert_default()).stamp = stamp;
        }
    }

    /// Sets an extra field, replacing one of the same name.
    pub fn set_extra(&mut self, name: Arc<str>, value: Value) {
        let extras = &mut Arc::make_mut(self.open.get_or_insert_default()).extras;
        match extras.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => extras.push((name, value)),
        }
    }

    /// The record as a view, the form expressions read.
    pub fn view(&self) -> RecordView<'_> {
        RecordView {
            id: self.id,
            fields: &self.fields,
            open: self.open.as_deref(),
        }
    }

    /// A record made of the values in `values`, which is left empty.
    pub fn take_values(values: &mut Vec<Value>) -> Record {
        Record {
            id: 0,
            fields: values.drain(..).collect(),
            open: None,
        }
    }

    /// A record of these values.
    pub fn from_parts(id: RecordId, fields: &[Value], open: Option<Arc<OpenParts>>) -> Record {
        Record {
            id,
            fields: Arc::from(fields),
            open,
        }
    }

    /// The open parts, shared.
    pub fn open_parts(&self) -> Option<&Arc<OpenParts>> {
        self.open.as_ref()
    }

    /// Takes the extra fields out.
    pub fn take_extras(&mut self) -> Vec<(Arc<str>, Value)> {
        match &mut self.open {
            Some(open) => std::mem::take(&mut Arc::make_mut(open).extras),
            None => Vec::new(),
        }
    }
}

/// `n` empty values in one allocation; entities of up to 16 fields take the quick way (a
/// fixed-size array moved in whole).
fn nones(n: usize) -> Arc<[Value]> {
    macro_rules! sized {
        ($($size:literal)*) => {
            match n {
                $($size => Arc::new([const { Value::None }; $size]),)*
                _ => std::iter::repeat_n(Value::None, n).collect(),
            }
        };
    }
    sized!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// A record where it lies: in an event, or in an app's table. Expressions read records
/// through views, so that testing a `where` against a table copies nothing.
#[derive(Clone, Copy, Debug)]
pub struct RecordView<'a> {
    pub id: RecordId,
    pub fields: &'a [Value],
    pub open: Option<&'a OpenParts>,
}

impl<'a> RecordView<'a> {
    /// A field's value (`none` for a field the record was made without).
    pub fn get(&self, field: FieldId) -> &'a Value {
        self.fields.get(field.0).unwrap_or(&Value::None)
    }

    /// The hidden stamp of a record of an open entity.
    pub fn stamp(&self) -> Option<&'a Label> {
        self.open.and_then(|o| o.stamp.as_ref())
    }

    /// The fields of a record of an open entity that the script never names.
    pub fn extras(&self) -> &'a [(Arc<str>, Value)] {
        self.open.map_or(&[], |o| &o.extras)
    }
}

/// A set of fields, without allocation for the first 64.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    low: u64,
    high: Vec<FieldId>,
}

impl FieldSet {
    pub fn insert(&mut self, field: FieldId) {
        if field.0 < 64 {
            self.low |= 1 << field.0;
        } else if !self.high.contains(&field) {
            self.high.push(field);
        }
    }

    pub fn contains(&self, field: FieldId) -> bool {
        if field.0 < 64 {
            self.low & (1 << field.0) != 0
        } else {
            self.high.contains(&field)
        }
    }

    /// The fields, in field order.
    pub fn iter(&self) -> impl Iterator<Item = FieldId> + '_ {
        let low = self.low;
        let mut high = self.high.clone();
        high.sort();
        (0..64)
            .filter(move |i| low & (1 << i) != 0)
            .map(FieldId)
            .chain(high)
    }
}

/// What an update writes: field values, and for an open entity the hidden stamp and extra
/// fields. Fields not named keep their values.
#[derive(Clone, Debug, Default)]
pub struct Write {
    pub fields: Vec<(FieldId, Value)>,
    pub stamp: Option<Label>,
    pub extras: Vec<(Arc<str>, Value)>,
}

/// The record after an update, and which fields now hold a different value.
#[derive(Clone, Debug)]
pub struct Updated {
    pub record: Record,
    pub changed: Arc<[FieldId]>,
}

/// Which write of which run is being made: a real app receives it as
/// `Idempotency-Key: {run}/{step}`, so that a write sent twice is made once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteCtx {
    pub run: u64,
    /// The write's number within its run, from 1.
    pub step: u32,
}

/// An app refused or failed a write, or a read.
#[derive(Clone, Debug, PartialEq)]
pub struct AppError {
    pub app: Arc<str>,
    pub reason: String,
    /// The app gave no answer to use (unreachable, too slow, 5xx after every try), as opposed
    /// to refusing the write.
    pub failed: bool,
    /// It was a read (a `GET`), not a write.
    pub read: bool,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (app, reason) = (&self.app, &self.reason);
        match (self.failed, self.read) {
            (true, false) => write!(f, "{app} could not take the write: {reason}"),
            (false, false) => write!(f, "{app} refused the write: {reason}"),
            (true, true) => write!(f, "{app} could not be read: {reason}"),
            (false, true) => write!(f, "{app} refused the read: {reason}"),
        }
    }
}

/// The apps a script talks to, as the engine sees them.
///
/// Links are kept here too: they must live as long as the records (and, for a journal,
/// survive a restart). A link outlives a deleted record, so that `delete … linked` can follow
/// a chain of deletes.
pub trait Apps {
    /// Stores a new record and gives it an id: `id` when one is asked for and free, else the
    /// next one.
    fn create(
        &mut self,
        entity: EntityId,
        record: Record,
        id: Option<RecordId>,
    ) -> Result<Record, AppError>;

    /// Stores a new record of a declared entity from its values, taking them out of `values`,
    /// and gives it the next id. For writes whose event nobody will read: no record handle is
    /// made.
    fn insert(&mut self, entity: EntityId, values: &mut Vec<Value>) -> Result<RecordId, AppError> {
        self.create(entity, Record::take_values(values), None)
            .map(|r| r.id)
    }

    /// Writes some fields of a record; `None` when there is no such record.
    fn update(&mut self, at: RecordRef, write: Write) -> Result<Option<Updated>, AppError>;

    /// Removes a record; the record as it was, or `None` when it was already gone.
    fn delete(&mut self, at: RecordRef) -> Result<Option<Record>, AppError>;

    /// A record as the app has it now: `Ok(None)` when there is no such record (a real app
    /// answered 404), an error when the app could not be asked (a real app that is down): a
    /// record that could not be read is not a record that is gone.
    fn get(&self, at: RecordRef) -> Result<Option<Record>, AppError>;

    /// Whether a record is there, as far as the engine knows without asking (a real app's
    /// record exists while its id is in the id table).
    fn exists(&self, at: RecordRef) -> bool {
        matches!(self.get(at), Ok(Some(_)))
    }

    /// The records of an entity for which `keep` says yes, in id order.
    fn select(
        &self,
        entity: EntityId,
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError>;

    /// Remembers that `a` and `b` were made one from the other.
    fn link(&mut self, a: RecordRef, b: RecordRef);

    /// Appends the records linked with `of` (existing or not) to `out`.
    fn linked(&self, of: RecordRef, out: &mut Vec<RecordRef>);

    /// Says which run is about to write, and which of its writes this is. Called before every
    /// write a run makes; the simulator has no use for it.
    fn before_write(&mut self, ctx: WriteCtx) {
        let _ = ctx;
    }

    /// Whether the entity lives in a real app, which reports the engine's own writes back
    /// through its webhook: the engine then queues no event for such a write, and keeps it in
    /// its write ledger instead, so that the webhook's event inherits the write's chain.
    fn remote(&self, entity: EntityId) -> bool {
        let _ = entity;
        false
    }

    /// Like [`Apps::select`], with the equalities of the condition (`field == value`) that a
    /// real app can filter on before the records are sent.
    fn lookup(
        &self,
        entity: EntityId,
        equal: &[(FieldId, Value)],
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        let _ = equal;
        self.select(entity, keep)
    }

    /// Makes a call (`call lookup in Apollo { … }`) with its arguments laid out as a record of
    /// the call's argument entity; the reply as a record of its reply entity, or `None` where
    /// there is none (a simulated app answers nothing, so every field of the reply is empty).
    fn call(
        &mut self,
        call: &crate::program::Call,
        args: Record,
    ) -> Result<Option<Record>, AppError> {
        let _ = (call, args);
        Ok(None)
    }

    /// Makes room for the entities and fields of a program that grew (a REPL session adds
    /// items as it goes). Entities and fields are only ever added, never renumbered.
    fn adopt(&mut self, program: &Program) {
        let _ = program;
    }
}
