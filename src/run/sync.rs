//! `sync`: two-way sync with a ledger, so that the engine knows its own writes when they come
//! back.
//!
//! For every pair of records a sync has linked, the ledger keeps the values of the synced
//! fields on both sides as they last agreed (read back after the engine's own write). An
//! `updated` event whose synced fields match the ledger is the echo of that write and is
//! ignored; otherwise only the fields that changed since then are written across, and where
//! both sides changed the same field, `prefer` decides and the losing value is shown in the
//! trace.
//!
//! ```text
//! sync ticket between Helpdesk and Tracker { title <-> subject  prefer Helpdesk }
//!     # a user renames a ticket in Tracker: the Helpdesk ticket is renamed, and its
//!     # `updated` event, matching the ledger, stops there
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use smol_str::SmolStr;

use super::action::{RunCtx, fit_field, stamp_record, stamp_write};
use super::apps::{Apps, Record, RecordId, RecordRef, RecordView, Write};
use super::error::{RunError, RunErrorKind};
use super::eval::{self, Scope, Subject};
use super::guard::{self, Actor};
use super::trace::{Done, Skip, TraceItem};
use super::{Core, Event, Outcome};
use crate::ast::EventKind;
use crate::operators::equal;
use crate::program::{
    ConflictPart, EntityId, FieldId, Prefer, Program, Sync, SyncEnd, SyncId, SyncMapping, SyncSide,
};
use crate::value::Value;

/// One linked pair and the values its two sides last agreed on, one per mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub sync: SyncId,
    pub left: RecordId,
    pub right: RecordId,
    pub left_values: Vec<Value>,
    pub right_values: Vec<Value>,
}

/// The sync ledger: every linked pair, found from either side.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pairs: Vec<Option<Pair>>,
    index: HashMap<(SyncId, bool, RecordId), usize>,
    /// The pairs (by sync and left record) changed since [`Ledger::take_changes`], when asked
    /// to keep them (`weir serve` writes them to its journal with the events that made them).
    changes: Option<Vec<(SyncId, RecordId)>>,
}

impl Ledger {
    fn find(&self, sync: SyncId, left: bool, id: RecordId) -> Option<usize> {
        self.index.get(&(sync, left, id)).copied()
    }

    pub fn insert(&mut self, pair: Pair) {
        self.touch(&pair);
        self.place(pair);
    }

    fn remove(&mut self, slot: usize) {
        if let Some(pair) = self.unlink(slot) {
            self.touch(&pair);
        }
    }

    /// A pair in a slot of its own, found from both sides.
    fn place(&mut self, pair: Pair) {
        self.pairs.push(None);
        self.put(self.pairs.len() - 1, pair);
    }

    /// A pair in `slot`, found from both sides.
    fn put(&mut self, slot: usize, pair: Pair) {
        self.index.insert((pair.sync, true, pair.left), slot);
        self.index.insert((pair.sync, false, pair.right), slot);
        self.pairs[slot] = Some(pair);
    }

    /// Takes the pair out of a slot, found from neither side any more.
    fn unlink(&mut self, slot: usize) -> Option<Pair> {
        let pair = self.pairs[slot].take()?;
        self.index.remove(&(pair.sync, true, pair.left));
        self.index.remove(&(pair.sync, false, pair.right));
        Some(pair)
    }

    /// Puts back a pair with the values its sides now agree on.
    fn set(&mut self, slot: usize, pair: Pair) {
        self.touch(&pair);
        self.pairs[slot] = Some(pair);
    }

    fn touch(&mut self, pair: &Pair) {
        if let Some(changes) = &mut self.changes {
            changes.push((pair.sync, pair.left));
        }
    }

    /// Keeps a list of the pairs changed from now on.
    pub fn track_changes(&mut self) {
        self.changes = Some(Vec::new());
    }

    /// The pairs changed since the last call, each once, as `(sync, left record)`; the pair
    /// is gone when [`Ledger::pair`] no longer finds it.
    pub fn take_changes(&mut self) -> Vec<(SyncId, RecordId)> {
        let mut changes = self
            .changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        changes.sort_by_key(|(sync, left)| (sync.0, *left));
        changes.dedup();
        changes
    }

