//! One run: its steps top to bottom, and the writes its actions make.
//!
//! A guard that fails ends the run quietly; a `let` stores a value by index; an action writes
//! through [`Apps`] and reports each write as an event caused by this run. The engine stamps
//! its label on every record it creates or updates, and links each record it creates with the
//! trigger record, both ways, for `linked`. Each kind of action is its own function
//! (`create_declared`, `create_open`, `update_action`, `notify`; deletes are short enough to
//! stay in `Core::action`'s arm).

use std::sync::Arc;

use super::apps::{Apps, Record, RecordRef, Write, WriteCtx};
use super::error::{RunError, RunErrorKind};
use super::eval::{self, Scope, Subject};
use super::guard::{Actor, Chain, Hop};
use super::lookup::matching;
use super::trace::{Done, TraceItem};
use super::{Core, Event, Outcome};
use crate::ast::EventKind;
use crate::program::{
    Action, ActionKind, CopyFields, EntityId, FieldId, Program, StepKind, Target, WorkflowId,
};
use crate::span::Span;
use crate::types::Type;
use crate::value::{Label, Value};
use smol_str::SmolStr;

/// The run in progress: who runs, on which event, and (once it writes) its place in the chain.
pub(super) struct RunCtx<'e> {
    pub run: u64,
    pub by: Actor,
    pub event: &'e Event,
    hop: Chain,
    /// Writes made so far.
    step: u32,
}

impl<'e> RunCtx<'e> {
    pub fn new(run: u64, by: Actor, event: &'e Event) -> RunCtx<'e> {
        RunCtx {
            run,
            by,
            event,
            hop: None,
            step: 0,
        }
    }

    /// What the run's expressions see: the trigger record, the event's origin, the `let`s.
    /// It borrows the event, not the run, so the run can go on writing beside it.
    pub fn scope<'a>(&self, program: &'a Program, now: i64, locals: &'a [Value]) -> Scope<'a>
    where
        'e: 'a,
    {
        let event: &'e Event = self.event;
        Scope {
            program,
            now,
            trigger: Some(self.trigger()),
            target: None,
            origin: Some(&event.origin),
            locals,
            conflict: event.conflict.as_deref(),
            failure: event.failure.as_deref(),
        }
    }

    /// Counts a write and says which it is.
    pub fn next_write(&mut self) -> WriteCtx {
        self.step += 1;
        WriteCtx {
            run: self.run,
            step: self.step,
        }
    }

    /// The chain this run's writes carry: the event's, plus this run. Made on first use, so a
    /// run whose writes nobody listens to costs no allocation.
    pub fn chain(&mut self) -> Chain {
        if self.hop.is_none() {
            let event = self.event;
            let (hops, root_event, root_origin) = match &event.cause {
                Some(parent) => (parent.hops, parent.root_event, parent.root_origin.clone()),
                None => (0, event.id, event.origin.clone()),
            };
            self.hop = Some(Arc::new(Hop {
                by: self.by,
                run: self.run,
                event: event.id,
                kind: event.kind,
                record: event.at(),
                hops: hops + 1,
                root_event,
                root_origin,
                parent: event.cause.clone(),
            }));
        }
        self.hop.clone()
    }

    fn trigger(&self) -> Subject<'e> {
        Subject {
            entity: self.event.entity,
            record: self.event.record.view(),
        }
    }
}

