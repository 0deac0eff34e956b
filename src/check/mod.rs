//! Pass 1 of `weir check`: names and types.
//!
//! The checker resolves every app, entity, field, function and `let` of a script to an index
//! and gives every expression a type, producing a [`Program`]. It reports every problem it
//! finds, not just the first. An accepted and a rejected line:
//!
//! ```text
//! on new event in Calendar do create task in Todo { title: title }      # fine
//! on new event in Calendar do create task in Todo { title: start }      # E0201: start is a time
//! ```
//!
//! This module also holds the one pipeline every caller goes through, [`stages`]: parse errors,
//! else names and types, then (when those are sound) pass 2, the flow proofs of
//! [`crate::flow`], then the script's `# weir: allow`s. `weir check`, `test`, `run`, `serve`,
//! `replay` and the language server call it as it is; the REPL calls [`stages_with`] with
//! [`Options`] of its own (open apps told of once, flow errors as warnings when its checks are
//! off, no flow proofs for a step it is about to run).

mod call;
mod error;
mod expr;
mod failed;
mod http;
mod items;
mod limit;
mod lists;
mod names;
mod narrow;
mod operators;
mod polls;
mod records;
mod scenario;
mod schedule;
#[cfg(test)]
mod stages_tests;
mod sync_error;
mod time;
mod value_error;
mod webhooks;
mod workflow;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::ast::{self, Item, Script};
use crate::diagnostic::{Diagnostic, Report};
use crate::load::Loaded;
use crate::program::*;
use crate::source::SourceMap;
use crate::span::Span;
use crate::types::Type;

pub use error::{CheckError, Named};
pub use http::MappingError;
pub use sync_error::MapCollision;

/// The result of checking: the program (usable when there are no errors) and what was found.
pub struct Checked {
    pub program: Program,
    pub problems: Vec<CheckError>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| {
            p.code()
                .is_some_and(|c| c.level() == crate::codes::Level::Error)
        })
    }

    /// The problems as diagnostics: the open-apps note first, then by position.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut order: Vec<(bool, Span, usize)> = self
            .problems
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code().is_some(), p.span(), i))
            .collect();
        order.sort();
        order
            .iter()
            .map(|(_, _, i)| self.problems[*i].report())
            .collect()
    }
}

/// Checks names and types of scripts that parsed.
pub fn check(scripts: &[Script], sources: &SourceMap) -> Checked {
    let mut checker = Checker::new(sources);
    checker.run(scripts);
    let mut problems = checker.problems;
    if !checker.open_uses.is_empty() {
        problems.insert(
            0,
            CheckError::OpenApps {
                apps: checker.open_uses,
            },
        );
    }
    Checked {
        program: checker.program,
        problems,
    }
}

/// Every diagnostic for files already parsed: syntax errors; when every file parsed, names
/// and types; when those are sound, the flow checks.
pub fn check_loaded(loaded: &Loaded) -> Vec<Diagnostic> {
    check_all(loaded).1
}

/// Pass 2's findings for a program whose names and types are sound, in source order.
pub fn flow_diagnostics(program: &Program) -> Vec<Diagnostic> {
    flow_diagnostics_of(&crate::flow::check(program))
}

/// Pass 2's findings, already found, as diagnostics in source order (the language server keeps
/// the findings as data too, for their fixes).
pub fn flow_diagnostics_of(findings: &[crate::flow::FlowError]) -> Vec<Diagnostic> {
    let mut flow: Vec<Diagnostic> = findings.iter().map(Report::report).collect();
    flow.sort_by_key(|d| d.labels.first().map(|l| (l.file_id, l.range.start)));
    flow
}

/// The checked program (when it got that far without errors) and every diagnostic, less the
/// warnings the script acknowledges (`# weir: allow CODE`, see [`crate::allow`]).
pub fn check_all(loaded: &Loaded) -> (Option<Program>, Vec<Diagnostic>) {
    let (program, applied) = check_acknowledging(loaded);
    (program, applied.diagnostics)
}

