//! Where every name of a document is defined and used, and the type of every expression.
//!
//! Built from what the checker already resolved: the [`Program`] holds each definition's span,
//! the fields an action assigns and every expression with its type and resolved meaning; the
//! syntax tree adds the places where apps and entities are named (`in Calendar`), which the
//! program keeps only as indices.

use std::sync::Arc;

use crate::ast::{self, Item, Script};
use crate::builtins::Builtin;
use crate::program::*;
use crate::source::SourceMap;
use crate::span::Span;
use crate::types::Type;
use crate::value::Value;

/// Something a name can mean.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    App(AppId),
    Entity(EntityId),
    Field(EntityId, FieldId),
    Workflow(WorkflowId),
    Local(WorkflowId, LocalId),
    /// A label an origin is compared with (`keragon`), defined by `engine`.
    Label(Arc<str>),
}

/// One place a name stands, covering only the name.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: Symbol,
    pub definition: bool,
}

#[derive(Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
    /// Every expression with its type, for hover.
    pub expressions: Vec<(Span, Type)>,
    /// Every call's function name.
    pub calls: Vec<(Span, Builtin)>,
    /// Pairs of names that are one name written once: `create in B` copies the trigger's
    /// fields to the fields of the same name and writes the entity of the same name, and
    /// `sync ticket between A and B` names both apps' `ticket`. Renaming one renames the other,
    /// or the copy would silently stop.
    pub links: Vec<(Symbol, Symbol)>,
}

impl Index {
    /// The index of the scripts of one program, whose texts are in `sources`.
    pub fn build(scripts: &[Script], program: &Program, sources: &SourceMap) -> Index {
        let mut builder = Builder {
            program,
            sources,
            index: Index::default(),
        };
        builder.definitions();
        for script in scripts {
            builder.script(script);
        }
        builder.program_uses();
        let mut index = builder.index;
        index.occurrences.sort_by_key(|o| (o.span, !o.definition));
        index
            .occurrences
            .dedup_by(|later, first| later.span == first.span && later.symbol == first.symbol);
        index
    }

    /// The name at an offset of a file; the end of a name counts, so a cursor just after it
    /// finds it.
    pub fn at(&self, file: usize, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && covers(o.span, offset))
            .min_by_key(|o| o.span.end - o.span.start)
    }

    pub fn definition(&self, symbol: &Symbol) -> Option<Span> {
        self.occurrences
            .iter()
            .find(|o| o.definition && &o.symbol == symbol)
            .or_else(|| self.occurrences.iter().find(|o| &o.symbol == symbol))
            .map(|o| o.span)
    }

    pub fn uses<'a>(&'a self, symbol: &'a Symbol) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }

    /// A symbol and every symbol linked to it, directly or through others ([`Index::links`]).
    pub fn linked(&self, symbol: &Symbol) -> Vec<Symbol> {
        let mut group = vec![symbol.clone()];
        let mut i = 0;
        while i < group.len() {
            for (a, b) in &self.links {
                for (from, to) in [(a, b), (b, a)] {
                    if *from == group[i] && !group.contains(to) {
                        group.push(to.clone());
                    }
                }
            }
            i += 1;
        }
        group
    }

    /// The innermost expression at an offset of a file.
    pub fn expression_at(&self, file: usize, offset: usize) -> Option<&(Span, Type)> {
        self.expressions
            .iter()
            .filter(|(s, _)| {
                s.file == file && s.start as usize <= offset && offset < s.end as usize
            })
            .min_by_key(|(s, _)| s.end - s.start)
    }

    pub fn call_at(&self, file: usize, offset: usize) -> Option<Builtin> {
        self.calls
            .iter()
            .find(|(s, _)| s.file == file && covers(*s, offset))
            .map(|(_, b)| *b)
    }
}

fn covers(span: Span, offset: usize) -> bool {
    span.start as usize <= offset && offset <= span.end as usize
}

struct Builder<'a> {
    program: &'a Program,
    sources: &'a SourceMap,
    index: Index,
}