impl Core {
    /// Runs a workflow's steps from the first, to the end, a guard that stops it, or a `wait`.
    pub(super) fn steps<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        workflow: WorkflowId,
        ctx: &mut RunCtx,
        out: &mut Outcome,
    ) -> Result<super::wait::Reached, RunError> {
        let w = p.workflow(workflow);
        let mut locals = std::mem::take(&mut self.locals);
        locals.clear();
        locals.resize(w.locals.len(), Value::None);
        self.steps_from(p, apps, (workflow, 0), locals, ctx, out)
    }

    pub(super) fn walk<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        steps: &[crate::program::Step],
        ctx: &mut RunCtx,
        locals: &mut [Value],
        out: &mut Outcome,
    ) -> Result<bool, RunError> {
        for step in steps {
            if let Some(limit) = &step.limit
                && !self.step_gate(limit, ctx.by, ctx.event, out)
            {
                continue;
            }
            let scope = ctx.scope(p, self.options.now, locals);
            match &step.kind {
                StepKind::Guard {
                    condition,
                    continue_when,
                } => {
                    if eval::truth(condition, &scope)? != *continue_when {
                        if self.options.trace {
                            out.trace.push(TraceItem::Stop {
                                run: ctx.run,
                                by: ctx.by,
                                step: step.span,
                                condition: condition.span,
                            });
                        }
                        return Ok(false);
                    }
                }
                StepKind::Let(local, value) => {
                    let v = eval::eval(value, &scope)?;
                    locals[local.0] = v;
                }
                StepKind::Action(action) => {
                    self.action(p, apps, action, ctx, locals, out)?;
                    if let Some(local) = action.bind {
                        locals[local.0] = self.created_value(p, apps, action.span)?;
                    }
                }
                StepKind::Call(call) => {
                    let reply = super::call::call(p, apps, call, &scope, step.span)?;
                    for (field, local) in &call.results {
                        locals[local.0] = reply
                            .as_ref()
                            .map_or(Value::None, |r| r.get(*field).clone());
                    }
                }
                StepKind::Lookup(local, query) => {
                    let value = self.query(apps, query, &scope)?;
                    locals[local.0] = value;
                }
                StepKind::Branch { arms, otherwise } => {
                    let mut chosen: &[crate::program::Step] = otherwise;
                    for arm in arms {
                        if eval::truth(&arm.condition, &scope)? {
                            chosen = &arm.steps;
                            break;
                        }
                    }
                    // A guard inside the arm ends the whole run, as it would outside.
                    if !self.walk(p, apps, chosen, ctx, locals, out)? {
                        return Ok(false);
                    }
                }
                // `steps_from` ends a turn at a `wait`; the checker keeps them out of arms and
                // bodies (E0214), where one would be passed over.
                StepKind::Wait(_) => {}
                StepKind::For {
                    item, list, steps, ..
                } => {
                    let items = eval::items(list, &scope)?;
                    for value in items.iter() {
                        locals[item.0] = value.clone();
                        // A guard inside ends the whole run here too, not just this item.
                        if !self.walk(p, apps, steps, ctx, locals, out)? {
                            return Ok(false);
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    /// One action: each kind is written by its own function below.
    fn action<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        action: &Action,
        ctx: &mut RunCtx,
        locals: &[Value],
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let scope = ctx.scope(p, self.options.now, locals);
        match &action.kind {
            ActionKind::Create { entity, .. } if p.entity(*entity).declared => {
                let mut values = std::mem::take(&mut self.scratch);
                let result = self.create_declared(p, apps, action, ctx, &scope, &mut values, out);
                values.clear();
                self.scratch = values;
                result
            }
            ActionKind::Create { .. } => self.create_open(p, apps, action, ctx, &scope, out),
            ActionKind::Update { .. } => self.update_action(p, apps, action, ctx, &scope, out),
            ActionKind::Delete { entity, target, .. } => {
                let targets = self.targets(apps, *entity, target, &scope)?;
                if targets.is_empty() {
                    self.nothing_found(EventKind::Deleted, *entity, action.span, ctx, out);
                }
                for at in targets {
                    self.delete(p, apps, at, ctx, action.span, out)?;
                }
                Ok(())
            }
            ActionKind::Upsert {
                entity,
                key,
                fields,
                ..
            } => self.upsert(p, apps, action, *entity, *key, fields, ctx, &scope, out),
            ActionKind::Notify { channel, message } => {
                self.notify(channel.as_ref(), message, ctx, &scope, out)
            }
        }
    }

    /// `create` into an entity of an open app: its fields are what the action gives and what
    /// its copy finds, by name.
    fn create_open<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        action: &Action,
        ctx: &mut RunCtx,
        scope: &Scope,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let ActionKind::Create { entity, copy, .. } = &action.kind else {
            unreachable!("expected a create, found {:?}", action.kind)
        };
        let mut record = Record::empty(p.entity(*entity).fields.len());
        given_values(p, action, scope, &ctx.event.record, record.fields_mut())?;
        if let Some(copy) = copy.as_ref().filter(|c| c.extras) {
            let (source, trigger) = (ctx.event.entity, &ctx.event.record);
            copy_by_name(p, source, trigger, *entity, copy, &mut record);
        }
        let engine = self.engine.clone();
        stamp_record(p, *entity, &mut record, &engine);
        self.create(p, apps, *entity, record, ctx, action.span, out)?;
        Ok(())
    }

    /// `update`: the same write, stamped, to every record the target finds.
    fn update_action<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        action: &Action,
        ctx: &mut RunCtx,
        scope: &Scope,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let ActionKind::Update {
            entity,
            target,
            fields,
            per_target,
            ..
        } = &action.kind
        else {
            unreachable!("expected an update, found {:?}", action.kind)
        };
        let targets = self.targets(apps, *entity, target, scope)?;
        if targets.is_empty() {
            self.nothing_found(EventKind::Updated, *entity, action.span, ctx, out);
            return Ok(());
        }
        if *per_target {
            // `target.FIELD` reads each record as it is when its turn comes.
            for at in targets {
                let current = apps
                    .get(at)
                    .map_err(|err| RunError::new(action.span, RunErrorKind::App(err)))?;
                let Some(record) = current else { continue };
                let inner = Scope {
                    target: Some(Subject {
                        entity: *entity,
                        record: record.view(),
                    }),
                    ..*scope
                };
                let write = self.stamped_write(p, *entity, fields, &inner)?;
                self.update(p, apps, at, write, ctx, action.span, out)?;
            }
            return Ok(());
        }
        let write = self.stamped_write(p, *entity, fields, scope)?;
        for at in targets {
            self.update(p, apps, at, write.clone(), ctx, action.span, out)?;
        }
        Ok(())
    }

    /// The fields of an update, each evaluated in `scope` and fitted to its field, with the
    /// engine's stamp.
    fn stamped_write(
        &self,
        p: &Program,
        entity: EntityId,
        fields: &[crate::program::Assign],
        scope: &Scope,
    ) -> Result<Write, RunError> {
        let mut write = Write::default();
        for assign in fields {
            let value = eval::eval(&assign.value, scope)?;
            let value = fit_field(p, entity, assign.field, value, assign.value.span)?;
            write.fields.push((assign.field, value));
        }
        stamp_write(p, entity, &mut write, &self.engine);
        Ok(write)
    }

    /// `notify`: a text, on a channel if one is named.
    fn notify(
        &mut self,
        channel: Option<&crate::program::Expr>,
        message: &crate::program::Expr,
        ctx: &RunCtx,
        scope: &Scope,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let channel = match channel {
            Some(c) => match eval::eval(c, scope)? {
                Value::Text(t) => Some(t),
                Value::Label(l) => Some(SmolStr::new(&*l)),
                other => return Err(wrong_text(c.span, other)),
            },
            None => None,
        };
        let text = match eval::eval(message, scope)? {
            Value::Text(t) => t,
            other => return Err(wrong_text(message.span, other)),
        };
        out.counts.actions += 1;
        out.counts.notified += 1;
        out.notes.push((channel.clone(), text.clone()));
        if self.options.trace {
            out.trace.push(TraceItem::Action {
                run: ctx.run,
                by: ctx.by,
                done: Done::Notify { channel, text },
            });
        }
        Ok(())
    }

    /// `create` into a declared entity: the values are made in `values` (a reused buffer), and
    /// go into the app without a record handle when nobody will read the event.
    #[expect(clippy::too_many_arguments, reason = "a write has this many parts")]
    fn create_declared<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        action: &Action,
        ctx: &mut RunCtx,
        scope: &Scope,
        values: &mut Vec<Value>,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        let ActionKind::Create { entity, .. } = &action.kind else {
            unreachable!("expected a create, found {:?}", action.kind)
        };
        let (entity, e) = (*entity, p.entity(*entity));
        values.clear();
        values.resize(e.fields.len(), Value::None);
        given_values(p, action, scope, &ctx.event.record, values)?;
        let missing = e
            .fields
            .iter()
            .zip(values.iter())
            .find(|(f, v)| f.required && **v == Value::None);
        if let Some((field, _)) = missing {
            return Err(RunError::new(
                action.span,
                RunErrorKind::MissingField {
                    field: field.name.clone(),
                    entity: e.name.clone(),
                },
            ));
        }
        if e.stamp.is_some() {
            for (field, value) in e.fields.iter().zip(values.iter_mut()) {
                if field.is_stamp {
                    *value = Value::Label(self.engine.clone());
                }
            }
        }
        if self.wanted(entity, EventKind::New) || apps.remote(entity) {
            let record = Record::take_values(values);
            self.create(p, apps, entity, record, ctx, action.span, out)?;
            return Ok(());
        }
        apps.before_write(ctx.next_write());
        let id = apps
            .insert(entity, values)
            .map_err(|err| RunError::new(action.span, RunErrorKind::App(err)))?;
        apps.link(ctx.event.at(), RecordRef::new(entity, id));
        self.last_created = Some(RecordRef::new(entity, id));
        out.counts.actions += 1;
        self.count_event(p, entity, EventKind::New, out);
        Ok(())
    }

    /// Creates a record made by a run, links it with the trigger record, and reports it.
    #[expect(clippy::too_many_arguments, reason = "a write has this many parts")]
    pub(super) fn create<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        entity: EntityId,
        record: Record,
        ctx: &mut RunCtx,
        span: Span,
        out: &mut Outcome,
    ) -> Result<RecordRef, RunError> {
        apps.before_write(ctx.next_write());
        let written = apps.remote(entity).then(|| written_fields(&record));
        let created = apps
            .create(entity, record, None)
            .map_err(|err| RunError::new(span, RunErrorKind::App(err)))?;
        let at = RecordRef::new(entity, created.id);
        apps.link(ctx.event.at(), at);
        self.last_created = Some(at);
        if let Some(fields) = written {
            self.wrote(EventKind::New, at, &created, &fields, ctx, out);
            if self.options.trace {
                out.trace.push(TraceItem::Action {
                    run: ctx.run,
                    by: ctx.by,
                    done: Done::Create { at, event: None },
                });
            }
            out.counts.actions += 1;
            return Ok(at);
        }
        out.counts.actions += 1;
        let event = self.next_event_of(p, entity, EventKind::New);
        if self.options.trace {
            out.trace.push(TraceItem::Action {
                run: ctx.run,
                by: ctx.by,
                done: Done::Create { at, event },
            });
        }
        let cause = self.cause(entity, EventKind::New, ctx);
        let engine = self.engine.clone();
        self.emit(
            p,
            EventKind::New,
            entity,
            created,
            None,
            &engine,
            cause,
            out,
        );
        Ok(at)
    }

    /// Writes fields of a record for a run, and reports the update.
    #[expect(clippy::too_many_arguments, reason = "a write has this many parts")]
    pub(super) fn update<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        at: RecordRef,
        write: Write,
        ctx: &mut RunCtx,
        span: Span,
        out: &mut Outcome,
    ) -> Result<Option<Record>, RunError> {
        apps.before_write(ctx.next_write());
        let remote = apps.remote(at.entity);
        let fields: Vec<_> = if remote {
            write.fields.iter().map(|(f, _)| *f).collect()
        } else {
            Vec::new()
        };
        let Some(updated) = apps
            .update(at, write)
            .map_err(|err| RunError::new(span, RunErrorKind::App(err)))?
        else {
            return Ok(None);
        };
        if remote {
            self.wrote(EventKind::Updated, at, &updated.record, &fields, ctx, out);
            out.counts.actions += 1;
            if self.options.trace {
                out.trace.push(TraceItem::Action {
                    run: ctx.run,
                    by: ctx.by,
                    done: Done::Update {
                        at,
                        changed: updated.changed.clone(),
                        event: None,
                    },
                });
            }
            return Ok(Some(updated.record));
        }
        out.counts.actions += 1;
        let event = self.next_event_of(p, at.entity, EventKind::Updated);
        if self.options.trace {
            out.trace.push(TraceItem::Action {
                run: ctx.run,
                by: ctx.by,
                done: Done::Update {
                    at,
                    changed: updated.changed.clone(),
                    event,
                },
            });
        }
        let cause = self.cause(at.entity, EventKind::Updated, ctx);
        let engine = self.engine.clone();
        let record = updated.record.clone();
        self.emit(
            p,
            EventKind::Updated,
            at.entity,
            updated.record,
            Some(updated.changed),
            &engine,
            cause,
            out,
        );
        Ok(Some(record))
    }

    /// Deletes a record for a run, and reports it if it was there.
    pub(super) fn delete<A: Apps>(
        &mut self,
        p: &Program,
        apps: &mut A,
        at: RecordRef,
        ctx: &mut RunCtx,
        span: Span,
        out: &mut Outcome,
    ) -> Result<(), RunError> {
        apps.before_write(ctx.next_write());
        let Some(old) = apps
            .delete(at)
            .map_err(|err| RunError::new(span, RunErrorKind::App(err)))?
        else {
            return Ok(());
        };
        if apps.remote(at.entity) {
            self.wrote(EventKind::Deleted, at, &old, &[], ctx, out);
            out.counts.actions += 1;
            if self.options.trace {
                out.trace.push(TraceItem::Action {
                    run: ctx.run,
                    by: ctx.by,
                    done: Done::Delete { at, event: None },
                });
            }
            return Ok(());
        }
        out.counts.actions += 1;
        let event = self.next_event_of(p, at.entity, EventKind::Deleted);
        if self.options.trace {
            out.trace.push(TraceItem::Action {
                run: ctx.run,
                by: ctx.by,
                done: Done::Delete { at, event },
            });
        }
        let cause = self.cause(at.entity, EventKind::Deleted, ctx);
        let engine = self.engine.clone();
        self.emit(
            p,
            EventKind::Deleted,
            at.entity,
            old,
            None,
            &engine,
            cause,
            out,
        );
        Ok(())
    }

    /// Keeps a write to a real app in the write ledger: its event comes back through the app's
    /// webhook, and inherits this run's chain there.
    fn wrote(
        &mut self,
        kind: EventKind,
        at: RecordRef,
        record: &Record,
        fields: &[FieldId],
        ctx: &mut RunCtx,
        out: &mut Outcome,
    ) {
        let Some(chain) = ctx.chain() else { return };
        let written = super::echo::Written::new(kind, at, record, fields, chain);
        self.echoes.remember(written.clone());
        out.written.push(written);
    }

    /// The id the event of a write will have, if the app sends such events.
    fn next_event_of(&self, p: &Program, entity: EntityId, kind: EventKind) -> Option<u64> {
        p.app(p.entity(entity).app)
            .emits(kind)
            .then_some(self.next_event)
    }

    /// The chain a write's event carries, when anyone will look at that event.
    fn cause(&self, entity: EntityId, kind: EventKind, ctx: &mut RunCtx) -> Chain {
        if self.wanted(entity, kind) {
            ctx.chain()
        } else {
            None
        }
    }

    fn nothing_found(
        &mut self,
        kind: EventKind,
        entity: EntityId,
        span: Span,
        ctx: &RunCtx,
        out: &mut Outcome,
    ) {
        if self.options.trace {
            out.trace.push(TraceItem::Action {
                run: ctx.run,
                by: ctx.by,
                done: Done::NoRecord { kind, entity, span },
            });
        }
    }

    /// The records an `update` or `delete` writes.
    fn targets<A: Apps>(
        &mut self,
        apps: &A,
        entity: EntityId,
        target: &Target,
        scope: &Scope,
    ) -> Result<Vec<RecordRef>, RunError> {
        match target {
            Target::Linked(_) => {
                let Some(trigger) = scope.trigger else {
                    return Ok(Vec::new());
                };
                self.linked.clear();
                apps.linked(
                    RecordRef::new(trigger.entity, trigger.record.id),
                    &mut self.linked,
                );
                let mut found: Vec<RecordRef> = self
                    .linked
                    .iter()
                    .copied()
                    .filter(|r| r.entity == entity && apps.exists(*r))
                    .collect();
                found.sort();
                Ok(found)
            }
            Target::Where(condition) => {
                let found = matching(apps, entity, Some(condition), condition.span, scope)?;
                Ok(found.iter().map(|r| RecordRef::new(entity, r.id)).collect())
            }
        }
    }
}

