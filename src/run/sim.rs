//! The simulator: every app without `at "url"`, kept in memory, faithful enough to teach and
//! to test.
//!
//! Records get deterministic ids, counted per entity from 1 (`Calendar/event/1`), and an id is
//! never given out twice, even after a delete. Each entity is a table of slots indexed by id,
//! so a lookup by id is an index, and a new record is a push. A slot also holds the record's
//! links, which outlive the record: after `Calendar/event/1` is deleted, `delete … linked` on
//! its `deleted` event still finds the copies made from it.
//!
//! The simulator stores what it is told. Stamps, origins and events are the engine's business
//! (`super`); the simulator only reports which fields an update really changed.

use std::sync::Arc;

use super::apps::{AppError, Apps, Record, RecordId, RecordRef, Updated, Write};
use crate::program::{EntityId, FieldId, Program};

/// How far past the last id a record may ask to be put (ids are slots, not a hash).
const MAX_ID_GAP: u64 = 1_000_000;

/// The simulated apps' records and links.
#[derive(Clone, Debug, Default)]
pub struct Simulator {
    tables: Vec<Table>,
    /// The app name of each entity, for messages.
    apps: Vec<Arc<str>>,
}

#[derive(Clone, Debug, Default)]
struct Table {
    slots: Vec<Slot>,
}

/// One id of an entity: the record (gone once deleted) and its links (kept).
#[derive(Clone, Debug, Default)]
struct Slot {
    record: Option<Record>,
    links: Links,
}

/// A record's links; most records have none or one, which need no allocation.
#[derive(Clone, Debug, Default)]
enum Links {
    #[default]
    None,
    One(PackedRef),
    Many(Box<Vec<PackedRef>>),
}

/// A record reference in one word: the entity in the top 16 bits, the id below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PackedRef(u64);

const ID_BITS: u32 = 48;

impl PackedRef {
    fn pack(r: RecordRef) -> Option<PackedRef> {
        let entity = u64::try_from(r.entity.0).ok().filter(|e| *e < 1 << 16)?;
        (r.id < 1 << ID_BITS).then_some(PackedRef(entity << ID_BITS | r.id))
    }

    fn unpack(self) -> RecordRef {
        RecordRef::new(EntityId((self.0 >> ID_BITS) as usize), self.0 & ((1 << ID_BITS) - 1))
    }
}

