//! Pass 2 of `weir check`: loop safety and one-way flow.
//!
//! Builds the flow graph (see [`graph`]), decides for every edge whether a breaker cuts it,
//! and reports each strongly connected component that still holds an edge as a cycle, told as
//! a story with the exact fix. A clean pair and a loop:
//!
//! ```text
//! on new event in Cal do create event in Out unless origin == weir    # with the mirror
//! on new event in Out do create event in Cal unless origin == weir    # back: clean
//!
//! on new event in Cal do create event in Out                           # no guards:
//! on new event in Out do create event in Cal                           # E0301
//! ```
//!
//! Beyond termination it proves one copy: a chain that ends must not bring a record back into
//! its app as a second record (E0307, see [`copies`]); and origin labels must be ones a change
//! can carry (W0308). It also checks that origin guards can work (E0302, E0303), warns where stamps go stale on
//! updates (E0304, W0305) or a guard cuts a chain the user built (W0306), and checks ownership
//! (E0401, E0402, W0403, W0404).

mod copies;
mod error;
pub mod eval;
pub mod failures;
mod fix;
pub mod graph;
mod labels;
mod owners;
pub mod paths;
pub mod render;
pub mod scc;
pub mod stats;
pub mod story;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::ast::EventKind;
use crate::program::*;
use crate::span::Span;

pub use copies::{CopyFix, CopyReport};
pub use error::{CycleFix, CycleReport, FlowError, StaleAdvice, StaleFix};
use eval::Known;
use graph::{Cut, Edge, FlowGraph, Telling, UnitSource};

/// Everything pass 2 finds in a program whose names and types are sound.
pub fn check(program: &Program) -> Vec<FlowError> {
    let (flat, _) = paths::flatten(program);
    let program = &*flat;
    let graph = FlowGraph::build(program);
    let analysis = Analysis::new(program, &graph);
    let mut problems = Vec::new();
    analysis.cycles(&mut problems);
    analysis.stale_stamps(&mut problems);
    analysis.second_copies(&mut problems);
    analysis.guards_that_cut_chains(&mut problems);
    failures::check(program, &graph, &mut problems);
    let on_loops: BTreeSet<Span> = problems
        .iter()
        .filter_map(|p| match p {
            FlowError::GuardCannotTell { guard, .. } | FlowError::GuardWrongLabel { guard, .. } => {
                Some(*guard)
            }
            _ => None,
        })
        .collect();
    analysis.unknown_labels(&on_loops, &mut problems);
    owners::check(program, &mut problems);
    if matches!(flat, std::borrow::Cow::Owned(_)) {
        // A write before or after a branch stands on every path: say what it does once.
        let mut seen = std::collections::HashSet::new();
        problems.retain(|p| seen.insert(format!("{p:?}")));
    }
    problems
}

/// The edges left standing in a graph, as successor lists over units.
fn successors(graph: &FlowGraph, keep: impl Fn(&Edge) -> bool) -> Vec<Vec<usize>> {
    let mut succ = vec![Vec::new(); graph.units.len()];
    for edge in graph.edges.iter().filter(|e| keep(e)) {
        if !succ[edge.from].contains(&edge.to) {
            succ[edge.from].push(edge.to);
        }
    }
    succ
}

/// The component each unit belongs to, and which components hold a cycle of kept edges.
struct Components {
    of: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Components {
    fn new(succ: &[Vec<usize>]) -> Components {
        let members = scc::components(succ);
        let mut of = vec![0; succ.len()];
        for (i, component) in members.iter().enumerate() {
            for &unit in component {
                of[unit] = i;
            }
        }
        Components { of, members }
    }
}

struct Analysis<'a> {
    program: &'a Program,
    graph: &'a FlowGraph,
}