/// The fields a create sends: those with a value.
fn written_fields(record: &Record) -> Vec<FieldId> {
    record
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != Value::None)
        .map(|(i, _)| FieldId(i))
        .collect()
}

/// `create in B` without a field block into an open entity: the trigger's fields that the
/// checker did not pair up, and those the script never names, go into `B`'s fields of the same
/// name, or ride along as extra fields.
fn copy_by_name(
    p: &Program,
    source: EntityId,
    trigger: &Record,
    target: EntityId,
    copy: &CopyFields,
    record: &mut Record,
) {
    let (s, t) = (p.entity(source), p.entity(target));
    let paired = |i: usize| copy.pairs.iter().any(|(from, _)| from.0 == i);
    let known = s.fields.iter().zip(trigger.fields()).enumerate();
    let unpaired = known
        .filter(|(i, (f, v))| !f.is_stamp && !paired(*i) && **v != Value::None)
        .map(|(_, (f, v))| (&f.name, v));
    for (name, value) in unpaired.chain(trigger.extras().iter().map(|(n, v)| (n, v))) {
        match t.field_named(name) {
            Some(to) => {
                record.set(to, value.clone());
            }
            None => record.set_extra(name.clone(), value.clone()),
        }
    }
}

/// Makes a value fit the field it is written to (values of open apps are checked here).
pub(super) fn fit_field(
    p: &Program,
    entity: EntityId,
    field: FieldId,
    value: Value,
    span: Span,
) -> Result<Value, RunError> {
    let f = p.field(entity, field);
    if !matches!(value, Value::None) && matches!(f.ty, Type::Text | Type::Number | Type::Bool) {
        // The common case, checked without moving the value around.
        let fits = matches!(
            (&f.ty, &value),
            (Type::Text, Value::Text(_))
                | (Type::Number, Value::Number(_))
                | (Type::Bool, Value::Bool(_))
        );
        if fits {
            return Ok(value);
        }
    }
    eval::fit(value, &f.ty).map_err(|found| {
        let kind = if found == Value::None {
            RunErrorKind::MissingField {
                field: f.name.clone(),
                entity: p.entity(entity).name.clone(),
            }
        } else {
            RunErrorKind::FieldType {
                field: f.name.clone(),
                entity: p.entity(entity).name.clone(),
                expected: f.ty.clone(),
                found,
            }
        };
        RunError::new(span, kind)
    })
}