    /// Puts in a pair another engine wrote (several servers on one journal), in place of the
    /// ones this ledger has for either of its records: not a change of this engine's.
    pub fn adopt(&mut self, pair: Pair) {
        let left = self.find(pair.sync, true, pair.left);
        if let Some(other) = self
            .find(pair.sync, false, pair.right)
            .filter(|r| Some(*r) != left)
        {
            self.unlink(other);
        }
        match left {
            Some(slot) => {
                self.unlink(slot);
                self.put(slot, pair);
            }
            None => self.place(pair),
        }
    }

    /// Drops the pair of `sync` whose left record is `left`, which another engine removed: not
    /// a change of this engine's.
    pub fn drop_adopted(&mut self, sync: SyncId, left: RecordId) {
        if let Some(slot) = self.find(sync, true, left) {
            self.unlink(slot);
        }
    }

    /// The pair of a sync whose left record is `left`.
    pub fn pair(&self, sync: SyncId, left: RecordId) -> Option<&Pair> {
        let slot = self.find(sync, true, left)?;
        self.pairs[slot].as_ref()
    }

    /// Every linked pair, oldest first.
    pub fn pairs(&self) -> impl Iterator<Item = &Pair> {
        self.pairs.iter().flatten()
    }
}

/// A conflict a sync settled, as a workflow run on it reads it: each part a text.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictNote {
    pub sync: SyncId,
    pub field: SmolStr,
    pub app: SmolStr,
    pub kept: SmolStr,
    pub lost: SmolStr,
    pub left: SmolStr,
    pub right: SmolStr,
}

impl ConflictNote {
    pub fn part(&self, part: ConflictPart) -> &SmolStr {
        match part {
            ConflictPart::Field => &self.field,
            ConflictPart::App => &self.app,
            ConflictPart::Kept => &self.kept,
            ConflictPart::Lost => &self.lost,
            ConflictPart::Left => &self.left,
            ConflictPart::Right => &self.right,
        }
    }
}

/// The two sides of a sync as seen from the side an event came from.
struct Sides {
    sync: SyncId,
    this: SyncSide,
    other: SyncSide,
    left: bool,
}

