//! Workflows: triggers, steps and actions.

use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, ConstantEffect, Mismatch, Named};
use super::expr::{Scope, View};
use super::narrow::present_when;
use super::operators::constant;
use crate::ast::{self, EventKind, StepKind as AstStep};
use crate::program::*;
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn workflow(&mut self, w: &ast::Workflow) {
        let (name, name_span) = match &w.name {
            Some(name) => (name.node.clone(), name.span),
            None => (self.one_liner_name(w.trigger.span), w.trigger.span),
        };
        self.locals.clear();
        self.locals_used.clear();
        self.visible_locals = 0;
        self.narrowed.clear();
        self.locals_hidden.clear();
        self.hidden_by_for.clear();
        self.later_lets.clear();
        collect_lets(&w.steps, &mut self.later_lets);

        let Some(trigger) = self.trigger(&w.trigger, &name) else {
            // Without a trigger record, names in the steps cannot be judged; the apps and
            // entities the actions write still are.
            self.action_targets_in(&w.steps);
            return;
        };
        let mut steps = self.steps(&w.steps, &trigger);
        super::limit::number_step_limits(&mut steps);
        for (i, used) in self.locals_used.clone().into_iter().enumerate() {
            if !used {
                let local = &self.locals[i];
                self.report(CheckError::UnusedLet {
                    name: Named {
                        text: local.name.clone(),
                        span: local.span,
                    },
                });
            }
        }
        self.program.workflows.push(Workflow {
            name,
            name_span,
            span: w.span,
            one_liner: w.form == ast::WorkflowForm::OneLine,
            trigger,
            steps,
            locals: std::mem::take(&mut self.locals),
        });
    }

    /// The steps of a workflow, or of an arm of a branch, top to bottom.
    fn steps(&mut self, steps: &[ast::Step], trigger: &Trigger) -> Vec<Step> {
        let scope = Scope {
            view: View::Trigger,
            trigger: Some(trigger.entity),
            target: None,
        };
        let mut checked = Vec::new();
        for step in steps {
            let kind = match &step.kind {
                AstStep::Let(local, value) => {
                    let value = self.expr(value, scope, None);
                    self.later_lets.retain(|(_, span)| *span != local.span);
                    let id = self.declare_local(local, value.ty.clone(), trigger.entity);
                    StepKind::Let(id, value)
                }
                AstStep::Unless(condition) => {
                    let condition = self.condition(condition, scope, "the condition of `unless`");
                    self.warn_constant(&condition, false);
                    present_when(&condition, false, &mut self.narrowed);
                    StepKind::Guard {
                        condition,
                        continue_when: false,
                    }
                }
                AstStep::ContinueIf(condition) => {
                    let condition =
                        self.condition(condition, scope, "the condition of `continue if`");
                    self.warn_constant(&condition, true);
                    present_when(&condition, true, &mut self.narrowed);
                    StepKind::Guard {
                        condition,
                        continue_when: true,
                    }
                }
                AstStep::Action(action) => match self.action(action, step.span, trigger) {
                    Some(action) => StepKind::Action(action),
                    None => continue,
                },
                AstStep::Call(name, call) => match self.call_step(name.as_ref(), call, scope) {
                    Some(call) => StepKind::Call(call),
                    None => continue,
                },
                AstStep::Branch(branch) => self.branch(branch, scope, trigger),
                AstStep::For(each) => self.for_each(each, scope, trigger, Self::steps),
                AstStep::Wait(length) => self.wait(length, step.span),
                AstStep::Bind(local, action) => {
                    let Some(mut action) = self.action(action, step.span, trigger) else {
                        continue;
                    };
                    let Some((_, entity, _)) = action.kind.writes() else {
                        unreachable!("expected a `create` after `let NAME =`, found a notify")
                    };
                    let name = self.program.entity(entity).name.clone();
                    self.later_lets.retain(|(_, span)| *span != local.span);
                    let id = self.declare_local(local, Type::Record(entity, name), trigger.entity);
                    action.bind = Some(id);
                    StepKind::Action(action)
                }
                AstStep::Lookup(local, lookup) => match self.lookup_step(local, lookup, trigger) {
                    Some(kind) => kind,
                    None => continue,
                },
            };
            checked.push(Step {
                kind,
                span: step.span,
                limit: self.step_limit(step, trigger),
            });
        }
        checked
    }

    /// `let NAME = find|every|exists|count …`: the local holds an optional record, a list of
    /// records, a yes or no, or a number.
    fn lookup_step(
        &mut self,
        local: &ast::Name,
        lookup: &ast::Lookup,
        trigger: &Trigger,
    ) -> Option<StepKind> {
        let Some(query) = self.query(lookup, trigger) else {
            // An unknown app or entity is reported; the name still stands, as an error, so
            // the steps below it are not told it is used before its `let`.
            self.later_lets.retain(|(_, span)| *span != local.span);
            let id = self.declare_local(local, Type::Error, trigger.entity);
            self.locals_used[id.0] = true;
            return None;
        };
        let ty = match query.kind {
            QueryKind::Find(_) => {
                let name = self.program.entity(query.entity).name.clone();
                Type::optional(Type::Record(query.entity, name))
            }
            QueryKind::Every(_) => {
                let name = self.program.entity(query.entity).name.clone();
                Type::list(Type::Record(query.entity, name))
            }
            QueryKind::Exists => Type::Bool,
            QueryKind::Count => Type::Number,
        };
        self.later_lets.retain(|(_, span)| *span != local.span);
        let id = self.declare_local(local, ty, trigger.entity);
        Some(StepKind::Lookup(id, query))
    }

    /// `find|every|exists|count ENTITY in APP [where C] [ordered by F [desc]]`: the condition sees the
    /// looked-up record's fields bare, as an `update`'s `where` sees its target's.
    fn query(&mut self, lookup: &ast::Lookup, trigger: &Trigger) -> Option<Query> {
        let app = self.app(&lookup.app);
        let entity = self.entity(app, &lookup.entity, lookup.app.span, false)?;
        let scope = Scope {
            view: View::Target(entity),
            trigger: Some(trigger.entity),
            target: Some(entity),
        };
        let condition = lookup
            .condition
            .as_ref()
            .map(|c| self.condition(c, scope, "a `where` condition"));
        let order = lookup
            .kind
            .order()
            .and_then(|o| self.field(entity, &o.field).map(|f| (f, o.descending)));
        let kind = match &lookup.kind {
            ast::LookupKind::Find(_) => QueryKind::Find(order),
            ast::LookupKind::Every(_) => QueryKind::Every(order),
            ast::LookupKind::Exists => QueryKind::Exists,
            ast::LookupKind::Count => QueryKind::Count,
        };
        Some(Query {
            kind,
            app,
            entity,
            condition,
            span: lookup.span,
        })
    }

    /// `if C { … } else if C { … } else { … }`: inside an arm its condition holds and the
    /// conditions above it do not, so what they show present is present there; a `let` made
    /// in an arm is seen only in that arm.
    fn branch(&mut self, branch: &ast::Branch, scope: Scope, trigger: &Trigger) -> StepKind {
        let narrowed = self.narrowed.len();
        let mut arms: Vec<Arm> = Vec::new();
        for arm in &branch.arms {
            let condition = self.condition(&arm.condition, scope, "the condition of `if`");
            if let Some(Value::Bool(value)) = constant(&condition) {
                self.report(CheckError::ConstantCondition {
                    span: condition.span,
                    value,
                    effect: if value {
                        ConstantEffect::LaterArmsNeverRun
                    } else {
                        ConstantEffect::ArmNeverRuns
                    },
                });
            }
            for earlier in &arms {
                present_when(&earlier.condition, false, &mut self.narrowed);
            }
            present_when(&condition, true, &mut self.narrowed);
            let label = self.written(arm.condition.span);
            self.arms.push(format!("if {label}"));
            let steps = self.arm_steps(branch, arm.block.span, &arm.block.steps, trigger);
            self.arms.pop();
            self.narrowed.truncate(narrowed);
            arms.push(Arm {
                condition,
                label: Arc::from(label),
                steps,
            });
        }
        let otherwise = match &branch.otherwise {
            Some(block) => {
                for arm in &arms {
                    present_when(&arm.condition, false, &mut self.narrowed);
                }
                self.arms.push("else".to_string());
                let steps = self.arm_steps(branch, block.span, &block.steps, trigger);
                self.arms.pop();
                self.narrowed.truncate(narrowed);
                steps
            }
            None => Vec::new(),
        };
        StepKind::Branch { arms, otherwise }
    }

    /// The steps of one arm: the `let`s declared there go out of sight after it.
    /// The steps of one arm of `branch`, its `let`s unseen below it and the other arms known,
    /// so a name made in one of them is reported as such.
    fn arm_steps(
        &mut self,
        branch: &ast::Branch,
        block: Span,
        steps: &[ast::Step],
        trigger: &Trigger,
    ) -> Vec<Step> {
        let enclosing = self.other_arms.len();
        let blocks = branch.arms.iter().map(|a| a.block.span);
        let others = blocks.chain(branch.otherwise.as_ref().map(|b| b.span));
        self.other_arms.extend(others.filter(|b| *b != block));
        let checked = self.scoped_steps(steps, trigger);
        self.other_arms.truncate(enclosing);
        checked
    }

    fn scoped_steps(&mut self, steps: &[ast::Step], trigger: &Trigger) -> Vec<Step> {
        let first = self.locals.len();
        let checked = self.steps(steps, trigger);
        for hidden in &mut self.locals_hidden[first..] {
            *hidden = true;
        }
        checked
    }

    pub(super) fn declare_local(
        &mut self,
        name: &ast::Name,
        ty: Type,
        trigger: EntityId,
    ) -> LocalId {
        let reported = self.problems.len();
        if let Some(first) = self.visible_local(&name.node).map(|i| &self.locals[i]) {
            let first = first.span;
            self.report(CheckError::Duplicate {
                what: "`let` name",
                name: Named::of(name),
                first,
            });
        } else if let Some(field) = self.program.entity(trigger).field_named(&name.node) {
            let entity = self.program.entity(trigger);
            let (entity_name, field_span) = (entity.name.clone(), entity.fields[field.0].span);
            self.report(CheckError::LetShadowsField {
                name: Named::of(name),
                entity: entity_name,
                field: field_span,
            });
        } else if matches!(&*name.node, "id" | "origin" | "trigger") {
            let entity = self.program.entity(trigger).name.clone();
            self.report(CheckError::LetShadowsField {
                name: Named::of(name),
                entity,
                field: name.span,
            });
        }
        self.locals.push(Local {
            name: name.node.clone(),
            ty,
            span: name.span,
        });
        // A name already reported as taken is not also reported as unused.
        self.locals_used.push(self.problems.len() > reported);
        self.locals_hidden.push(false);
        self.visible_locals = self.locals.len();
        LocalId(self.locals.len() - 1)
    }

    /// W0207 for a guard whose value never depends on the record.
    fn warn_constant(&mut self, condition: &Expr, continue_when: bool) {
        if let Some(Value::Bool(value)) = constant(condition) {
            self.report(CheckError::ConstantCondition {
                span: condition.span,
                value,
                effect: if value == continue_when {
                    ConstantEffect::NoEffect
                } else {
                    ConstantEffect::StopsEverything
                },
            });
        }
    }

    fn trigger(&mut self, t: &ast::Trigger, workflow: &Arc<str>) -> Option<Trigger> {
        self.conflict_sync = None;
        self.failure_of = None;
        if let Some(failed) = &t.failed {
            return self.failed_trigger(t, failed);
        }
        if let Some(name) = &t.conflict {
            return self.conflict_trigger(t, name);
        }
        if let Some(schedule) = &t.schedule {
            return Some(self.schedule_trigger(t, schedule));
        }
        let app = self.app(&t.app);
        let entity = self.entity(app, &t.entity, t.app.span, false)?;
        let kind = t.kind.node;
        let a = self.program.app(app);
        // A timer fires on the clock, whatever events the app sends.
        if !a.emits(kind) && t.timer.is_none() {
            let app_named = Named {
                text: a.name.clone(),
                span: a.span,
            };
            self.report(CheckError::NeverRuns {
                workflow: workflow.clone(),
                span: t.kind.span,
                app: app_named,
                kind,
            });
        }
        let changing_span = match (t.changing.first(), t.changing.last()) {
            (Some(first), Some(last)) => Some(first.span.to(last.span)),
            _ => None,
        };
        let mut changing = Vec::new();
        if let Some(span) = changing_span {
            let a = self.program.app(app);
            if kind != EventKind::Updated {
                self.report(CheckError::ChangingNotUpdated { span, kind });
            } else if !a.reports_changes {
                let app_named = Named {
                    text: a.name.clone(),
                    span: a.span,
                };
                self.report(CheckError::ChangingNotReported {
                    span,
                    app: app_named,
                });
            }
            changing = t
                .changing
                .iter()
                .filter_map(|f| self.field(entity, f))
                .collect();
        }
        let timer = match &t.timer {
            Some(timer) => Some(self.timer(timer, entity)?),
            None => None,
        };
        if let Some(timer) = &timer {
            changing = vec![timer.field];
        }
        let condition = self.trigger_condition(t, entity);
        let limit = self.rate_limit(t, entity);
        Some(Trigger {
            kind,
            kind_span: t.kind.span,
            app,
            entity,
            changing,
            changing_span,
            condition,
            span: t.span,
            conflict: None,
            schedule: None,
            limit,
            failed: None,
            timer,
        })
    }

    /// The trigger's `where`, over the trigger record; what it shows present stays so.
    pub(super) fn trigger_condition(&mut self, t: &ast::Trigger, entity: EntityId) -> Option<Expr> {
        let scope = Scope {
            view: View::Trigger,
            trigger: Some(entity),
            target: None,
        };
        t.condition.as_ref().map(|c| {
            let checked = self.condition(c, scope, "a `where` condition");
            self.warn_constant(&checked, true);
            present_when(&checked, true, &mut self.narrowed);
            checked
        })
    }

    /// `on conflict in sync NAME`: the run sees the sync's first side's record, and
    /// `conflict.field` and the like.
    fn conflict_trigger(&mut self, t: &ast::Trigger, name: &ast::Name) -> Option<Trigger> {
        let sync = self.sync_named(name)?;
        let side = self.program.syncs[sync.0].left;
        self.conflict_sync = Some(sync);
        let condition = self.trigger_condition(t, side.entity);
        let limit = self.rate_limit(t, side.entity);
        Some(Trigger {
            kind: EventKind::Updated,
            kind_span: t.kind.span,
            app: side.app,
            entity: side.entity,
            changing: Vec::new(),
            changing_span: None,
            condition,
            span: t.span,
            conflict: Some(sync),
            schedule: None,
            limit,
            failed: None,
            timer: None,
        })
    }

    /// Resolves only the apps and entities of the actions (when the trigger could not be).
    fn action_targets_in(&mut self, steps: &[ast::Step]) {
        for step in steps {
            match &step.kind {
                AstStep::Action(action) | AstStep::Bind(_, action) => {
                    self.action_targets_only(action)
                }
                AstStep::Branch(branch) => {
                    for arm in &branch.arms {
                        self.action_targets_in(&arm.block.steps);
                    }
                    if let Some(block) = &branch.otherwise {
                        self.action_targets_in(&block.steps);
                    }
                }
                AstStep::For(each) => self.action_targets_in(&each.block.steps),
                _ => {}
            }
        }
    }

    /// Resolves only the app and entity of an action (when the trigger could not be).
    fn action_targets_only(&mut self, action: &ast::Action) {
        match action {
            ast::Action::Create {
                entity: Some(entity),
                app,
                ..
            }
            | ast::Action::Update {
                entity: Some(entity),
                app,
                ..
            }
            | ast::Action::Delete {
                entity: Some(entity),
                app,
                ..
            } => {
                let app_id = self.app(app);
                self.entity(app_id, entity, app.span, false);
            }
            ast::Action::Create { app, .. }
            | ast::Action::Update { app, .. }
            | ast::Action::Delete { app, .. } => {
                self.app(app);
            }
            ast::Action::Upsert { entity, app, .. } => {
                let app_id = self.app(app);
                self.entity(app_id, entity, app.span, false);
            }
            ast::Action::Notify { .. } => {}
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per kind of action, each resolving its target and fields against the trigger"
    )]
    fn action(&mut self, action: &ast::Action, span: Span, trigger: &Trigger) -> Option<Action> {
        let scope = Scope {
            view: View::Trigger,
            trigger: Some(trigger.entity),
            target: None,
        };
        let kind = match action {
            ast::Action::Create {
                entity,
                app,
                fields,
            } => {
                let (app_id, entity_id) = self.action_target(entity.as_ref(), app, trigger)?;
                match fields {
                    Some(fields) => {
                        let (assigns, all_known) =
                            self.assignments_with_unknowns(entity_id, fields, scope);
                        if all_known {
                            self.require_all_fields(entity_id, &assigns, span, None);
                        }
                        ActionKind::Create {
                            app: app_id,
                            entity: entity_id,
                            fields: assigns,
                            copy: None,
                        }
                    }
                    None => ActionKind::Create {
                        app: app_id,
                        entity: entity_id,
                        fields: Vec::new(),
                        copy: Some(self.copy_fields(trigger.entity, entity_id, span)),
                    },
                }
            }
            ast::Action::Update {
                entity,
                app,
                target,
                fields,
            } => {
                let (app_id, entity_id) = self.action_target(entity.as_ref(), app, trigger)?;
                let target = self.target(target, entity_id, trigger.entity);
                let in_update = Scope {
                    target: Some(entity_id),
                    ..scope
                };
                let fields = self.assignments(entity_id, fields, in_update);
                let per_target = fields.iter().any(|a| a.value.reads_target());
                ActionKind::Update {
                    per_target,
                    app: app_id,
                    entity: entity_id,
                    target,
                    fields,
                }
            }
            ast::Action::Delete {
                entity,
                app,
                target,
            } => {
                let (app_id, entity_id) = self.action_target(entity.as_ref(), app, trigger)?;
                let target = self.target(target, entity_id, trigger.entity);
                ActionKind::Delete {
                    app: app_id,
                    entity: entity_id,
                    target,
                }
            }
            ast::Action::Upsert {
                entity,
                app,
                key,
                fields,
            } => {
                let (app_id, entity_id) = self.action_target(Some(entity), app, trigger)?;
                let (assigns, all_known) = self.assignments_with_unknowns(entity_id, fields, scope);
                let key_id = self.field(entity_id, key)?;
                if all_known && !assigns.iter().any(|a| a.field == key_id) {
                    self.report(CheckError::UpsertKeyMissing {
                        key: Named::of(key),
                        entity: self.program.entity(entity_id).name.clone(),
                    });
                } else if all_known {
                    // It may create, so it gives what a create must.
                    self.require_all_fields(entity_id, &assigns, span, None);
                }
                ActionKind::Upsert {
                    app: app_id,
                    entity: entity_id,
                    key: key_id,
                    fields: assigns,
                }
            }
            ast::Action::Notify { channel, message } => {
                let channel = channel.as_ref().map(|c| {
                    let checked = self.expr(c, scope, Some(&Type::Text));
                    self.require_fits(&checked, &Type::Text, Mismatch::Channel);
                    checked
                });
                let message = self.expr(message, scope, Some(&Type::Text));
                self.require_fits(&message, &Type::Text, Mismatch::Message);
                ActionKind::Notify { channel, message }
            }
        };
        let arm = (!self.arms.is_empty()).then(|| Arc::from(self.arms.join(", ")));
        Some(Action {
            kind,
            span,
            arm,
            bind: None,
        })
    }

    /// The app and entity an action writes; without an entity name, the trigger's.
    fn action_target(
        &mut self,
        entity: Option<&ast::Name>,
        app: &ast::Name,
        trigger: &Trigger,
    ) -> Option<(AppId, EntityId)> {
        let app_id = self.app(app);
        let entity_id = match entity {
            Some(name) => self.entity(app_id, name, app.span, false)?,
            // A schedule or `on failed run`: the clock's tick stands for no entity to write.
            None if self
                .program
                .app(self.program.entity(trigger.entity).app)
                .is_clock() =>
            {
                self.unnamed_entity(app_id, app);
                return None;
            }
            None => {
                let implied =
                    ast::Name::new(self.program.entity(trigger.entity).name.clone(), app.span);
                self.entity(app_id, &implied, app.span, true)?
            }
        };
        Some((app_id, entity_id))
    }

    fn target(&mut self, target: &ast::Target, entity: EntityId, trigger: EntityId) -> Target {
        match target {
            ast::Target::Linked(span) => Target::Linked(*span),
            ast::Target::Where(condition) => {
                let scope = Scope {
                    view: View::Target(entity),
                    trigger: Some(trigger),
                    target: Some(entity),
                };
                Target::Where(self.condition(condition, scope, "a `where` condition"))
            }
        }
    }

    /// `{ field: value, … }` for a record of `entity`.
    pub(super) fn assignments(
        &mut self,
        entity: EntityId,
        fields: &[ast::FieldInit],
        scope: Scope,
    ) -> Vec<Assign> {
        self.assignments_with_unknowns(entity, fields, scope).0
    }

    /// The assignments, and whether every field named was known (when one was not, a
    /// "missing field" would only repeat the misspelling).
    pub(super) fn assignments_with_unknowns(
        &mut self,
        entity: EntityId,
        fields: &[ast::FieldInit],
        scope: Scope,
    ) -> (Vec<Assign>, bool) {
        let mut all_known = true;
        let mut assigns: Vec<Assign> = Vec::new();
        for init in fields {
            if let Some(first) = fields
                .iter()
                .take_while(|f| !std::ptr::eq(*f, init))
                .find(|f| f.name == init.name)
            {
                self.report(CheckError::Duplicate {
                    what: "field",
                    name: Named::of(&init.name),
                    first: first.name.span,
                });
                continue;
            }
            let Some(field) = self.field(entity, &init.name) else {
                // Still check the value, so that its own problems are found too.
                self.expr(&init.value, scope, None);
                all_known = false;
                continue;
            };
            let f = self.program.field(entity, field);
            let (ty, field_name, entity_name) = (
                f.ty.clone(),
                f.name.clone(),
                self.program.entity(entity).name.clone(),
            );
            let value = self.expr(&init.value, scope, Some(&ty));
            self.require_fits(
                &value,
                &ty,
                Mismatch::Field {
                    field: field_name,
                    entity: entity_name,
                },
            );
            assigns.push(Assign {
                field,
                value,
                span: init.name.span,
            });
        }
        (assigns, all_known)
    }

    /// E0202 when a create leaves a required field of a declared entity empty.
    pub(super) fn require_all_fields(
        &mut self,
        entity: EntityId,
        given: &[Assign],
        span: Span,
        copied_from: Option<Arc<str>>,
    ) {
        let e = self.program.entity(entity);
        if !e.declared {
            return;
        }
        let missing: Vec<Arc<str>> = e
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| f.required && !given.iter().any(|a| a.field.0 == *i))
            .map(|(_, f)| f.name.clone())
            .collect();
        if missing.is_empty() {
            return;
        }
        let app = self.program.app(e.app).name.clone();
        let entity_named = self.named_entity(entity);
        self.report(CheckError::MissingFields {
            span,
            app,
            entity: entity_named,
            missing,
            copied_from,
        });
    }

    /// `create in B` without a field block: which trigger fields fill which target fields.
    fn copy_fields(&mut self, source: EntityId, target: EntityId, span: Span) -> CopyFields {
        let mut pairs = Vec::new();
        let target_open = !self.program.entity(target).declared;
        if target_open {
            let fields: Vec<(FieldId, Arc<str>, Span)> = self
                .program
                .entity(source)
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| !f.is_stamp)
                .map(|(i, f)| (FieldId(i), f.name.clone(), f.span))
                .collect();
            for (from, name, field_span) in fields {
                let to = self.open_field(target, &name, field_span);
                pairs.push((from, to));
            }
            return CopyFields {
                pairs,
                extras: true,
            };
        }
        let source_open = !self.program.entity(source).declared;
        let target_fields: Vec<Field> = self.program.entity(target).fields.clone();
        let mut missing = Vec::new();
        for (i, field) in target_fields.iter().enumerate() {
            if field.is_stamp {
                continue;
            }
            let from = if source_open {
                Some(self.open_field(source, &field.name, span))
            } else {
                self.program.entity(source).field_named(&field.name)
            };
            match from {
                Some(from) => {
                    let from_ty = self.program.field(source, from).ty.clone();
                    if !from_ty.fits(&field.ty) {
                        let (from_entity, to_entity) =
                            (self.describe_entity(source), self.describe_entity(target));
                        self.report(CheckError::TypeMismatch {
                            span,
                            expected: field.ty.clone(),
                            found: from_ty,
                            context: Mismatch::Copy {
                                field: field.name.clone(),
                                from: from_entity,
                                to: to_entity,
                            },
                        });
                    }
                    pairs.push((from, FieldId(i)));
                }
                None if field.required => missing.push(field.name.clone()),
                None => {}
            }
        }
        if !missing.is_empty() {
            let app = self
                .program
                .app(self.program.entity(target).app)
                .name
                .clone();
            let entity_named = self.named_entity(target);
            let from = self.describe_entity(source);
            self.report(CheckError::MissingFields {
                span,
                app,
                entity: entity_named,
                missing,
                copied_from: Some(from),
            });
        }
        CopyFields {
            pairs,
            extras: false,
        }
    }

    /// `event in Calendar`, for messages.
    fn describe_entity(&self, entity: EntityId) -> Arc<str> {
        let e = self.program.entity(entity);
        Arc::from(format!("{} in {}", e.name, self.program.app(e.app).name))
    }
}

/// The `let`s of a workflow, those inside arms included, for "used before its `let`".
fn collect_lets(steps: &[ast::Step], out: &mut Vec<(Arc<str>, Span)>) {
    for step in ast::steps_within(steps) {
        match &step.kind {
            AstStep::Let(n, _) | AstStep::Lookup(n, _) | AstStep::Bind(n, _) => {
                out.push((n.node.clone(), n.span))
            }
            AstStep::For(each) => out.push((each.item.node.clone(), each.item.span)),
            _ => {}
        }
    }
}