fn wrong_text(span: Span, found: Value) -> RunError {
    if found == Value::None {
        return RunError::new(span, RunErrorKind::Missing);
    }
    RunError::new(
        span,
        RunErrorKind::WrongType {
            expected: "text",
            found,
        },
    )
}

/// The engine's label on a record it creates: in every `stamp` field, or (open entity) hidden.
pub(super) fn stamp_record(p: &Program, entity: EntityId, record: &mut Record, label: &Label) {
    let e = p.entity(entity);
    if !e.declared {
        record.set_stamp(Some(label.clone()));
    }
    if e.stamp.is_some() {
        let values = record.fields_mut();
        for (field, value) in e.fields.iter().zip(values.iter_mut()) {
            if field.is_stamp {
                *value = Value::Label(label.clone());
            }
        }
    }
}

/// The engine's label on a record it updates.
pub(super) fn stamp_write(p: &Program, entity: EntityId, write: &mut Write, label: &Label) {
    let e = p.entity(entity);
    if !e.declared {
        write.stamp = Some(label.clone());
    }
    if e.stamp.is_some() {
        for (i, field) in e.fields.iter().enumerate() {
            if field.is_stamp {
                write.fields.retain(|(f, _)| f.0 != i);
                write.fields.push((FieldId(i), Value::Label(label.clone())));
            }
        }
    }
}

/// The values a `create`'s field block gives and its copy takes from the trigger record
/// `trigger`, each fitted to its field, put in `values` by field.
fn given_values(
    p: &Program,
    action: &Action,
    scope: &Scope,
    trigger: &Record,
    values: &mut [Value],
) -> Result<(), RunError> {
    let ActionKind::Create {
        entity,
        fields,
        copy,
        ..
    } = &action.kind
    else {
        unreachable!("expected a create, found {:?}", action.kind)
    };
    for assign in fields {
        let value = eval::eval(&assign.value, scope)?;
        values[assign.field.0] = fit_field(p, *entity, assign.field, value, assign.value.span)?;
    }
    if let Some(copy) = copy {
        for (from, to) in &copy.pairs {
            let value = trigger.get(*from).clone();
            values[to.0] = fit_field(p, *entity, *to, value, action.span)?;
        }
    }
    Ok(())
}