impl Core {
    /// What a sync does with an event of one of its entities.
    pub(super) fn sync_event<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        sync: SyncId,
        left: bool,
        event: &Event,
        out: &mut Outcome,
    ) {
        let s = &p.syncs[sync.0];
        let sides = if left {
            Sides {
                sync,
                this: s.left,
                other: s.right,
                left,
            }
        } else {
            Sides {
                sync,
                this: s.right,
                other: s.left,
                left,
            }
        };
        let by = Actor::Sync(sync);
        let found = self.ledger.find(sync, left, event.record.id);
        let result = match (event.kind, found) {
            (EventKind::New, Some(_)) => {
                self.skip(by, event, Skip::Echo, out);
                return;
            }
            (EventKind::New, None) => self.sync_new(p, apps, sync, &sides, event, out),
            (EventKind::Updated, Some(slot)) => self.sync_update(p, apps, &sides, slot, event, out),
            (EventKind::Deleted, Some(slot)) => {
                let Some(run) = self.sync_run(by, event, out) else {
                    return;
                };
                let Some(pair) = self.ledger.pairs[slot].clone() else {
                    return;
                };
                self.ledger.remove(slot);
                let partner = RecordRef::new(sides.other.entity, other_id(&pair, left));
                let mut ctx = RunCtx::new(run, by, event);
                self.delete(p, apps, partner, &mut ctx, s.span, out)
                    .map(|_| ())
                    .map_err(|e| (run, e))
            }
            (_, None) => return,
        };
        if let Err((run, err)) = result {
            self.fail(p, by, Some(run), event, err, out);
        }
    }

    /// Starts a sync's run, unless the guard holds the event.
    fn sync_run(&mut self, by: Actor, event: &Event, out: &mut Outcome) -> Option<u64> {
        if let Some(reason) = guard::check(event, by, self.options.max_hops) {
            self.hold(by, event, reason, out);
            return None;
        }
        Some(self.start_run(by, event, out))
    }

    /// A new record on one side: made on the other and linked.
    fn sync_new<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        sync: SyncId,
        sides: &Sides,
        event: &Event,
        out: &mut Outcome,
    ) -> Result<(), (u64, RunError)> {
        let s = &p.syncs[sync.0];
        let by = Actor::Sync(sync);
        if let Some(partner) = self
            .matching_partner(p, apps, sync, sides, event)
            .map_err(|err| (0, RunError::new(s.span, RunErrorKind::App(err))))?
        {
            let now = self.options.now;
            let this_values = values(p, now, s, sides.left, &event.record).map_err(|e| (0, e))?;
            let other_values = values(p, now, s, !sides.left, &partner).map_err(|e| (0, e))?;
            let at = RecordRef::new(sides.other.entity, partner.id);
            self.link(
                sync,
                sides.left,
                event.record.id,
                this_values,
                partner.id,
                other_values,
            );
            self.skip(by, event, Skip::Linked(at), out);
            return Ok(());
        }
        let Some(run) = self.sync_run(by, event, out) else {
            return Ok(());
        };
        let fail = |err| (run, err);
        let other = p.entity(sides.other.entity);
        let mut record = Record::empty(other.fields.len());
        let now = self.options.now;
        for m in &s.mappings {
            if let Some(to) = m.written(sides.left) {
                let value = end_value(p, now, s, m, sides.left, &event.record).map_err(fail)?;
                let value = m.carry(&value, sides.left);
                let value = fit_field(p, sides.other.entity, to, value, m.span).map_err(fail)?;
                record.set(to, value);
            }
        }
        if let Some((field, _)) = other
            .fields
            .iter()
            .zip(record.fields().iter())
            .find(|(f, v)| other.declared && f.required && **v == Value::None)
        {
            return Err(fail(RunError::new(
                s.span,
                RunErrorKind::MissingField {
                    field: field.name.clone(),
                    entity: other.name.clone(),
                },
            )));
        }
        let engine = self.engine.clone();
        stamp_record(p, sides.other.entity, &mut record, &engine);
        let mut ctx = RunCtx::new(run, by, event);
        let at = self
            .create(p, apps, sides.other.entity, record, &mut ctx, s.span, out)
            .map_err(fail)?;
        // A partner that cannot be read fails the run (it can run again); one gone is no pair.
        let read = |err| fail(RunError::new(s.span, RunErrorKind::App(err)));
        let Some(partner) = apps.get(at).map_err(read)? else {
            return Ok(());
        };
        let this_values = values(p, now, s, sides.left, &event.record).map_err(fail)?;
        let other_values = values(p, now, s, !sides.left, &partner).map_err(fail)?;
        self.link(
            sync,
            sides.left,
            event.record.id,
            this_values,
            at.id,
            other_values,
        );
        Ok(())
    }

    /// Records a new pair in the ledger, as both sides stand now.
    fn link(
        &mut self,
        sync: SyncId,
        this_left: bool,
        this: RecordId,
        this_values: Vec<Value>,
        other: RecordId,
        other_values: Vec<Value>,
    ) {
        let (left_values, right_values, left, right) = if this_left {
            (this_values, other_values, this, other)
        } else {
            (other_values, this_values, other, this)
        };
        self.ledger.insert(Pair {
            sync,
            left,
            right,
            left_values,
            right_values,
        });
    }

    /// With `match FIELD`: the first record on the other side, not yet linked, whose matched
    /// field holds the value the new record's would become there.
    fn matching_partner<A: Apps>(
        &self,
        p: &Program,
        apps: &A,
        sync: SyncId,
        sides: &Sides,
        event: &Event,
    ) -> Result<Option<Record>, crate::run::apps::AppError> {
        let s = &p.syncs[sync.0];
        let Some(m) = s.matching.map(|i| &s.mappings[i]) else {
            return Ok(None);
        };
        let now = self.options.now;
        // A key that cannot be worked out matches nothing: the record is created instead.
        let key = end_value(p, now, s, m, sides.left, &event.record)
            .map_or(Value::None, |key| m.carry(&key, sides.left));
        if key == Value::None {
            return Ok(None);
        }
        let ledger = &self.ledger;
        let other = m.end(!sides.left);
        let mut found = apps.select(sides.other.entity, &mut |view| {
            ledger.find(sync, !sides.left, view.id).is_none()
                && view_value(p, now, sides.other.entity, other, view)
                    .is_ok_and(|value| equal(&value, &key))
        })?;
        Ok((!found.is_empty()).then(|| found.swap_remove(0)))
    }

    /// An update on one side of a linked pair: an echo, or changes to write across.
    fn sync_update<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        sides: &Sides,
        slot: usize,
        event: &Event,
        out: &mut Outcome,
    ) -> Result<(), (u64, RunError)> {
        let s = &p.syncs[sides.sync.0];
        let by = Actor::Sync(sides.sync);
        let Some(mut pair) = self.ledger.pairs[slot].clone() else {
            return Ok(());
        };
        let partner_at = RecordRef::new(sides.other.entity, other_id(&pair, sides.left));
        // A partner that cannot be read is not a partner gone: the run fails, so that the event
        // can run again, rather than the update being dropped.
        let partner = match apps.get(partner_at) {
            Ok(Some(partner)) => partner,
            Ok(None) => return Ok(()),
            Err(err) => return Err((0, RunError::new(s.span, RunErrorKind::App(err)))),
        };
        let now = self.options.now;
        let (current, mut plan) =
            Plan::as_it_stands(p, apps, now, sides, &pair, event, &partner).map_err(|e| (0, e))?;
        let this = current.as_ref().unwrap_or(&event.record);
        if !plan.changed {
            self.skip(by, event, Skip::Echo, out);
            return Ok(());
        }
        // What this side reports now is agreed for every field that changed.
        let this_now = values(p, now, s, sides.left, this).map_err(|e| (0, e))?;
        // Where the other side won, its value is the one both now agree on.
        let agreed_other = if sides.left {
            &mut pair.right_values
        } else {
            &mut pair.left_values
        };
        for (i, value) in std::mem::take(&mut plan.other_won) {
            agreed_other[i] = value;
        }
        if plan.to_other.fields.is_empty() && plan.to_this.fields.is_empty() {
            set_side(&mut pair, sides.left, this_now);
            self.ledger.set(slot, pair);
            return Ok(());
        }
        let Some(run) = self.sync_run(by, event, out) else {
            return Ok(());
        };
        let mut ctx = RunCtx::new(run, by, event);
        let fired = self.show_conflicts(run, by, std::mem::take(&mut plan.conflicts), out);
        let wrote_other = std::mem::take(&mut plan.wrote_other);
        let (this_after, other_after) = self
            .write_plan(p, apps, sides, plan, &mut ctx, out)
            .map_err(|e| (run, e))?;
        let left_record = match (sides.left, &this_after, &other_after) {
            (true, Some(record), _) | (false, _, Some(record)) => record,
            (true, None, _) => this,
            (false, _, None) => &partner,
        };
        let events = conflict_events(
            p,
            sides,
            &pair,
            left_record,
            fired,
            ctx.chain(),
            &self.engine,
        );
        let fail = |e| (run, e);
        let this_values = match &this_after {
            Some(record) => values(p, now, s, sides.left, record).map_err(fail)?,
            None => this_now,
        };
        set_side(&mut pair, sides.left, this_values);
        if let Some(record) = &other_after {
            let after = values(p, now, s, !sides.left, record).map_err(fail)?;
            agree_written(&mut pair, sides.left, &after, &wrote_other);
        }
        self.ledger.set(slot, pair);
        // Once the pair is settled, the workflows that run on its conflicts see it as it is.
        for event in events {
            self.run_on_conflict(p, apps, sides.sync, &event, out);
        }
        Ok(())
    }

    /// The trace's word on each conflict `prefer` settled; each gets an event id when
    /// workflows run on the sync's conflicts.
    fn show_conflicts(
        &mut self,
        run: u64,
        by: Actor,
        conflicts: Vec<Conflict>,
        out: &mut Outcome,
    ) -> Vec<(Conflict, u64)> {
        let Actor::Sync(sync) = by else {
            unreachable!("expected a sync's run, found {by:?}")
        };
        let listened = !self.on_conflict[sync.0].is_empty();
        let mut fired = Vec::new();
        for c in conflicts {
            let event = listened.then(|| {
                let id = self.next_event;
                self.next_event += 1;
                out.counts.events += 1;
                id
            });
            if self.options.trace {
                out.trace.push(TraceItem::Action {
                    run,
                    by,
                    done: Done::Conflict {
                        entity: c.entity,
                        field: c.field,
                        kept: c.kept.clone(),
                        lost: c.lost.clone(),
                        event,
                    },
                });
            }
            if let Some(id) = event {
                fired.push((c, id));
            }
        }
        fired
    }

    /// Runs every workflow on a sync's conflict, as on any event.
    fn run_on_conflict<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        sync: SyncId,
        event: &Event,
        out: &mut Outcome,
    ) {
        if self.options.trace {
            out.trace.push(TraceItem::Event(event.clone()));
        }
        for i in 0..self.on_conflict[sync.0].len() {
            let workflow = self.on_conflict[sync.0][i];
            self.consider(p, apps, workflow, event, out);
        }
    }

    /// Makes a plan's writes, the other side's first: the records as they stand after each.
    fn write_plan<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        sides: &Sides,
        plan: Plan,
        ctx: &mut RunCtx,
        out: &mut Outcome,
    ) -> Result<(Option<Record>, Option<Record>), RunError> {
        let span = p.syncs[sides.sync.0].span;
        let engine = self.engine.clone();
        let Plan {
            mut to_other,
            mut to_this,
            partner,
            ..
        } = plan;
        let mut other_after = None;
        let mut this_after = None;
        if !to_other.fields.is_empty() {
            stamp_write(p, sides.other.entity, &mut to_other, &engine);
            other_after = self.update(p, apps, partner, to_other, ctx, span, out)?;
        }
        if !to_this.fields.is_empty() {
            stamp_write(p, sides.this.entity, &mut to_this, &engine);
            let at = ctx.event.at();
            this_after = self.update(p, apps, at, to_this, ctx, span, out)?;
        }
        Ok((this_after, other_after))
    }
}

