//! The simulator: every app without `at "url"`, kept in memory, faithful enough to teach and
//! to test.
//!
//! Records get deterministic ids, counted per entity from 1 (`Calendar/event/1`), and an id is
//! never given out twice, even after a delete. Each entity is a table whose rows are laid out
//! one after the other in a single arena, `width` values a row, indexed by id: a lookup by id
//! is an index, a new record is a push, and a stored record costs its values and nothing
//! more. Events carry their own copy of a record (a [`Record`] handle); expressions read rows
//! in place through [`RecordView`]s.
//!
//! Each id also has its links, which outlive the record: after `Calendar/event/1` is deleted,
//! `delete … linked` on its `deleted` event still finds the copies made from it.
//!
//! The simulator stores what it is told. Stamps, origins and events are the engine's business
//! (`super`); the simulator only reports which fields an update really changed.
//!
//! `weir serve` asks it to keep a list of what changed ([`Simulator::track_changes`]), so that
//! the journal can write the changed records in the same transaction that marks their events
//! done: after a crash the simulated apps are where the journal is, and no id is given twice.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::apps::{
    AppError, Apps, OpenParts, Record, RecordId, RecordRef, RecordView, Updated, Write,
};
use crate::program::{EntityId, FieldId, Program};
use crate::value::Value;

/// How far past the last id a record may ask to be put (ids are rows, not a hash).
const MAX_ID_GAP: u64 = 1_000_000;

/// The simulated apps' records and links.
#[derive(Clone, Debug, Default)]
pub struct Simulator {
    tables: Vec<Table>,
    /// The app name of each entity, for messages.
    apps: Vec<Arc<str>>,
    /// What changed since [`Simulator::take_changes`], when asked to keep it.
    changes: Option<Changes>,
    /// The apps a scenario made refuse the writes of runs (`app Crm refuses writes`).
    refusing: Vec<Arc<str>>,
    /// A run said it is about to write ([`Apps::before_write`]): the next write is a run's,
    /// not a user step's, which a refusing app still takes.
    run_writing: bool,
}

/// The records written (created, updated or deleted) and the links made since the last look.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub records: BTreeSet<RecordRef>,
    pub links: Vec<(RecordRef, RecordRef)>,
}

/// One entity's records: row `id - 1` is `rows[(id - 1) * width ..][.. width]`.
#[derive(Clone, Debug, Default)]
struct Table {
    width: usize,
    rows: Vec<Value>,
    /// Per id: whether its record is there, and its links, in one word.
    meta: Vec<Meta>,
    /// The links of records that have more than one.
    many: Vec<Vec<PackedRef>>,
    /// The hidden stamps and extra fields of an open entity's records.
    open: HashMap<RecordId, Arc<OpenParts>>,
    /// Where each text of a field is, for lookups by equality.
    indexes: super::sim_index::Indexes,
}

/// A record's state in one word: `LIVE` while the record is there; the rest is its one link
/// (0 for none), or, with `MANY`, the index of its links in `Table::many`. Links outlive the
/// record. Most records have none or one link, which then costs nothing more.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Meta(u64);

const LIVE: u64 = 1 << 63;
const MANY: u64 = 1 << 62;
const LINK: u64 = MANY - 1;

/// A record reference in 62 bits: the entity above bit 48, the id below (never 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedRef(u64);

const ID_BITS: u32 = 48;
const ENTITY_LIMIT: u64 = 1 << (62 - ID_BITS);

impl PackedRef {
    fn pack(r: RecordRef) -> Option<PackedRef> {
        let entity = u64::try_from(r.entity.0)
            .ok()
            .filter(|e| *e < ENTITY_LIMIT)?;
        (r.id > 0 && r.id < 1 << ID_BITS).then_some(PackedRef(entity << ID_BITS | r.id))
    }

    fn unpack(self) -> RecordRef {
        RecordRef::new(
            EntityId((self.0 >> ID_BITS) as usize),
            self.0 & ((1 << ID_BITS) - 1),
        )
    }
}