/// As [`check_all`], keeping the acknowledged warnings apart (for `weir check --stats`).
pub fn check_acknowledging(loaded: &Loaded) -> (Option<Program>, crate::allow::Applied) {
    let stages = stages(loaded);
    let program = stages.sound.then_some(stages.checked.program);
    (program, stages.applied)
}

/// Every stage of `weir check` over files already parsed, each stage's findings kept as data.
pub struct Stages {
    /// Names and types. Files that parsed are checked even when another did not, so their
    /// names are known (the language server answers from them), but then nothing of this
    /// stage is reported: the errors would be about names the broken file declares.
    pub checked: Checked,
    /// The flow proofs, run when names and types are sound.
    pub flow: Vec<crate::flow::FlowError>,
    /// What is reported, less the warnings the script acknowledges.
    pub applied: crate::allow::Applied,
    /// Whether every file parsed and names and types are sound: the program can run.
    pub sound: bool,
}

/// The one pipeline: parse errors, else names and types, then (when sound) the flow proofs,
/// then the script's acknowledgements (`# weir: allow CODE`, see [`crate::allow`]).
pub fn stages(loaded: &Loaded) -> Stages {
    stages_with(
        &loaded.scripts,
        &loaded.sources,
        &loaded.diagnostics,
        &Options::default(),
    )
}

/// Where callers of the pipeline differ: every command takes the defaults; the REPL checks
/// what was typed so far with options of its own.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// Open apps already told of (the REPL tells of each once): no note names them again.
    pub announced: Option<&'a BTreeSet<Arc<str>>>,
    pub flow: FlowProofs,
}

/// What becomes of pass 2, the flow proofs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum FlowProofs {
    /// Run, and what they reject is an error (every command).
    #[default]
    Enforced,
    /// Run, and what they reject is a warning with a note saying why: the REPL with
    /// `:set checks off`, where the run-time guard alone stops a loop.
    Warned,
    /// Not run: the REPL checking a step it is about to run, not the workflows.
    Skipped,
}

/// The note on a flow error shown as a warning ([`FlowProofs::Warned`]).
const WARNED: &str = "checks are off (`:set checks on` turns them back on): this is added anyway, and the run-time guard is all that stops a loop";

/// [`stages`] over scripts and their parse errors, with [`Options`].
pub fn stages_with(
    scripts: &[Script],
    sources: &SourceMap,
    parsed: &[Diagnostic],
    options: &Options,
) -> Stages {
    let mut checked = check(scripts, sources);
    if let Some(announced) = options.announced {
        checked.problems.retain_mut(|p| match p {
            CheckError::OpenApps { apps } => {
                apps.retain(|a| !announced.contains(&a.text));
                !apps.is_empty()
            }
            _ => true,
        });
    }
    if !parsed.is_empty() {
        let applied = crate::allow::Applied {
            diagnostics: parsed.to_vec(),
            acknowledged: Vec::new(),
        };
        return Stages {
            checked,
            flow: Vec::new(),
            applied,
            sound: false,
        };
    }
    let mut diagnostics = checked.diagnostics();
    let sound = !checked.has_errors();
    let flow = if sound && options.flow != FlowProofs::Skipped {
        crate::flow::check(&checked.program)
    } else {
        Vec::new()
    };
    let mut flow_diagnostics = flow_diagnostics_of(&flow);
    if options.flow == FlowProofs::Warned {
        for d in flow_diagnostics
            .iter_mut()
            .filter(|d| crate::diagnostic::is_error(d))
        {
            d.severity = codespan_reporting::diagnostic::Severity::Warning;
            d.notes.push(WARNED.into());
        }
    }
    diagnostics.extend(flow_diagnostics);
    let applied = crate::allow::apply(sources, scripts, diagnostics);
    Stages {
        checked,
        flow,
        applied,
        sound,
    }
}

/// Checks an expression typed on its own (at the REPL) against a checked program: no record
/// is in view, so it may use literals, functions and labels.
pub fn check_expression(
    program: &Program,
    sources: &SourceMap,
    e: &ast::Expr,
) -> (Expr, Vec<CheckError>) {
    let mut checker = Checker::new(sources);
    checker.program = program.clone();
    checker.apps_by_name = program
        .apps
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), AppId(i)))
        .collect();
    let checked = checker.expr(e, expr::Scope::constant(), None);
    let open = checker.open_uses;
    let mut problems = checker.problems;
    if !open.is_empty() {
        problems.insert(0, CheckError::OpenApps { apps: open });
    }
    (checked, problems)
}