/// A field whose change lost to the other side's: where, the value kept and the one lost.
#[derive(Clone, Debug)]
struct Conflict {
    entity: EntityId,
    field: FieldId,
    kept: Value,
    lost: Value,
}

/// What an update on one side of a pair asks for, mapping by mapping.
struct Plan {
    /// The other side's record.
    partner: RecordRef,
    /// Whether any synced value on this side differs from the ledger (else: an echo).
    changed: bool,
    to_other: Write,
    /// The mappings `to_other` writes, by index.
    wrote_other: Vec<usize>,
    /// The mappings where the other side's value won, with that value.
    other_won: Vec<(usize, Value)>,
    /// Values the other side won, written back here.
    to_this: Write,
    conflicts: Vec<Conflict>,
}

impl Plan {
    /// The plan for an update, made from the record as it stands now: an event can be older
    /// than a write the sync has made since (two people edited both sides at once). Also the
    /// record read again, when it differs from the event's.
    fn as_it_stands<A: Apps>(
        p: &Program,
        apps: &A,
        now: i64,
        sides: &Sides,
        pair: &Pair,
        event: &Event,
        partner: &Record,
    ) -> Result<(Option<Record>, Plan), RunError> {
        let plan = Plan::of(p, now, sides, pair, &event.record, partner)?;
        let current = match plan.changed {
            true => apps.get(event.at()).ok().flatten(),
            false => None,
        };
        match current.filter(|r| *r != event.record) {
            Some(current) => {
                let plan = Plan::of(p, now, sides, pair, &current, partner)?;
                Ok((Some(current), plan))
            }
            None => Ok((None, plan)),
        }
    }