impl Table {
    /// The row index of an id, if the id has been given out.
    fn index(&self, id: RecordId) -> Option<usize> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        (index < self.meta.len()).then_some(index)
    }

    fn is_live(&self, index: usize) -> bool {
        self.meta[index].0 & LIVE != 0
    }

    fn add_link(&mut self, index: usize, other: PackedRef) {
        let meta = self.meta[index].0;
        let link = meta & LINK;
        if meta & MANY != 0 {
            let all = &mut self.many[link as usize];
            if !all.contains(&other) {
                all.push(other);
            }
        } else if link == 0 {
            self.meta[index] = Meta(meta | other.0);
        } else if link != other.0 {
            self.many.push(vec![PackedRef(link), other]);
            let slot = (self.many.len() - 1) as u64;
            self.meta[index] = Meta((meta & LIVE) | MANY | slot);
        }
    }

    fn links(&self, index: usize) -> impl Iterator<Item = RecordRef> + '_ {
        let meta = self.meta[index].0;
        let link = meta & LINK;
        let all: &[PackedRef] = if meta & MANY != 0 {
            &self.many[link as usize]
        } else {
            &[]
        };
        let one = (meta & MANY == 0 && link != 0).then_some(PackedRef(link));
        one.into_iter()
            .chain(all.iter().copied())
            .map(PackedRef::unpack)
    }

    fn row(&self, index: usize) -> &[Value] {
        &self.rows[index * self.width..(index + 1) * self.width]
    }

    fn view(&self, index: usize) -> RecordView<'_> {
        let id = index as u64 + 1;
        RecordView {
            id,
            fields: self.row(index),
            open: self.open.get(&id).map(|o| &**o),
        }
    }

    fn record(&self, index: usize) -> Record {
        let id = index as u64 + 1;
        Record::from_parts(id, self.row(index), self.open.get(&id).cloned())
    }

    /// Appends empty, dead rows up to (not including) `id`.
    fn reserve(&mut self, next: RecordId) {
        while (self.meta.len() as u64) + 1 < next {
            self.rows
                .extend(std::iter::repeat_n(Value::None, self.width));
            self.meta.push(Meta::default());
        }
    }
}

impl Simulator {
    /// Empty apps for a program's entities.
    pub fn new(program: &Program) -> Simulator {
        let mut sim = Simulator::default();
        sim.grow(program);
        sim
    }

    fn grow(&mut self, program: &Program) {
        for (i, e) in program.entities.iter().enumerate() {
            if i == self.tables.len() {
                self.tables.push(Table::default());
            }
            let table = &mut self.tables[i];
            if table.width < e.fields.len() {
                let width = e.fields.len();
                let mut rows = Vec::with_capacity(table.meta.len() * width);
                for index in 0..table.meta.len() {
                    rows.extend_from_slice(table.row(index));
                    rows.extend(std::iter::repeat_n(Value::None, width - table.width));
                }
                table.rows = rows;
                table.width = width;
            }
        }
        self.apps = program
            .entities
            .iter()
            .map(|e| program.app(e.app).name.clone())
            .collect();
    }