pub(crate) struct Checker<'a> {
    sources: &'a SourceMap,
    program: Program,
    problems: Vec<CheckError>,
    apps_by_name: HashMap<Arc<str>, AppId>,
    /// The first use of each open app, for the note.
    open_uses: Vec<Named>,
    workflows_by_name: HashMap<Arc<str>, Span>,
    /// The `let`s of the workflow being checked, and which of them are visible and used.
    locals: Vec<Local>,
    locals_used: Vec<bool>,
    /// `let`s inside an arm of a branch that has ended: out of sight below it.
    locals_hidden: Vec<bool>,
    /// The locals hidden by the end of a `for` (its item, and the `let`s inside it).
    hidden_by_for: Vec<usize>,
    /// The arms of branches around the step being checked, in words, for the flow graph.
    arms: Vec<String>,
    /// The name being checked is one side of a comparison with `none`, where a record found
    /// by `find` may stand whole.
    record_compare: bool,
    visible_locals: usize,
    /// `let`s further down the workflow being checked, for "used before its `let`".
    later_lets: Vec<(Arc<str>, Span)>,
    /// The blocks of the enclosing branches' other arms, to tell a `let` made in another arm
    /// from one further down.
    other_arms: Vec<Span>,
    /// Optional values known not to be `none` at this point (after `x != none`).
    narrowed: Vec<narrow::Narrow>,
    /// The sync whose conflicts the workflow being checked runs on, for `conflict.field`.
    conflict_sync: Option<SyncId>,
    /// The workflow whose failed runs the workflow being checked runs on, for `error.message`.
    failure_of: Option<crate::program::FailedOf>,
    /// The workflows that run on failed runs, by name, with their trigger.
    failed_run_triggers: HashMap<Arc<str>, Span>,
}