impl<'a> Analysis<'a> {
    fn new(program: &'a Program, graph: &'a FlowGraph) -> Analysis<'a> {
        Analysis { program, graph }
    }

    fn unit_name(&self, unit: usize) -> Arc<str> {
        match self.graph.units[unit].source {
            UnitSource::Workflow(w) => self.program.workflow(w).name.clone(),
            UnitSource::Sync { sync, .. } => {
                let s = &self.program.syncs[sync.0];
                let (left, right) = (s.left.app, s.right.app);
                let right_entity = &self.program.entity(s.right.entity).name;
                Arc::from(if *right_entity == s.entity_name {
                    format!(
                        "sync {} between {} and {}",
                        s.entity_name,
                        self.program.app(left).name,
                        self.program.app(right).name
                    )
                } else {
                    format!(
                        "sync {} in {} with {right_entity} in {}",
                        s.entity_name,
                        self.program.app(left).name,
                        self.program.app(right).name
                    )
                })
            }
        }
    }

    fn workflow(&self, unit: usize) -> Option<&'a Workflow> {
        match self.graph.units[unit].source {
            UnitSource::Workflow(w) => Some(self.program.workflow(w)),
            UnitSource::Sync { .. } => None,
        }
    }

    fn entity_names(&self, entity: EntityId) -> (Arc<str>, Arc<str>) {
        let e = self.program.entity(entity);
        (e.name.clone(), self.program.app(e.app).name.clone())
    }

    /// Cycles of edges that `keep` leaves standing, each as the edges of its shortest cycle;
    /// chains made only of deletes are exempt (each step destroys a live record).
    fn cycles_in(&self, keep: impl Fn(&Edge) -> bool) -> Vec<(Vec<usize>, Vec<usize>)> {
        let succ = successors(self.graph, &keep);
        let components = Components::new(&succ);
        let mut found = Vec::new();
        for (c, members) in components.members.iter().enumerate() {
            let inner: Vec<usize> = members
                .iter()
                .flat_map(|&u| self.graph.out[u].iter().copied())
                .filter(|&e| {
                    let edge = &self.graph.edges[e];
                    keep(edge) && components.of[edge.to] == c
                })
                .collect();
            if inner.is_empty() {
                continue;
            }
            let all_deletes = inner.iter().all(|&e| {
                let edge = &self.graph.edges[e];
                self.graph.write_of(edge).kind == EventKind::Deleted
            });
            if all_deletes {
                continue;
            }
            let inside = |u: usize| components.of[u] == c;
            // Small components: the shortest cycle of all; large ones: through the first unit.
            let starts: Vec<usize> = if members.len() <= 64 {
                let mut sorted = members.clone();
                sorted.sort();
                sorted
            } else {
                vec![*members.iter().min().expect("a component has members")]
            };
            let cycle = starts
                .iter()
                .filter_map(|&s| scc::shortest_cycle_through(s, &succ, inside))
                .min_by_key(Vec::len)
                .expect("a component with an inner edge has a cycle");
            let edges = self.cycle_edges(&cycle, &keep);
            let more = self.more_cycles(&edges, &inner, &succ, &keep, inside);
            found.push((edges, inner));
            found.extend(more);
        }
        found.sort_by_key(|(edges, _)| self.graph.writes[self.graph.edges[edges[0]].write].span);
        found
    }

    /// The cycles of a component besides `first`, until every step of `inner` is on one: two
    /// loops that meet at a workflow each need their own fix, so each is told. Each comes
    /// with its own edges as the edges it holds.
    fn more_cycles(
        &self,
        first: &[usize],
        inner: &[usize],
        succ: &[Vec<usize>],
        keep: &impl Fn(&Edge) -> bool,
        inside: impl Fn(usize) -> bool + Copy,
    ) -> Vec<(Vec<usize>, Vec<usize>)> {
        let step = |e: &usize| (self.graph.edges[*e].from, self.graph.edges[*e].to);
        let mut covered: BTreeSet<(usize, usize)> = first.iter().map(step).collect();
        let mut steps: Vec<usize> = inner.to_vec();
        steps.sort_by_key(|&e| (self.graph.writes[self.graph.edges[e].write].span, e));
        let mut more = Vec::new();
        for e in steps {
            let (from, to) = step(&e);
            if covered.contains(&(from, to)) {
                continue;
            }
            let Some(cycle) = scc::shortest_cycle_along(from, to, succ, inside) else {
                continue;
            };
            let edges = self.cycle_edges(&cycle, keep);
            covered.extend(edges.iter().map(step));
            more.push((edges.clone(), edges));
        }
        more
    }

    /// The edges along a cycle of units, one per step.
    fn cycle_edges(&self, cycle: &[usize], keep: &impl Fn(&Edge) -> bool) -> Vec<usize> {
        (0..cycle.len())
            .map(|i| {
                let (from, to) = (cycle[i], cycle[(i + 1) % cycle.len()]);
                *self.graph.out[from]
                    .iter()
                    .find(|&&e| self.graph.edges[e].to == to && keep(&self.graph.edges[e]))
                    .expect("a cycle step has an edge")
            })
            .collect()
    }

    fn report(&self, edges: &[usize]) -> CycleReport {
        let first = &self.graph.edges[edges[0]];
        let start_unit = &self.graph.units[first.from];
        let (entity, app) = self.entity_names(start_unit.trigger_entity);
        let steps = edges
            .iter()
            .map(|&e| {
                let edge = &self.graph.edges[e];
                let write = self.graph.write_of(edge);
                let (entity, app) = self.entity_names(write.entity);
                error::CycleStep {
                    unit: self.unit_name(edge.from),
                    span: write.span,
                    kind: write.kind,
                    entity,
                    app,
                }
            })
            .collect();
        let conflict = match start_unit.source {
            UnitSource::Workflow(w) => self.program.workflow(w).trigger.conflict,
            UnitSource::Sync { .. } => None,
        };
        let timer = match start_unit.source {
            UnitSource::Workflow(w) => self.program.workflow(w).trigger.timer.as_ref(),
            UnitSource::Sync { .. } => None,
        };
        CycleReport {
            conflict: conflict.map(|s| self.program.syncs[s.0].name.clone()),
            timer: timer.map(|t| t.written.clone()),
            start: (start_unit.trigger_kind, entity, app),
            steps,
            fix: self.fix(edges),
        }
    }

    /// A loop through a workflow's own timer: only writing elsewhere, or a `where`, cuts it.
    fn timer_fix(&self, edges: &[usize]) -> Option<CycleFix> {
        let (unit, timer) = edges.iter().find_map(|&e| {
            let to = self.graph.edges[e].to;
            let timer = self.workflow(to)?.trigger.timer.as_ref()?;
            Some((to, timer))
        })?;
        let entity = self.entity_names(self.graph.units[unit].trigger_entity).0;
        Some(CycleFix::Timer {
            workflow: self.unit_name(unit),
            timer: timer.written.clone(),
            entity,
        })
    }

    /// The exact change that breaks this cycle: the first of these that applies, in order.
    fn fix(&self, edges: &[usize]) -> CycleFix {
        if let Some(fix) = self.timer_fix(edges) {
            return fix;
        }
        let stamp_fix = self.stamp_fix(edges);
        if let Some(fix) = self.guard_fix(edges, stamp_fix.as_ref()) {
            return fix;
        }
        if let Some(fix) = self.sync_fix(edges) {
            return fix;
        }
        if let Some(fix) = self.changing_fix(edges) {
            return fix;
        }
        let update_apps: BTreeSet<Arc<str>> = edges
            .iter()
            .map(|&e| self.graph.write_of(&self.graph.edges[e]))
            .filter(|w| w.kind == EventKind::Updated)
            .map(|w| self.entity_names(w.entity).1)
            .collect();
        if update_apps.len() >= 2 {
            let first = self.graph.write_of(&self.graph.edges[edges[0]]);
            let (entity, _) = self.entity_names(first.entity);
            return CycleFix::SyncOrOwner {
                entity,
                apps: update_apps.into_iter().collect(),
            };
        }
        // New records in apps that cannot tell who wrote them: a stamp field would let them.
        let first = self.graph.write_of(&self.graph.edges[edges[0]]);
        let (entity, _) = self.entity_names(first.entity);
        match stamp_fix {
            // A stamp would only make an update loop stale (E0304).
            Some(fix) if first.kind == EventKind::New => fix,
            _ => CycleFix::OneWay { entity },
        }
    }

    /// Guards that would work: a new record that keeps a stamp, or any change in an app that
    /// reports actors. `None` where no workflow of the cycle can be guarded.
    fn guard_fix(&self, edges: &[usize], stamp_fix: Option<&CycleFix>) -> Option<CycleFix> {
        let engine = self.program.engine.clone();
        let mut guards: Vec<(usize, Arc<str>, Arc<str>, Telling)> = Vec::new();
        for &e in edges {
            let edge = &self.graph.edges[e];
            let write = self.graph.write_of(edge);
            let telling = graph::telling(self.program, write.entity, write.kind);
            let works = telling == Telling::Actor
                || (telling == Telling::Stamp && write.kind == EventKind::New);
            if works && self.workflow(edge.to).is_some() {
                let (_, app) = self.entity_names(write.entity);
                if !guards.iter().any(|(u, ..)| *u == edge.to) {
                    guards.push((edge.to, self.unit_name(edge.to), app, telling));
                }
            }
        }
        if guards.is_empty() {
            return None;
        }
        let all_new = edges
            .iter()
            .all(|&e| self.graph.write_of(&self.graph.edges[e]).kind == EventKind::New);
        guards.sort_by_key(|(unit, ..)| *unit);
        let misplaced = guards
            .iter()
            .filter(|(unit, ..)| {
                self.workflow(*unit)
                    .is_some_and(|w| eval::guard_after_write(w, &engine).is_some())
            })
            .map(|(_, name, ..)| name.clone())
            .collect::<Vec<_>>();
        // A mirror of new records guarded on the sides that can tell only would still
        // bring records back once (E0307): every side needs its guard, so stamps first.
        if misplaced.is_empty()
            && all_new
            && let Some(fix) = stamp_fix
        {
            return Some(fix.clone());
        }
        let guards = guards
            .into_iter()
            .map(|(_, name, app, telling)| (name, app, telling))
            .collect();
        Some(CycleFix::AddGuards {
            guards,
            engine,
            misplaced,
        })
    }

    /// A workflow that feeds back into what a sync keeps in step.
    fn sync_fix(&self, edges: &[usize]) -> Option<CycleFix> {
        let sync_unit = edges.iter().find_map(|&e| {
            match self.graph.units[self.graph.edges[e].from].source {
                UnitSource::Sync { sync, .. } => Some(sync),
                UnitSource::Workflow(_) => None,
            }
        })?;
        let on_conflict = edges.iter().map(|&e| self.graph.edges[e].from).find(|&u| {
            self.workflow(u)
                .is_some_and(|w| w.trigger.conflict.is_some())
        });
        if let Some(unit) = on_conflict {
            return Some(CycleFix::ConflictWriteBack {
                workflow: self.unit_name(unit),
                sync: self.program.syncs[sync_unit.0].name.clone(),
            });
        }
        let workflow_unit = edges
            .iter()
            .map(|&e| self.graph.edges[e].from)
            .find(|&u| self.workflow(u).is_some())?;
        let s = &self.program.syncs[sync_unit.0];
        Some(CycleFix::ThroughSync {
            workflow: self.unit_name(workflow_unit),
            sync: Arc::from(format!("sync {}", s.entity_name)),
        })
    }

    /// Updates: `changing` where the write leaves out fields the trigger could watch.
    fn changing_fix(&self, edges: &[usize]) -> Option<CycleFix> {
        for &e in edges {
            let edge = &self.graph.edges[e];
            let write = self.graph.write_of(edge);
            let Some(workflow) = self.workflow(edge.to) else {
                continue;
            };
            if write.kind != EventKind::Updated {
                continue;
            }
            let entity = self.program.entity(workflow.trigger.entity);
            let written = write.fields.clone().unwrap_or_default();
            let watched: Vec<FieldId> = if workflow.trigger.changing.is_empty() {
                (0..entity.fields.len()).map(FieldId).collect()
            } else {
                workflow.trigger.changing.clone()
            };
            let others: Vec<Arc<str>> = watched
                .iter()
                .filter(|f| !written.contains(f) && !entity.fields[f.0].is_stamp)
                .map(|f| entity.fields[f.0].name.clone())
                .collect();
            if !written.is_empty() && !others.is_empty() {
                let app = self.program.app(entity.app);
                return Some(CycleFix::Changing {
                    workflow: self.unit_name(edge.to),
                    writer: self.unit_name(edge.from),
                    fields: others,
                    written: written
                        .iter()
                        .map(|f| entity.fields[f.0].name.clone())
                        .collect(),
                    app: app.name.clone(),
                    app_reports_changes: app.reports_changes,
                    app_declared: app.declared,
                });
            }
        }
        None
    }

    /// Stamps where new records of a cycle cannot tell who made them, and a guard on every
    /// workflow a new record sets off; `None` where no new record lacks a way to tell.
    fn stamp_fix(&self, edges: &[usize]) -> Option<CycleFix> {
        let mut stamps: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        let mut workflows: Vec<(usize, Arc<str>)> = Vec::new();
        for &e in edges {
            let edge = &self.graph.edges[e];
            let write = self.graph.write_of(edge);
            if write.kind != EventKind::New || self.workflow(edge.to).is_none() {
                continue;
            }
            if graph::telling(self.program, write.entity, write.kind) == Telling::Cannot {
                let names = self.entity_names(write.entity);
                if !stamps.contains(&names) {
                    stamps.push(names);
                }
            }
            if !workflows.iter().any(|(u, _)| *u == edge.to) {
                workflows.push((edge.to, self.unit_name(edge.to)));
            }
        }
        if stamps.is_empty() {
            return None;
        }
        workflows.sort_by_key(|(unit, _)| *unit);
        Some(CycleFix::AddStamp {
            stamps,
            workflows: workflows.into_iter().map(|(_, name)| name).collect(),
            engine: self.program.engine.clone(),
        })
    }

    fn cycles(&self, problems: &mut Vec<FlowError>) {
        let mut cannot_tell = BTreeSet::new();
        let mut wrong_label = BTreeSet::new();
        for (edges, inner) in self.cycles_in(|e| e.cut.is_none()) {
            problems.push(FlowError::Cycle(self.report(&edges)));
            for &e in &inner {
                self.unusable_guards(
                    &self.graph.edges[e],
                    problems,
                    &mut cannot_tell,
                    &mut wrong_label,
                );
            }
        }
    }

    /// E0302 and E0303 for the guards of a unit on a cycle that do not cut it.
    fn unusable_guards(
        &self,
        edge: &Edge,
        problems: &mut Vec<FlowError>,
        cannot_tell: &mut BTreeSet<Span>,
        wrong_label: &mut BTreeSet<Span>,
    ) {
        let Some(workflow) = self.workflow(edge.to) else {
            return;
        };
        let write = self.graph.write_of(edge);
        let known = Known {
            fields: write.constants.clone(),
            origin: Some(self.program.engine.clone()),
        };
        if let Some(guard) = eval::stopping_condition(workflow, &known) {
            if cannot_tell.insert(guard) {
                let (entity, app) = self.entity_names(write.entity);
                problems.push(FlowError::GuardCannotTell {
                    guard,
                    workflow: workflow.name.clone(),
                    entity,
                    app,
                    kind: write.kind,
                    engine: self.program.engine.clone(),
                });
            }
            return;
        }
        let mut labels = Vec::new();
        for (condition, _) in workflow.leading_conditions() {
            eval::origin_labels(condition, &mut labels);
        }
        for (label, span) in labels {
            if label != self.program.engine && wrong_label.insert(span) {
                problems.push(FlowError::GuardWrongLabel {
                    guard: span,
                    workflow: workflow.name.clone(),
                    label,
                    engine: self.program.engine.clone(),
                    engine_declared: self.program.engine_span.is_some(),
                });
            }
        }
    }

    /// E0304 for update cycles that only stale stamps cut; W0305 for stamp guards on updates
    /// that no cycle depends on.
    fn stale_stamps(&self, problems: &mut Vec<FlowError>) {
        let stale = |e: &Edge| {
            e.cut
                .is_some_and(|c| c.is_stale_stamp(self.graph.write_of(e).kind))
        };
        let mut reported_guards = BTreeSet::new();
        for (edges, inner) in self.cycles_in(|e| e.cut.is_none() || stale(e)) {
            if !inner.iter().any(|&e| stale(&self.graph.edges[e])) {
                continue;
            }
            let guards: Vec<(Arc<str>, Span)> = inner
                .iter()
                .map(|&e| &self.graph.edges[e])
                .filter(|e| stale(e))
                .filter_map(|e| match e.cut {
                    Some(Cut::OriginGuard { guard, .. }) => Some((self.unit_name(e.to), guard)),
                    _ => None,
                })
                .collect();
            let mut unique: Vec<(Arc<str>, Span)> = Vec::new();
            for g in guards {
                if reported_guards.insert(g.1) {
                    unique.push(g);
                }
            }
            problems.push(FlowError::StaleStampCycle {
                cycle: self.report(&edges),
                guards: unique,
                fix: self.stale_fix(&edges),
            });
        }
        // Guards on `updated` and `deleted` triggers of stamped records the engine writes, no
        // cycle involved.
        let mut first_writer: std::collections::HashMap<EntityId, usize> =
            std::collections::HashMap::new();
        for (i, w) in self.graph.writes.iter().enumerate() {
            if matches!(w.kind, EventKind::New | EventKind::Updated) {
                first_writer.entry(w.entity).or_insert(i);
            }
        }
        for (u, unit) in self.graph.units.iter().enumerate() {
            let Some(workflow) = self.workflow(u) else {
                continue;
            };
            // Updates and deletes of records whose origin is only their stamp.
            if unit.trigger_kind == EventKind::New
                || graph::telling(self.program, unit.trigger_entity, EventKind::Updated)
                    != Telling::Stamp
            {
                continue;
            }
            let known = Known {
                fields: Vec::new(),
                origin: Some(self.program.engine.clone()),
            };
            let Some(guard) = eval::stopping_condition(workflow, &known) else {
                continue;
            };
            if reported_guards.contains(&guard) {
                continue;
            }
            let writer = first_writer
                .get(&unit.trigger_entity)
                .map(|&i| &self.graph.writes[i]);
            if let Some(writer) = writer {
                let advice = self.stale_advice(unit.trigger_entity);
                let (entity, app) = self.entity_names(unit.trigger_entity);
                problems.push(FlowError::StaleStampGuard {
                    guard,
                    workflow: workflow.name.clone(),
                    entity,
                    app,
                    writer: self.unit_name(writer.unit),
                    writer_span: writer.span,
                    kind: unit.trigger_kind,
                    advice,
                });
            }
        }
    }

    /// What tells a person's update of `entity` from the engine's: the fields the engine's
    /// updates never write, if any.
    fn stale_advice(&self, entity: EntityId) -> StaleAdvice {
        let e = self.program.entity(entity);
        let updates: Vec<&graph::Write> = self
            .graph
            .writes
            .iter()
            .filter(|w| w.entity == entity && w.kind == EventKind::Updated)
            .collect();
        if updates.is_empty() {
            return StaleAdvice::NoEngineUpdates;
        }
        let mut written = vec![false; e.fields.len()];
        for w in &updates {
            match &w.fields {
                Some(fields) => fields.iter().for_each(|f| written[f.0] = true),
                None => written.iter_mut().for_each(|x| *x = true),
            }
        }
        let fields: Vec<Arc<str>> = e
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| !written[*i] && !f.is_stamp)
            .map(|(_, f)| f.name.clone())
            .collect();
        if fields.is_empty() {
            return StaleAdvice::Neither;
        }
        let app = self.program.app(e.app);
        let written = e
            .fields
            .iter()
            .enumerate()
            .filter(|(i, f)| written[*i] && !f.is_stamp)
            .map(|(_, f)| f.name.clone())
            .collect();
        StaleAdvice::Changing {
            fields,
            written,
            declare_changes: (!app.reports_changes).then_some(app.declared),
        }
    }

    /// The change that breaks an update loop only stamps stop.
    fn stale_fix(&self, edges: &[usize]) -> StaleFix {
        // A guard where the app reports actors tells a person's edit from the engine's.
        let mut workflows = Vec::new();
        let mut apps = Vec::new();
        for &e in edges {
            let edge = &self.graph.edges[e];
            let write = self.graph.write_of(edge);
            if graph::telling(self.program, write.entity, write.kind) == Telling::Actor
                && self.workflow(edge.to).is_some()
            {
                let (_, app) = self.entity_names(write.entity);
                let name = self.unit_name(edge.to);
                if !workflows.contains(&name) {
                    workflows.push(name);
                }
                if !apps.contains(&app) {
                    apps.push(app);
                }
            }
        }
        if !workflows.is_empty() {
            return StaleFix::GuardWhereActors {
                workflows,
                apps,
                engine: self.program.engine.clone(),
            };
        }
        let steps: Vec<(Arc<str>, Arc<str>, Arc<str>)> = edges
            .iter()
            .map(|&e| {
                let edge = &self.graph.edges[e];
                let (entity, app) = self.entity_names(self.graph.write_of(edge).entity);
                (entity, app, self.unit_name(edge.from))
            })
            .collect();
        for (entity, app, unit) in &steps {
            if let Some(owner) = self.program.owner_of(entity)
                && self.program.app(owner.app).name == *app
            {
                return StaleFix::RemoveBackFlow {
                    owner: app.clone(),
                    entity: entity.clone(),
                    workflow: unit.clone(),
                };
            }
        }
        let mut apps: Vec<Arc<str>> = Vec::new();
        for (_, app, _) in &steps {
            if !apps.contains(app) {
                apps.push(app.clone());
            }
        }
        let same_entity = steps.iter().all(|(e, _, _)| *e == steps[0].0);
        if same_entity && apps.len() == 2 {
            // Start with the app the story starts in.
            let start = self
                .entity_names(self.graph.units[self.graph.edges[edges[0]].from].trigger_entity)
                .1;
            let other = apps
                .iter()
                .find(|a| **a != start)
                .cloned()
                .unwrap_or_else(|| apps[1].clone());
            return StaleFix::SyncOrOwner {
                entity: steps[0].0.clone(),
                left: start,
                right: other,
            };
        }
        StaleFix::ChangingOrOneWay
    }

    /// W0306: an origin guard that cuts an edge lying on no cycle of the uncut graph.
    fn guards_that_cut_chains(&self, problems: &mut Vec<FlowError>) {
        let mut every = successors(self.graph, |_| true);
        // A guard that cuts a loop through failures (E0220) is needed too.
        for (failing, handler) in failures::hops(self.program, self.graph) {
            every[failing].push(handler);
        }
        let all = Components::new(&every);
        let mut seen = BTreeSet::new();
        for edge in &self.graph.edges {
            let Some(Cut::OriginGuard { guard, .. }) = edge.cut else {
                continue;
            };
            if all.of[edge.from] == all.of[edge.to] || !seen.insert(guard) {
                continue;
            }
            let write = self.graph.write_of(edge);
            let (entity, app) = self.entity_names(write.entity);
            problems.push(FlowError::GuardCutsChain {
                guard,
                workflow: self.unit_name(edge.to),
                writer: self.unit_name(edge.from),
                write_span: write.span,
                entity,
                app,
                kind: write.kind,
            });
        }
    }
}