    /// The live records of an entity, in id order.
    pub fn records(&self, entity: EntityId) -> impl Iterator<Item = RecordView<'_>> {
        self.tables.get(entity.0).into_iter().flat_map(|t| {
            (0..t.meta.len())
                .filter(|i| t.is_live(*i))
                .map(|i| t.view(i))
        })
    }

    /// How many records an entity holds now.
    pub fn count(&self, entity: EntityId) -> usize {
        self.tables
            .get(entity.0)
            .map_or(0, |t| t.meta.iter().filter(|m| m.0 & LIVE != 0).count())
    }

    /// The id the next record of an entity will get.
    pub fn next_id(&self, entity: EntityId) -> RecordId {
        self.tables
            .get(entity.0)
            .map_or(1, |t| t.meta.len() as u64 + 1)
    }

    /// Moves the id counter on, so that ids below `next` are never given out (ids of deleted
    /// records, restored from a state file).
    pub fn reserve_ids(&mut self, entity: EntityId, next: RecordId) {
        self.tables[entity.0].reserve(next);
        if next > 1 {
            // The last id taken, so that a list of changes keeps the counter.
            self.touch(RecordRef::new(entity, next - 1));
        }
    }

    /// Keeps a list of the records written and the links made from now on.
    pub fn track_changes(&mut self) {
        self.changes = Some(Changes::default());
    }

    /// What changed since the last call (nothing unless [`Simulator::track_changes`] was called).
    pub fn take_changes(&mut self) -> Changes {
        self.changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn touch(&mut self, at: RecordRef) {
        if let Some(changes) = &mut self.changes {
            changes.records.insert(at);
        }
    }

    /// Every link once, as `(a, b)` with `a < b`.
    pub fn links(&self) -> Vec<(RecordRef, RecordRef)> {
        let mut out = Vec::new();
        for (e, table) in self.tables.iter().enumerate() {
            for i in 0..table.meta.len() {
                let here = RecordRef::new(EntityId(e), i as u64 + 1);
                out.extend(
                    table
                        .links(i)
                        .filter(|other| here < *other)
                        .map(|other| (here, other)),
                );
            }
        }
        out
    }

    /// The table and row index of a live record.
    fn live(&self, at: RecordRef) -> Option<(&Table, usize)> {
        let table = self.tables.get(at.entity.0)?;
        let index = table.index(at.id)?;
        table.is_live(index).then_some((table, index))
    }

    fn refuse(&self, entity: EntityId, reason: String) -> AppError {
        AppError {
            app: self
                .apps
                .get(entity.0)
                .cloned()
                .unwrap_or_else(|| Arc::from("?")),
            reason,
            failed: false,
            read: false,
        }
    }
}

/// Apps with a simulated part that `--state FILE` saves and loads.
pub trait HasSimulator: Apps {
    fn simulator(&self) -> &Simulator;
    fn simulator_mut(&mut self) -> &mut Simulator;
}

impl HasSimulator for Simulator {
    fn simulator(&self) -> &Simulator {
        self
    }

    fn simulator_mut(&mut self) -> &mut Simulator {
        self
    }
}

impl Simulator {
    /// `app NAME refuses writes` (or `takes writes` again) in a scenario.
    pub fn refuse_writes(&mut self, app: &Arc<str>, refuses: bool) {
        self.refusing.retain(|a| a != app);
        if refuses {
            self.refusing.push(app.clone());
        }
    }

    /// Fails a run's write to an app that refuses them, as a real app that is down would.
    fn refused(&mut self, entity: EntityId) -> Result<(), AppError> {
        let by_run = std::mem::take(&mut self.run_writing);
        match self.apps.get(entity.0) {
            Some(app) if by_run && self.refusing.contains(app) => Err(AppError {
                app: app.clone(),
                reason: format!("the scenario made it refuse writes (`app {app} refuses writes`)"),
                failed: true,
                read: false,
            }),
            _ => Ok(()),
        }
    }
}

impl Apps for Simulator {
    fn before_write(&mut self, _ctx: super::apps::WriteCtx) {
        self.run_writing = true;
    }

    fn create(
        &mut self,
        entity: EntityId,
        mut record: Record,
        id: Option<RecordId>,
    ) -> Result<Record, AppError> {
        self.refused(entity)?;
        let next = self.next_id(entity);
        let id = match id {
            None => next,
            Some(0) => return Err(self.refuse(entity, "record ids start at 1".into())),
            Some(id) if id < next => {
                return Err(self.refuse(
                    entity,
                    format!("the id {id} is taken: ids are given out once, and the next is {next}"),
                ));
            }
            Some(id) if id - next > MAX_ID_GAP => {
                return Err(self.refuse(
                    entity,
                    format!("the id {id} is too far past the last one ({})", next - 1),
                ));
            }
            Some(id) => id,
        };
        if PackedRef::pack(RecordRef::new(entity, id)).is_none() {
            return Err(self.refuse(entity, format!("the id {id} is too large")));
        }
        let table = &mut self.tables[entity.0];
        table.reserve(id);
        record.id = id;
        let fields = record.fields();
        let width = table.width;
        table.rows.extend(fields.iter().take(width).cloned());
        if fields.len() < width {
            table
                .rows
                .extend(std::iter::repeat_n(Value::None, width - fields.len()));
        }
        table.meta.push(Meta(LIVE));
        if let Some(open) = record.open_parts() {
            table.open.insert(id, open.clone());
        }
        self.touch(RecordRef::new(entity, id));
        Ok(record)
    }