impl<'a> Checker<'a> {
    fn new(sources: &'a SourceMap) -> Checker<'a> {
        Checker {
            sources,
            program: Program {
                engine: Arc::from("weir"),
                engine_span: None,
                apps: Vec::new(),
                entities: Vec::new(),
                workflows: Vec::new(),
                owners: Vec::new(),
                syncs: Vec::new(),
                scenarios: Vec::new(),
            },
            problems: Vec::new(),
            apps_by_name: HashMap::new(),
            open_uses: Vec::new(),
            workflows_by_name: HashMap::new(),
            locals: Vec::new(),
            locals_used: Vec::new(),
            locals_hidden: Vec::new(),
            hidden_by_for: Vec::new(),
            arms: Vec::new(),
            record_compare: false,
            visible_locals: 0,
            later_lets: Vec::new(),
            other_arms: Vec::new(),
            narrowed: Vec::new(),
            conflict_sync: None,
            failure_of: None,
            failed_run_triggers: HashMap::new(),
        }
    }

    fn report(&mut self, problem: CheckError) {
        self.problems.push(problem);
    }

    fn run(&mut self, scripts: &[Script]) {
        let items: Vec<&Item> = scripts.iter().flat_map(|s| &s.items).collect();
        // Declarations first, so that uses can come before them in the text.
        for item in &items {
            match item {
                Item::Engine(engine) => self.engine(&engine.label),
                Item::App(app) => self.declare_app(app),
                _ => {}
            }
        }
        for item in &items {
            if let Item::Workflow(w) = item {
                self.declare_workflow_name(w);
            }
        }
        // Syncs before workflows, which may run on their conflicts.
        for item in &items {
            match item {
                Item::Owns(owns) => self.owns(owns),
                Item::Sync(sync) => self.sync(sync),
                _ => {}
            }
        }
        // Workflows on failed runs last, so the workflow each names is checked before it.
        for failed_runs in [false, true] {
            for item in &items {
                if let Item::Workflow(w) = item
                    && failed::is_failed_run(w) == failed_runs
                {
                    self.workflow(w);
                }
            }
        }
        self.check_routes();
        let mut scenario_names: HashMap<String, Span> = HashMap::new();
        for item in &items {
            if let Item::Scenario(s) = item {
                if let Some(first) = scenario_names.insert(s.name.node.clone(), s.name.span) {
                    self.report(CheckError::Duplicate {
                        what: "scenario",
                        name: Named {
                            text: Arc::from(s.name.node.as_str()),
                            span: s.name.span,
                        },
                        first,
                    });
                }
                self.scenario(s);
            }
        }
    }

    fn engine(&mut self, label: &ast::Name) {
        if let Some(first) = self.program.engine_span {
            self.report(CheckError::Duplicate {
                what: "engine label",
                name: Named::of(label),
                first,
            });
            return;
        }
        self.program.engine = label.node.clone();
        self.program.engine_span = Some(label.span);
    }

    /// The name a one-liner goes by in messages: `line N`, or `FILE line N` when the program
    /// comes from several files (each has its own line 1). At the REPL, what is typed is
    /// numbered through the session and keeps `line N`, and a loaded file's one-liners are
    /// always `FILE line N`, so a name does not change as more is typed or loaded.
    fn one_liner_name(&self, span: Span) -> Arc<str> {
        let line = self.sources.line_of(span);
        let file = self.sources.name(span.file);
        let in_repl = self.sources.has_name(crate::source::REPL);
        let named = if in_repl {
            file != crate::source::REPL
        } else {
            self.sources.distinct_names() > 1
        };
        if named {
            Arc::from(format!("{} line {line}", self.sources.name(span.file)))
        } else {
            Arc::from(format!("line {line}"))
        }
    }

    fn declare_workflow_name(&mut self, w: &ast::Workflow) {
        let Some(name) = &w.name else { return };
        if failed::is_failed_run(w) {
            self.failed_run_triggers
                .insert(name.node.clone(), w.trigger.span);
        }
        if let Some(first) = self.workflows_by_name.get(&name.node) {
            let first = *first;
            self.report(CheckError::Duplicate {
                what: "workflow",
                name: Named::of(name),
                first,
            });
        } else {
            self.workflows_by_name.insert(name.node.clone(), name.span);
        }
    }

    // ------------------------------------------------------------ apps, entities, fields

    fn declare_app(&mut self, decl: &ast::AppDecl) {
        if let Some(id) = self.apps_by_name.get(&decl.name.node) {
            let first = self.program.apps[id.0].span;
            self.report(CheckError::Duplicate {
                what: "app",
                name: Named::of(&decl.name),
                first,
            });
            return;
        }
        let id = AppId(self.program.apps.len());
        let mut app = App {
            name: decl.name.node.clone(),
            span: decl.name.span,
            declared: true,
            location: decl.location.as_ref().map(|l| Location {
                url: l.url.node.clone(),
                url_span: l.url.span,
                auth: l.auth.as_ref().map(http::auth),
                mappings: Vec::new(),
                webhooks: Vec::new(),
                polls: Vec::new(),
            }),
            reports_actor: false,
            reports_changes: false,
            emits: [true; 3],
            entities: Vec::new(),
            limit: None,
            calls: Vec::new(),
        };
        let mut emits_given = false;
        for capability in &decl.capabilities {
            match capability {
                ast::Capability::ReportsActor(_) => app.reports_actor = true,
                ast::Capability::ReportsChanges(_) => app.reports_changes = true,
                ast::Capability::Emits(kinds) => {
                    if !emits_given {
                        app.emits = [false; 3];
                        emits_given = true;
                    }
                    for kind in kinds {
                        app.emits[kind_index(kind.node)] = true;
                    }
                }
                ast::Capability::PerSecond(n) => {
                    app.limit.get_or_insert_with(Default::default).per_second = Some(n.node);
                }
                ast::Capability::AtOnce(n) => {
                    app.limit.get_or_insert_with(Default::default).at_once = Some(n.node);
                }
            }
        }
        self.program.apps.push(app);
        self.apps_by_name.insert(decl.name.node.clone(), id);
        for entity in &decl.entities {
            self.declare_entity(id, entity);
        }
        self.declare_calls(id, decl);
        self.resolve_http(id, decl);
        self.resolve_webhooks(id, decl);
        self.resolve_polls(id, decl);
    }

    fn declare_entity(&mut self, app: AppId, decl: &ast::EntityDecl) {
        if let Some(existing) = self.program.entity_named(app, &decl.name.node) {
            let first = self.program.entities[existing.0].span;
            self.report(CheckError::Duplicate {
                what: "entity",
                name: Named::of(&decl.name),
                first,
            });
            return;
        }
        let mut entity = Entity {
            app,
            name: decl.name.node.clone(),
            span: decl.name.span,
            declared: true,
            fields: Vec::new(),
            stamp: None,
        };
        for field in &decl.fields {
            if let Some(first) = entity.fields.iter().find(|f| f.name == field.name.node) {
                let first = first.span;
                self.report(CheckError::Duplicate {
                    what: "field",
                    name: Named::of(&field.name),
                    first,
                });
                continue;
            }
            if &*field.name.node == "id" {
                self.report(CheckError::Duplicate {
                    what: "field",
                    name: Named::of(&field.name),
                    first: decl.name.span,
                });
                continue;
            }
            self.duplicate_choices(&field.ty.node);
            let is_stamp = field.ty.node == ast::TypeExpr::Stamp;
            if is_stamp {
                entity.stamp.get_or_insert(FieldId(entity.fields.len()));
            }
            let ty = type_of(&field.ty.node);
            entity.fields.push(Field {
                name: field.name.node.clone(),
                required: !is_stamp && !ty.is_optional(),
                ty,
                span: field.name.span,
                is_stamp,
            });
        }
        let id = EntityId(self.program.entities.len());
        self.program.entities.push(entity);
        self.program.apps[app.0].entities.push(id);
    }

    /// E0104 for a choice listed twice in `one of …`.
    fn duplicate_choices(&mut self, ty: &ast::TypeExpr) {
        match ty {
            ast::TypeExpr::Choice(choices) => {
                for (i, choice) in choices.iter().enumerate() {
                    if let Some(first) = choices[..i].iter().find(|c| c.node == choice.node) {
                        self.report(CheckError::Duplicate {
                            what: "choice",
                            name: Named {
                                text: Arc::from(choice.node.as_str()),
                                span: choice.span,
                            },
                            first: first.span,
                        });
                    }
                }
            }
            ast::TypeExpr::List(inner) | ast::TypeExpr::Optional(inner) => {
                self.duplicate_choices(inner)
            }
            ast::TypeExpr::Record(fields) => {
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if let Some((first, _)) = fields[..i].iter().find(|(f, _)| f.node == name.node)
                    {
                        self.report(CheckError::Duplicate {
                            what: "field",
                            name: Named {
                                text: Arc::from(name.node.as_str()),
                                span: name.span,
                            },
                            first: first.span,
                        });
                    }
                    self.duplicate_choices(ty);
                }
            }
            _ => {}
        }
    }