    /// Compares this side's record and its partner with what they last agreed on.
    fn of(
        p: &Program,
        now: i64,
        sides: &Sides,
        pair: &Pair,
        this: &Record,
        partner: &Record,
    ) -> Result<Plan, RunError> {
        let s = &p.syncs[sides.sync.0];
        let (this_agreed, other_agreed) = if sides.left {
            (&pair.left_values, &pair.right_values)
        } else {
            (&pair.right_values, &pair.left_values)
        };
        let this_wins = match s.prefer {
            Prefer::Left => sides.left,
            Prefer::Right => !sides.left,
            Prefer::Latest => true,
        };
        let mut plan = Plan {
            partner: RecordRef::new(sides.other.entity, partner.id),
            changed: false,
            to_other: Write::default(),
            wrote_other: Vec::new(),
            other_won: Vec::new(),
            to_this: Write::default(),
            conflicts: Vec::new(),
        };
        for (i, m) in s.mappings.iter().enumerate() {
            let this_now = &end_value(p, now, s, m, sides.left, this)?;
            if equal(this_now, &this_agreed[i]) {
                continue;
            }
            plan.changed = true;
            let Some(other_field) = m.written(sides.left) else {
                continue;
            };
            let other_now = partner.get(other_field);
            // The value this side's would be on the other side.
            let carried = m.carry(this_now, sides.left);
            let other_changed = !equal(other_now, &other_agreed[i]) && !equal(other_now, &carried);
            if !other_changed || this_wins {
                let value = fit_field(p, sides.other.entity, other_field, carried.clone(), m.span)?;
                plan.to_other.fields.push((other_field, value));
                plan.wrote_other.push(i);
                if other_changed {
                    plan.conflicts.push(Conflict {
                        entity: sides.other.entity,
                        field: other_field,
                        kept: carried,
                        lost: other_now.clone(),
                    });
                }
            } else {
                plan.other_won.push((i, other_now.clone()));
                let back = m.carry(other_now, !sides.left);
                let this_field = m.written(!sides.left);
                if let Some(field) = this_field {
                    let value = fit_field(p, sides.this.entity, field, back.clone(), m.span)?;
                    plan.to_this.fields.push((field, value));
                }
                // Where this side's value is computed, the loss is in the fields it reads:
                // shown against the first of them.
                let field = this_field.or_else(|| m.end(sides.left).reads().first().copied());
                let Some(field) = field else { continue };
                plan.conflicts.push(Conflict {
                    entity: sides.this.entity,
                    field,
                    kept: back,
                    lost: this_now.clone(),
                });
            }
        }
        Ok(plan)
    }
}