    fn insert(&mut self, entity: EntityId, values: &mut Vec<Value>) -> Result<RecordId, AppError> {
        self.refused(entity)?;
        let id = self.next_id(entity);
        if PackedRef::pack(RecordRef::new(entity, id)).is_none() {
            return Err(self.refuse(entity, format!("the id {id} is too large")));
        }
        let table = &mut self.tables[entity.0];
        values.resize(table.width, Value::None);
        table.rows.append(values);
        table.meta.push(Meta(LIVE));
        self.touch(RecordRef::new(entity, id));
        Ok(id)
    }

    fn update(&mut self, at: RecordRef, write: Write) -> Result<Option<Updated>, AppError> {
        self.refused(at.entity)?;
        let Some(table) = self.tables.get_mut(at.entity.0) else {
            return Ok(None);
        };
        let Some(index) = table.index(at.id).filter(|i| table.is_live(*i)) else {
            return Ok(None);
        };
        let width = table.width;
        let row = &mut table.rows[index * width..(index + 1) * width];
        let mut changed: Vec<FieldId> = Vec::new();
        for (field, value) in write.fields {
            if let Some(slot) = row.get_mut(field.0)
                && *slot != value
            {
                changed.push(field);
                *slot = value;
            }
        }
        if write.stamp.is_some() || !write.extras.is_empty() {
            let open = table.open.entry(at.id).or_default();
            let open = Arc::make_mut(open);
            if let Some(stamp) = write.stamp {
                open.stamp = Some(stamp);
            }
            for (name, value) in write.extras {
                match open.extras.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => open.extras.push((name, value)),
                }
            }
        }
        changed.sort();
        changed.dedup();
        for field in &changed {
            table.indexes.forget(*field);
        }
        let record = table.record(index);
        self.touch(at);
        Ok(Some(Updated {
            record,
            changed: Arc::from(changed),
        }))
    }

    fn delete(&mut self, at: RecordRef) -> Result<Option<Record>, AppError> {
        self.refused(at.entity)?;
        let Some(table) = self.tables.get_mut(at.entity.0) else {
            return Ok(None);
        };
        let Some(index) = table.index(at.id).filter(|i| table.is_live(*i)) else {
            return Ok(None);
        };
        let record = table.record(index);
        let width = table.width;
        for value in &mut table.rows[index * width..(index + 1) * width] {
            *value = Value::None;
        }
        table.meta[index].0 &= !LIVE;
        table.open.remove(&at.id);
        self.touch(at);
        Ok(Some(record))
    }

    fn get(&self, at: RecordRef) -> Result<Option<Record>, AppError> {
        Ok(self.live(at).map(|(table, index)| table.record(index)))
    }

    fn exists(&self, at: RecordRef) -> bool {
        self.live(at).is_some()
    }

    fn select(
        &self,
        entity: EntityId,
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        let Some(table) = self.tables.get(entity.0) else {
            return Ok(Vec::new());
        };
        Ok((0..table.meta.len())
            .filter(|i| table.is_live(*i) && keep(table.view(*i)))
            .map(|i| table.record(i))
            .collect())
    }

    /// Through an index when the condition asks a field for a text: the rows with that text
    /// are tested by the whole condition, the same ones (in the same order) a scan keeps.
    fn lookup(
        &self,
        entity: EntityId,
        equal: &[(FieldId, Value)],
        keep: &mut dyn FnMut(RecordView) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        let Some(table) = self.tables.get(entity.0) else {
            return Ok(Vec::new());
        };
        let rows = equal.iter().find_map(|(field, wanted)| {
            (field.0 < table.width).then(|| {
                table.indexes.rows(*field, wanted, table.meta.len(), |row| {
                    &table.rows[row * table.width + field.0]
                })
            })?
        });
        let Some(rows) = rows else {
            return self.select(entity, keep);
        };
        Ok(rows
            .into_iter()
            .filter(|i| table.is_live(*i) && keep(table.view(*i)))
            .map(|i| table.record(i))
            .collect())
    }

    fn link(&mut self, a: RecordRef, b: RecordRef) {
        let (Some(pa), Some(pb)) = (PackedRef::pack(a), PackedRef::pack(b)) else {
            return;
        };
        if a == b {
            return;
        }
        for (here, there) in [(a, pb), (b, pa)] {
            if let Some(table) = self.tables.get_mut(here.entity.0)
                && let Some(index) = table.index(here.id)
            {
                table.add_link(index, there);
            }
        }
        if let Some(changes) = &mut self.changes {
            changes.links.push((a, b));
        }
    }

    fn adopt(&mut self, program: &Program) {
        self.grow(program);
    }

    fn linked(&self, of: RecordRef, out: &mut Vec<RecordRef>) {
        if let Some(table) = self.tables.get(of.entity.0)
            && let Some(index) = table.index(of.id)
        {
            out.extend(table.links(index));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::apps::WriteCtx;
    use crate::value::Value;

    fn sim(entities: usize) -> Simulator {
        let table = Table {
            width: 1,
            ..Table::default()
        };
        Simulator {
            tables: vec![table; entities],
            apps: vec![Arc::from("App"); entities],
            ..Simulator::default()
        }
    }

    #[test]
    fn a_refusing_app_fails_only_the_writes_of_runs() {
        let mut s = sim(1);
        let e = EntityId(0);
        s.refuse_writes(&Arc::from("App"), true);
        // A user step's write: no `before_write` before it.
        assert!(s.create(e, record("user"), None).is_ok());
        s.before_write(WriteCtx::default());
        let err = s.create(e, record("run"), None).unwrap_err();
        assert!(err.failed && err.reason.contains("refuses writes"), "{err}");
        s.refuse_writes(&Arc::from("App"), false);
        s.before_write(WriteCtx::default());
        assert!(s.create(e, record("run"), None).is_ok());
    }

    fn record(title: &str) -> Record {
        let mut record = Record::empty(1);
        record.set(FieldId(0), Value::text(title));
        record
    }

    #[test]
    fn a_lookup_by_text_keeps_what_a_scan_keeps_through_creates_updates_and_deletes() {
        let mut s = sim(1);
        let e = EntityId(0);
        let ids = |found: Vec<Record>| found.iter().map(|r| r.id).collect::<Vec<_>>();
        let by_index = |s: &Simulator, title: &str| {
            let wanted = Value::text(title);
            let equal = [(FieldId(0), wanted.clone())];
            let mut keep = |r: RecordView| crate::operators::equal(r.get(FieldId(0)), &wanted);
            ids(s.lookup(e, &equal, &mut keep).unwrap())
        };
        let by_scan = |s: &Simulator, title: &str| {
            let wanted = Value::text(title);
            let mut keep = |r: RecordView| crate::operators::equal(r.get(FieldId(0)), &wanted);
            ids(s.select(e, &mut keep).unwrap())
        };
        for title in ["a", "b", "a"] {
            s.create(e, record(title), None).unwrap();
        }
        assert_eq!(by_index(&s, "a"), vec![1, 3]);
        s.create(e, record("a"), Some(6)).unwrap();
        let write = Write {
            fields: vec![(FieldId(0), Value::text("a"))],
            ..Write::default()
        };
        s.update(RecordRef::new(e, 2), write).unwrap();
        s.delete(RecordRef::new(e, 1)).unwrap();
        for title in ["a", "b", "c"] {
            assert_eq!(by_index(&s, title), by_scan(&s, title), "{title}");
        }
        assert_eq!(by_index(&s, "a"), vec![2, 3, 6]);
        assert_eq!(by_index(&s, "b"), Vec::<u64>::new());
    }

    #[test]
    fn ids_count_up_and_are_never_reused() {
        let mut s = sim(1);
        let e = EntityId(0);
        let a = s.create(e, record("a"), None).unwrap();
        let b = s.create(e, record("b"), None).unwrap();
        assert_eq!((a.id, b.id), (1, 2));
        s.delete(RecordRef::new(e, 2)).unwrap();
        let c = s.create(e, record("c"), None).unwrap();
        assert_eq!(c.id, 3);
        assert!(s.create(e, record("d"), Some(2)).is_err());
        let far = s.create(e, record("e"), Some(10)).unwrap();
        assert_eq!(far.id, 10);
        assert_eq!(s.next_id(e), 11);
    }

    #[test]
    fn tracked_changes_list_every_record_written_and_link_made_once() {
        let mut s = sim(2);
        let (e, f) = (EntityId(0), EntityId(1));
        s.create(e, record("before"), None).unwrap();
        assert_eq!(s.take_changes(), Changes::default(), "not tracked yet");
        s.track_changes();
        let a = RecordRef::new(e, s.create(e, record("a"), None).unwrap().id);
        let b = RecordRef::new(f, s.insert(f, &mut vec![Value::text("b")]).unwrap());
        let write = Write {
            fields: vec![(FieldId(0), Value::text("a2"))],
            ..Write::default()
        };
        s.update(a, write).unwrap();
        s.link(a, b);
        s.delete(RecordRef::new(e, 1)).unwrap();
        assert!(s.delete(RecordRef::new(e, 9)).unwrap().is_none());
        let changes = s.take_changes();
        let records: Vec<RecordRef> = changes.records.into_iter().collect();
        assert_eq!(records, vec![RecordRef::new(e, 1), a, b]);
        assert_eq!(changes.links, vec![(a, b)]);
        assert_eq!(s.take_changes(), Changes::default(), "taken once");
    }

    #[test]
    fn updates_list_only_fields_that_really_changed() {
        let mut s = sim(1);
        let e = EntityId(0);
        s.create(e, record("a"), None).unwrap();
        let same = Write {
            fields: vec![(FieldId(0), Value::text("a"))],
            ..Write::default()
        };
        let updated = s.update(RecordRef::new(e, 1), same).unwrap().unwrap();
        assert!(updated.changed.is_empty());
        let other = Write {
            fields: vec![(FieldId(0), Value::text("b"))],
            ..Write::default()
        };
        let updated = s.update(RecordRef::new(e, 1), other).unwrap().unwrap();
        assert_eq!(&*updated.changed, &[FieldId(0)]);
        assert!(
            s.update(RecordRef::new(e, 7), Write::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn links_go_both_ways_and_outlive_the_record() {
        let mut s = sim(2);
        let a = RecordRef::new(
            EntityId(0),
            s.create(EntityId(0), record("a"), None).unwrap().id,
        );
        let b = RecordRef::new(
            EntityId(1),
            s.create(EntityId(1), record("b"), None).unwrap().id,
        );
        s.link(a, b);
        s.delete(a).unwrap();
        let mut out = Vec::new();
        s.linked(a, &mut out);
        assert_eq!(out, vec![b]);
        out.clear();
        s.linked(b, &mut out);
        assert_eq!(out, vec![a]);
        assert!(s.delete(a).unwrap().is_none());
        assert_eq!(s.links(), vec![(a, b)]);
        let c = RecordRef::new(
            EntityId(1),
            s.create(EntityId(1), record("c"), None).unwrap().id,
        );
        s.link(a, c);
        s.link(a, b);
        out.clear();
        s.linked(a, &mut out);
        assert_eq!(out, vec![b, c]);
        assert_eq!(s.links(), vec![(a, b), (a, c)]);
    }
}