    /// The app a name refers to; an undeclared one becomes an open app on first use.
    fn app(&mut self, name: &ast::Name) -> AppId {
        if let Some(id) = self.apps_by_name.get(&name.node) {
            return *id;
        }
        let declared: Vec<&str> = self
            .program
            .apps
            .iter()
            .filter(|a| a.declared)
            .map(|a| &*a.name)
            .collect();
        if let Some(close) = crate::suggest::closest(&name.node, declared.iter().copied()) {
            let close_id = self.apps_by_name[close];
            let declared = Named {
                text: Arc::from(close),
                span: self.program.apps[close_id.0].span,
            };
            self.report(CheckError::CloseToDeclared {
                used: Named::of(name),
                declared,
            });
        } else {
            self.open_uses.push(Named::of(name));
        }
        let id = AppId(self.program.apps.len());
        self.program.apps.push(App {
            name: name.node.clone(),
            span: name.span,
            declared: false,
            location: None,
            reports_actor: false,
            reports_changes: false,
            emits: [true; 3],
            entities: Vec::new(),
            limit: None,
            calls: Vec::new(),
        });
        self.apps_by_name.insert(name.node.clone(), id);
        id
    }

    /// The entity of an app; E0102 for one a declared app lacks. `implied` marks a `create in B`
    /// that took the trigger's entity name.
    fn entity(
        &mut self,
        app: AppId,
        name: &ast::Name,
        app_use: Span,
        implied: bool,
    ) -> Option<EntityId> {
        if let Some(id) = self.program.entity_named(app, &name.node) {
            return Some(id);
        }
        let a = &self.program.apps[app.0];
        if a.declared {
            let known: Vec<Arc<str>> = self
                .program
                .entities_of(app)
                .map(|e| self.program.entities[e.0].name.clone())
                .collect();
            let suggestion =
                crate::suggest::closest(&name.node, known.iter().map(|k| &**k)).map(Arc::from);
            let suggestion = suggestion.or_else(|| {
                if implied && known.len() == 1 {
                    Some(known[0].clone())
                } else {
                    None
                }
            });
            self.report(CheckError::UnknownEntity {
                app: Named {
                    text: a.name.clone(),
                    span: a.span,
                },
                entity: Named {
                    text: name.node.clone(),
                    span: if implied { app_use } else { name.span },
                },
                suggestion,
                known,
                implied,
            });
            return None;
        }
        let id = EntityId(self.program.entities.len());
        self.program.entities.push(Entity {
            app,
            name: name.node.clone(),
            span: name.span,
            declared: false,
            fields: Vec::new(),
            stamp: None,
        });
        self.program.apps[app.0].entities.push(id);
        Some(id)
    }