/// The events a sync's settled conflicts are to the workflows that run on them: each on the
/// first side's record as it now stands, caused by the sync's run.
fn conflict_events(
    p: &Program,
    sides: &Sides,
    pair: &Pair,
    left_record: &Record,
    fired: Vec<(Conflict, u64)>,
    cause: super::guard::Chain,
    engine: &crate::value::Label,
) -> Vec<Event> {
    let s = &p.syncs[sides.sync.0];
    let text = |value: &Value| {
        let mut out = String::new();
        if *value != Value::None {
            value.push_plain_text(&mut out);
        }
        SmolStr::from(out)
    };
    let id = |entity, record| SmolStr::from(RecordRef::new(entity, record).show(p).to_string());
    fired
        .into_iter()
        .map(|(c, event)| {
            let e = p.entity(c.entity);
            let note = ConflictNote {
                sync: sides.sync,
                field: SmolStr::from(&*e.fields[c.field.0].name),
                app: SmolStr::from(&*p.app(e.app).name),
                kept: text(&c.kept),
                lost: text(&c.lost),
                left: id(s.left.entity, pair.left),
                right: id(s.right.entity, pair.right),
            };
            Event {
                id: event,
                kind: EventKind::Updated,
                entity: s.left.entity,
                record: left_record.clone(),
                origin: engine.clone(),
                changed: None,
                cause: cause.clone(),
                conflict: Some(Arc::new(note)),
                failure: None,
            }
        })
        .collect()
}

fn other_id(pair: &Pair, left: bool) -> RecordId {
    if left { pair.right } else { pair.left }
}

/// The synced values of a record on one side, one per mapping.
fn values(
    p: &Program,
    now: i64,
    s: &Sync,
    left: bool,
    record: &Record,
) -> Result<Vec<Value>, RunError> {
    s.mappings
        .iter()
        .map(|m| end_value(p, now, s, m, left, record))
        .collect()
}

/// A mapping's value on a record of one side: its field, or its expression worked out.
fn end_value(
    p: &Program,
    now: i64,
    s: &Sync,
    m: &SyncMapping,
    left: bool,
    record: &Record,
) -> Result<Value, RunError> {
    let entity = if left { s.left.entity } else { s.right.entity };
    view_value(p, now, entity, m.end(left), record.view())
}

fn view_value(
    p: &Program,
    now: i64,
    entity: EntityId,
    end: &SyncEnd,
    record: RecordView,
) -> Result<Value, RunError> {
    match end {
        SyncEnd::Field(f) => Ok(record.get(*f).clone()),
        SyncEnd::Computed(e) => eval::eval(
            e,
            &Scope {
                target: Some(Subject { entity, record }),
                ..Scope::constant(p, now)
            },
        ),
    }
}

/// Only what the sync wrote is agreed on the other side: a change made there that it has not
/// seen yet is still to come, with its own event.
fn agree_written(pair: &mut Pair, this_left: bool, after: &[Value], wrote_other: &[usize]) {
    let agreed = if this_left {
        &mut pair.right_values
    } else {
        &mut pair.left_values
    };
    for &i in wrote_other {
        agreed[i] = after[i].clone();
    }
}

fn set_side(pair: &mut Pair, left: bool, values: Vec<Value>) {
    if left {
        pair.left_values = values;
    } else {
        pair.right_values = values;
    }
}