impl Links {
    fn add(&mut self, other: PackedRef) {
        match self {
            Links::None => *self = Links::One(other),
            Links::One(first) if *first == other => {}
            Links::One(first) => *self = Links::Many(Box::new(vec![*first, other])),
            Links::Many(all) => {
                if !all.contains(&other) {
                    all.push(other);
                }
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = RecordRef> + '_ {
        let all: &[PackedRef] = match self {
            Links::None => &[],
            Links::One(one) => std::slice::from_ref(one),
            Links::Many(all) => all,
        };
        all.iter().map(|p| p.unpack())
    }
}

impl Simulator {
    /// Empty apps for a program's entities.
    pub fn new(program: &Program) -> Simulator {
        let mut sim = Simulator::default();
        sim.adopt(program);
        sim
    }

    /// Makes room for entities a program has gained (a REPL session grows its program).
    pub fn adopt(&mut self, program: &Program) {
        while self.tables.len() < program.entities.len() {
            self.tables.push(Table::default());
        }
        self.apps = program
            .entities
            .iter()
            .map(|e| program.app(e.app).name.clone())
            .collect();
    }

    /// The live records of an entity, in id order.
    pub fn records(&self, entity: EntityId) -> impl Iterator<Item = &Record> {
        self.tables
            .get(entity.0)
            .into_iter()
            .flat_map(|t| t.slots.iter().filter_map(|s| s.record.as_ref()))
    }

    /// How many records an entity holds now.
    pub fn count(&self, entity: EntityId) -> usize {
        self.records(entity).count()
    }

    /// The id the next record of an entity will get.
    pub fn next_id(&self, entity: EntityId) -> RecordId {
        self.tables
            .get(entity.0)
            .map_or(1, |t| t.slots.len() as u64 + 1)
    }

    /// Moves the id counter on, so that ids below `next` are never given out (ids of deleted
    /// records, restored from a state file).
    pub fn reserve_ids(&mut self, entity: EntityId, next: RecordId) {
        let table = &mut self.tables[entity.0];
        while (table.slots.len() as u64) + 1 < next {
            table.slots.push(Slot::default());
        }
    }

    /// Every link once, as `(a, b)` with `a < b`.
    pub fn links(&self) -> Vec<(RecordRef, RecordRef)> {
        let mut out = Vec::new();
        for (e, table) in self.tables.iter().enumerate() {
            for (i, slot) in table.slots.iter().enumerate() {
                let here = RecordRef::new(EntityId(e), i as u64 + 1);
                out.extend(
                    slot.links
                        .iter()
                        .filter(|other| here < *other)
                        .map(|other| (here, other)),
                );
            }
        }
        out
    }

    fn slot(&self, at: RecordRef) -> Option<&Slot> {
        let index = usize::try_from(at.id.checked_sub(1)?).ok()?;
        self.tables.get(at.entity.0)?.slots.get(index)
    }

    fn slot_mut(&mut self, at: RecordRef) -> Option<&mut Slot> {
        let index = usize::try_from(at.id.checked_sub(1)?).ok()?;
        self.tables.get_mut(at.entity.0)?.slots.get_mut(index)
    }

    fn refuse(&self, entity: EntityId, reason: String) -> AppError {
        AppError {
            app: self
                .apps
                .get(entity.0)
                .cloned()
                .unwrap_or_else(|| Arc::from("?")),
            reason,
        }
    }
}

impl Apps for Simulator {
    fn create(
        &mut self,
        entity: EntityId,
        mut record: Record,
        id: Option<RecordId>,
    ) -> Result<Record, AppError> {
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
        self.reserve_ids(entity, id);
        record.id = id;
        self.tables[entity.0].slots.push(Slot {
            record: Some(record.clone()),
            links: Links::None,
        });
        Ok(record)
    }

    fn update(&mut self, at: RecordRef, write: Write) -> Result<Option<Updated>, AppError> {
        let Some(slot) = self.slot_mut(at) else {
            return Ok(None);
        };
        let Some(old) = &slot.record else {
            return Ok(None);
        };
        let mut record = old.clone();
        let mut changed: Vec<FieldId> = Vec::new();
        for (field, value) in write.fields {
            if *record.get(field) != value {
                changed.push(field);
                record.set(field, value);
            }
        }
        if let Some(stamp) = write.stamp {
            record.set_stamp(Some(stamp));
        }
        for (name, value) in write.extras {
            record.set_extra(name, value);
        }
        changed.sort();
        changed.dedup();
        slot.record = Some(record.clone());
        Ok(Some(Updated {
            record,
            changed: Arc::from(changed),
        }))
    }

    fn delete(&mut self, at: RecordRef) -> Result<Option<Record>, AppError> {
        Ok(self.slot_mut(at).and_then(|slot| slot.record.take()))
    }

    fn get(&self, at: RecordRef) -> Option<Record> {
        self.slot(at)?.record.clone()
    }

    fn exists(&self, at: RecordRef) -> bool {
        self.slot(at).is_some_and(|s| s.record.is_some())
    }

    fn select(
        &self,
        entity: EntityId,
        keep: &mut dyn FnMut(&Record) -> bool,
    ) -> Result<Vec<Record>, AppError> {
        Ok(self.records(entity).filter(|r| keep(r)).cloned().collect())
    }

    fn link(&mut self, a: RecordRef, b: RecordRef) {
        let (Some(pa), Some(pb)) = (PackedRef::pack(a), PackedRef::pack(b)) else {
            return;
        };
        if a == b {
            return;
        }
        if let Some(slot) = self.slot_mut(a) {
            slot.links.add(pb);
        }
        if let Some(slot) = self.slot_mut(b) {
            slot.links.add(pa);
        }
    }

    fn linked(&self, of: RecordRef, out: &mut Vec<RecordRef>) {
        if let Some(slot) = self.slot(of) {
            out.extend(slot.links.iter());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn sim(entities: usize) -> Simulator {
        Simulator {
            tables: vec![Table::default(); entities],
            apps: vec![Arc::from("App"); entities],
        }
    }

    fn record(title: &str) -> Record {
        let mut record = Record::empty(1);
        record.set(FieldId(0), Value::text(title));
        record
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
    }
}