    /// A field of an entity; E0103 for one a declared entity lacks, a new `any` field for an
    /// open one.
    fn field(&mut self, entity: EntityId, name: &ast::Name) -> Option<FieldId> {
        let e = &self.program.entities[entity.0];
        if let Some(id) = e.field_named(&name.node) {
            return Some(id);
        }
        if e.declared {
            let known: Vec<Arc<str>> = e.fields.iter().map(|f| f.name.clone()).collect();
            let suggestion =
                crate::suggest::closest(&name.node, known.iter().map(|k| &**k)).map(Arc::from);
            let app = self.program.apps[e.app.0].name.clone();
            self.report(CheckError::UnknownField {
                app,
                entity: Named {
                    text: e.name.clone(),
                    span: e.span,
                },
                field: Named::of(name),
                suggestion,
                known,
            });
            return None;
        }
        Some(self.open_field(entity, &name.node, name.span))
    }

    /// Adds (or finds) a field of an open entity.
    fn open_field(&mut self, entity: EntityId, name: &Arc<str>, span: Span) -> FieldId {
        let e = &mut self.program.entities[entity.0];
        if let Some(id) = e.field_named(name) {
            return id;
        }
        e.fields.push(Field {
            name: name.clone(),
            ty: Type::Any,
            span,
            is_stamp: false,
            required: false,
        });
        FieldId(e.fields.len() - 1)
    }

    fn named_entity(&self, entity: EntityId) -> Named {
        let e = &self.program.entities[entity.0];
        Named {
            text: e.name.clone(),
            span: e.span,
        }
    }
}

/// The type a declared field's values have.
fn type_of(ty: &ast::TypeExpr) -> Type {
    match ty {
        ast::TypeExpr::Text => Type::Text,
        ast::TypeExpr::Number => Type::Number,
        ast::TypeExpr::Bool => Type::Bool,
        ast::TypeExpr::Time => Type::Time,
        ast::TypeExpr::Duration => Type::Duration,
        ast::TypeExpr::Stamp => Type::Origin,
        ast::TypeExpr::Choice(choices) => {
            let mut set: Vec<Arc<str>> = Vec::with_capacity(choices.len());
            for choice in choices {
                if !set.iter().any(|c| **c == choice.node) {
                    set.push(Arc::from(choice.node.as_str()));
                }
            }
            Type::Choice(Arc::from(set))
        }
        ast::TypeExpr::List(inner) => Type::list(type_of(inner)),
        ast::TypeExpr::Optional(inner) => Type::optional(type_of(inner)),
        ast::TypeExpr::Record(fields) => Type::Nested(
            fields
                .iter()
                .map(|(name, ty)| (Arc::from(name.node.as_str()), type_of(ty)))
                .collect(),
        ),
    }
}