impl Builder<'_> {
    fn add(&mut self, span: Span, symbol: Symbol, definition: bool) {
        self.index.occurrences.push(Occurrence {
            span,
            symbol,
            definition,
        });
    }

    fn link(&mut self, a: Symbol, b: Symbol) {
        if a != b {
            self.index.links.push((a, b));
        }
    }

    fn definitions(&mut self) {
        let program = self.program;
        for (i, app) in program.apps.iter().enumerate() {
            if !app.is_clock() {
                self.add(app.span, Symbol::App(AppId(i)), true);
            }
        }
        for (i, entity) in program.entities.iter().enumerate() {
            // A call's arguments and reply, and the clock's tick, have no place in a file.
            if entity.is_hidden() {
                continue;
            }
            self.add(entity.span, Symbol::Entity(EntityId(i)), true);
            for (f, field) in entity.fields.iter().enumerate() {
                self.add(field.span, Symbol::Field(EntityId(i), FieldId(f)), true);
            }
        }
        for (i, workflow) in program.workflows.iter().enumerate() {
            if !workflow.one_liner {
                self.add(workflow.name_span, Symbol::Workflow(WorkflowId(i)), true);
            }
            for (l, local) in workflow.locals.iter().enumerate() {
                self.add(local.span, Symbol::Local(WorkflowId(i), LocalId(l)), true);
            }
        }
        if let Some(span) = program.engine_span {
            self.add(span, Symbol::Label(program.engine.clone()), true);
        }
    }

    fn app(&mut self, name: &ast::Name) -> Option<AppId> {
        let id = self.program.app_named(&name.node)?;
        self.add(name.span, Symbol::App(id), false);
        Some(id)
    }

    fn entity(&mut self, app: Option<AppId>, name: &ast::Name) -> Option<EntityId> {
        let id = self.program.entity_named(app?, &name.node)?;
        self.add(name.span, Symbol::Entity(id), false);
        Some(id)
    }

    fn field(&mut self, entity: Option<EntityId>, name: &ast::Name) {
        if let Some(entity) = entity
            && let Some(field) = self.program.entity(entity).field_named(&name.node)
        {
            self.add(name.span, Symbol::Field(entity, field), false);
        }
    }

    /// `entity in App`; a left-out entity is the trigger's, and is not written here. The app.
    fn target(&mut self, entity: Option<&ast::Name>, app: &ast::Name) -> Option<AppId> {
        let id = self.app(app);
        if let Some(entity) = entity {
            self.entity(id, entity);
        }
        id
    }

    fn script(&mut self, script: &Script) {
        for item in &script.items {
            match item {
                Item::Use(_) | Item::Engine(_) | Item::App(_) => {}
                Item::Owns(owns) => {
                    let app = self.app(&owns.app);
                    self.entity(app, &owns.entity);
                }
                Item::Workflow(w) => self.workflow(w),
                Item::Sync(sync) => self.sync(sync),
                Item::Scenario(scenario) => {
                    for step in &scenario.steps {
                        self.scenario_step(&step.kind);
                    }
                }
            }
        }
    }

    fn workflow(&mut self, w: &ast::Workflow) {
        // `on conflict in sync NAME` names a sync, `on every …` a time and `on failed run of
        // NAME` a workflow, not an app and an entity.
        let named = w.trigger.schedule.is_some() || w.trigger.failed.is_some();
        let trigger_entity = match (&w.trigger.conflict, named) {
            (Some(_), _) | (_, true) => None,
            (None, false) => {
                let app = self.app(&w.trigger.app);
                self.entity(app, &w.trigger.entity)
            }
        };
        for name in &w.trigger.changing {
            self.field(trigger_entity, name);
        }
        if let Some(timer) = &w.trigger.timer {
            self.field(trigger_entity, &timer.field);
        }
        for step in ast::steps_within(&w.steps) {
            if let ast::StepKind::Action(action) = &step.kind {
                match action {
                    ast::Action::Create { entity, app, .. }
                    | ast::Action::Update { entity, app, .. }
                    | ast::Action::Delete { entity, app, .. } => {
                        let target = self.target(entity.as_ref(), app);
                        // `create in B`: the entity of the trigger's name in `B`.
                        if entity.is_none()
                            && let (Some(from), Some(app)) = (trigger_entity, target)
                            && let Some(to) = self.program.entity_named(app, &w.trigger.entity.node)
                        {
                            self.link(Symbol::Entity(from), Symbol::Entity(to));
                        }
                    }
                    ast::Action::Upsert { entity, app, .. } => {
                        self.target(Some(entity), app);
                    }
                    ast::Action::Notify { .. } => {}
                }
            }
        }
    }

    fn sync(&mut self, sync: &ast::SyncDecl) {
        let left = self.app(&sync.left);
        let right = self.app(&sync.right);
        let left_entity = self.entity(left, &sync.entity);
        let right_entity = match &sync.right_entity {
            Some(name) => self.entity(right, name),
            // `sync ticket between A and B`: one name for both entities, so
            // renaming either renames the other.
            None => {
                let other = right.and_then(|r| self.program.entity_named(r, &sync.entity.node));
                if let (Some(l), Some(r)) = (left_entity, other) {
                    self.link(Symbol::Entity(l), Symbol::Entity(r));
                }
                other
            }
        };
        for mapping in &sync.mappings {
            if let Some(left) = mapping.left.field() {
                self.field(left_entity, left);
            }
            if let Some(right) = mapping.right.field() {
                self.field(right_entity, right);
            }
        }
        if let Some(matching) = &sync.matching {
            self.field(left_entity, matching);
        }
        if let Some(prefer) = &sync.prefer
            && let ast::Prefer::App(name) = &prefer.node
        {
            self.app(name);
        }
    }

    fn scenario_step(&mut self, step: &ast::ScenarioStepKind) {
        use ast::ScenarioStepKind as S;
        match step {
            S::UserCreates { entity, app, .. }
            | S::UserUpdates { entity, app, .. }
            | S::UserDeletes { entity, app, .. }
            | S::ExpectCount { entity, app, .. } => {
                let app = self.app(app);
                self.entity(app, entity);
            }
            S::ExpectRuns { workflow, .. } => {
                if let ast::WorkflowRef::Named(name) = &workflow.node
                    && let Some(id) = self.program.workflow_named(name)
                {
                    self.add(workflow.span, Symbol::Workflow(id), false);
                }
            }
            S::ExpectNotified(_) | S::ExpectLoop(_) | S::At(_) | S::Advance(_) => {}
            S::AppWrites { app, .. } => {
                self.app(app);
            }
            S::Together(steps) => {
                for step in steps {
                    self.scenario_step(&step.kind);
                }
            }
        }
    }

    fn steps(
        &mut self,
        steps: &[crate::program::Step],
        id: WorkflowId,
        trigger: Option<crate::program::EntityId>,
    ) {
        for step in steps {
            match &step.kind {
                StepKind::Guard { condition, .. } => self.expr(condition, id, trigger, None),
                StepKind::Let(_, value) => self.expr(value, id, trigger, None),
                StepKind::Lookup(_, query) => {
                    if let Some(condition) = &query.condition {
                        self.expr(condition, id, trigger, Some(query.entity));
                    }
                }
                StepKind::Action(action) => self.action(action, id, trigger),
                StepKind::Call(call) => {
                    for arg in &call.args {
                        self.expr(&arg.value, id, trigger, None);
                    }
                }
                StepKind::Branch { arms, otherwise } => {
                    for arm in arms {
                        self.expr(&arm.condition, id, trigger, None);
                        self.steps(&arm.steps, id, trigger);
                    }
                    self.steps(otherwise, id, trigger);
                }
                StepKind::For { list, steps, .. } => {
                    self.expr(list, id, trigger, None);
                    self.steps(steps, id, trigger);
                }
                StepKind::Wait(_) => {}
            }
        }
    }

    /// Fields assigned, and every expression, as the checker resolved them.
    fn program_uses(&mut self) {
        let program = self.program;
        for (i, w) in program.workflows.iter().enumerate() {
            let id = WorkflowId(i);
            let trigger = Some(w.trigger.entity);
            if let Some(condition) = &w.trigger.condition {
                self.expr(condition, id, trigger, None);
            }
            self.steps(&w.steps, id, trigger);
        }
        let none = WorkflowId(usize::MAX);
        // `full_name <- first + " " + last`: a computed side reads its own side's fields.
        for sync in &program.syncs {
            for mapping in &sync.mappings {
                for (end, side) in [(&mapping.left, sync.left), (&mapping.right, sync.right)] {
                    if let SyncEnd::Computed(e) = end {
                        self.expr(e, none, None, Some(side.entity));
                    }
                }
            }
        }
        for scenario in &program.scenarios {
            if let Some(at) = &scenario.at {
                self.expr(at, none, None, None);
            }
            for step in &scenario.steps {
                use ScenarioStepKind as S;
                match &step.kind {
                    S::UserCreates { entity, fields, .. } => {
                        self.assignments(*entity, fields, none, None, Some(*entity));
                    }
                    S::UserUpdates {
                        entity,
                        condition,
                        fields,
                        ..
                    } => {
                        self.expr(condition, none, None, Some(*entity));
                        self.assignments(*entity, fields, none, None, Some(*entity));
                    }
                    S::UserDeletes {
                        entity, condition, ..
                    } => self.expr(condition, none, None, Some(*entity)),
                    S::ExpectCount {
                        entity,
                        condition: Some(condition),
                        ..
                    } => self.expr(condition, none, None, Some(*entity)),
                    _ => {}
                }
            }
        }
    }

    fn action(&mut self, action: &Action, w: WorkflowId, trigger: Option<EntityId>) {
        match &action.kind {
            ActionKind::Create {
                entity,
                fields,
                copy,
                ..
            } => {
                self.assignments(*entity, fields, w, trigger, None);
                if let (Some(copy), Some(from)) = (copy, trigger) {
                    for (source, target) in &copy.pairs {
                        self.link(
                            Symbol::Field(from, *source),
                            Symbol::Field(*entity, *target),
                        );
                    }
                }
            }
            ActionKind::Update {
                entity,
                target,
                fields,
                ..
            } => {
                if let Target::Where(condition) = target {
                    self.expr(condition, w, trigger, Some(*entity));
                }
                self.assignments(*entity, fields, w, trigger, None);
            }
            ActionKind::Delete { entity, target, .. } => {
                if let Target::Where(condition) = target {
                    self.expr(condition, w, trigger, Some(*entity));
                }
            }
            ActionKind::Upsert { entity, fields, .. } => {
                self.assignments(*entity, fields, w, trigger, None);
            }
            ActionKind::Notify { channel, message } => {
                if let Some(channel) = channel {
                    self.expr(channel, w, trigger, None);
                }
                self.expr(message, w, trigger, None);
            }
        }
    }

    fn assignments(
        &mut self,
        entity: EntityId,
        fields: &[Assign],
        w: WorkflowId,
        trigger: Option<EntityId>,
        target: Option<EntityId>,
    ) {
        for assign in fields {
            self.add(assign.span, Symbol::Field(entity, assign.field), false);
            self.expr(&assign.value, w, trigger, target);
        }
    }

    /// The span of the last name in an expression's text (`title` in `trigger.title`).
    fn name_span(&self, span: Span, name: &str) -> Option<Span> {
        let slice = self.sources.text(span.file).get(span.range())?;
        slice
            .ends_with(name)
            .then(|| Span::new(span.file, span.end as usize - name.len(), span.end as usize))
    }

    fn expr(
        &mut self,
        e: &Expr,
        w: WorkflowId,
        trigger: Option<EntityId>,
        target: Option<EntityId>,
    ) {
        self.index.expressions.push((e.span, e.ty.clone()));
        let program = self.program;
        let field = |entity: Option<EntityId>, field: FieldId| {
            entity.map(|entity| {
                (
                    Symbol::Field(entity, field),
                    &program.field(entity, field).name,
                )
            })
        };
        let named = match &e.kind {
            ExprKind::TriggerField(f) => field(trigger, *f),
            ExprKind::TargetField(f) => field(target, *f),
            ExprKind::Local(l) => program
                .workflows
                .get(w.0)
                .map(|wf| (Symbol::Local(w, *l), &wf.locals[l.0].name)),
            _ => None,
        };
        if let Some((symbol, name)) = named
            && let Some(span) = self.name_span(e.span, name)
        {
            self.add(span, symbol, false);
        }
        match &e.kind {
            ExprKind::Const(Value::Label(label))
                if self.sources.text(e.span.file).get(e.span.range()) == Some(&**label)
                    && &**label != "user" =>
            {
                self.add(e.span, Symbol::Label(label.clone()), false);
            }
            ExprKind::Interpolation(pieces) => {
                for piece in pieces {
                    if let Piece::Expr(inner) = piece {
                        self.expr(inner, w, trigger, target);
                    }
                }
            }
            ExprKind::Call(builtin, args) => {
                let start = e.span.start as usize;
                let name = Span::new(e.span.file, start, start + builtin.name().len());
                self.index.calls.push((name, *builtin));
                for arg in args {
                    self.expr(arg, w, trigger, target);
                }
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item, w, trigger, target);
                }
            }
            ExprKind::Not(inner) | ExprKind::Neg(inner) => self.expr(inner, w, trigger, target),
            ExprKind::Binary(_, left, right) | ExprKind::Index(left, right) => {
                self.expr(left, w, trigger, target);
                self.expr(right, w, trigger, target);
            }
            ExprKind::If(c, t, o) => {
                self.expr(c, w, trigger, target);
                self.expr(t, w, trigger, target);
                self.expr(o, w, trigger, target);
            }
            ExprKind::Member(base, _) => self.expr(base, w, trigger, target),
            ExprKind::Record(fields) => {
                for (_, value) in fields {
                    self.expr(value, w, trigger, target);
                }
            }
            ExprKind::Each(each) => {
                self.expr(&each.list, w, trigger, target);
                self.expr(&each.value, w, trigger, target);
                if let Some(keep) = &each.keep {
                    self.expr(keep, w, trigger, target);
                }
            }
            _ => {}
        }
    }
}
