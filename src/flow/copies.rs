//! The one-copy proof: a chain that ends is not enough; it must not bring a record back into
//! the app it started from as a second record.
//!
//! A mirror guarded on one side only ends (the guard stops the echo on its second pass) but
//! makes a duplicate on the way:
//!
//! ```text
//! on new event in Cal do create event in Out unless origin == weir    # guarded
//! on new event in Out do create event in Cal                           # not: E0307
//! ```
//!
//! A user's event in Out is copied to Cal, and that copy back to Out, before the guard stops
//! it. The proof follows every chain of edges no breaker cuts from each `new` trigger, outside
//! the loops E0301 already reports, and reports a chain that leaves an app and creates another
//! record of the same entity there.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::error::{CycleFix, CycleStep, names, step_units};
use super::graph::{Cut, Telling, UnitSource};
use super::story::{self, article};
use super::{Analysis, Components, eval, graph, successors};
use crate::ast::EventKind;
use crate::diagnostic::{help, primary, secondary};
use crate::program::EntityId;
use crate::value::Label;

/// How many workflows deep a chain is followed. The run-time guard holds a chain long before
/// (8 hops by default), and the bound keeps the search linear in the size of the script where
/// long acyclic chains would make it quadratic.
const MAX_DEPTH: usize = 64;

/// A chain that makes a second record of an entity in the app the user's record is in.
#[derive(Clone, Debug)]
pub struct CopyReport {
    /// The user's change: entity and app (always a `new` one).
    pub entity: Arc<str>,
    pub app: Arc<str>,
    /// Every write along the chain; the last one is the second copy.
    pub steps: Vec<CycleStep>,
    /// What ends the chain after the copy: the unit it would set off and the breaker.
    pub stop: Option<(Arc<str>, Cut)>,
    pub fix: CopyFix,
}

/// The exact change that keeps the chain from coming back.
#[derive(Clone, Debug)]
pub enum CopyFix {
    /// The same advice as for a loop: a guard (or a stamp) on one workflow of the chain.
    Loop(CycleFix),
    /// The workflow has an origin guard, but on another label than the engine's.
    Relabel {
        workflow: Arc<str>,
        label: Label,
        engine: Label,
    },
}

impl Analysis<'_> {
    /// E0307 for each write that makes a second copy, outside loops already reported.
    pub(super) fn second_copies(&self, problems: &mut Vec<super::FlowError>) {
        let graph = self.graph;
        let n = graph.units.len();
        let cyclic = on_loops(graph);
        let mut writes_of = vec![Vec::new(); n];
        for (w, write) in graph.writes.iter().enumerate() {
            writes_of[write.unit].push(w);
        }
        let sources = self.copy_sources(&cyclic);
        // Breadth first over (unit, whether the chain has left the app), so the chain told is
        // a shortest one; the arrays are reused across entities, marked by a generation.
        let mut seen = vec![0u32; n * 2];
        let mut depth = vec![0usize; n * 2];
        let mut parent: Vec<Option<(usize, usize)>> = vec![None; n * 2];
        let mut generation = 0u32;
        let mut reported = BTreeSet::new();
        for (entity, roots) in sources {
            generation += 1;
            let home = self.program.entity(entity).app;
            let mut queue = std::collections::VecDeque::new();
            for &root in &roots {
                seen[root * 2] = generation;
                depth[root * 2] = 0;
                parent[root * 2] = None;
                queue.push_back(root * 2);
            }
            while let Some(state) = queue.pop_front() {
                let (unit, left) = (state / 2, state % 2 == 1);
                if depth[state] >= MAX_DEPTH {
                    continue;
                }
                if left {
                    for &w in &writes_of[unit] {
                        let write = &graph.writes[w];
                        if write.kind == EventKind::New
                            && write.entity == entity
                            && reported.insert(w)
                        {
                            let path = path_to(&parent, state);
                            problems.push(super::FlowError::SecondCopy(
                                self.copy_report(entity, &path, w),
                            ));
                        }
                    }
                }
                for &e in &graph.out[unit] {
                    let edge = &graph.edges[e];
                    if edge.cut.is_some() || cyclic[edge.to] {
                        continue;
                    }
                    let to_app = self.program.entity(graph.write_of(edge).entity).app;
                    let next = edge.to * 2 + usize::from(left || to_app != home);
                    if seen[next] != generation {
                        seen[next] = generation;
                        depth[next] = depth[state] + 1;
                        parent[next] = Some((state, e));
                        queue.push_back(next);
                    }
                }
            }
        }
    }

    /// For each entity some workflow creates, the units a user's new record of it sets off
    /// (those on no loop: loops are reported on their own).
    fn copy_sources(&self, cyclic: &[bool]) -> std::collections::BTreeMap<EntityId, Vec<usize>> {
        let graph = self.graph;
        let created: BTreeSet<EntityId> = graph
            .writes
            .iter()
            .filter(|write| write.kind == EventKind::New)
            .map(|write| write.entity)
            .collect();
        let mut sources: std::collections::BTreeMap<EntityId, Vec<usize>> = Default::default();
        for (u, unit) in graph.units.iter().enumerate() {
            let app = self
                .program
                .app(self.program.entity(unit.trigger_entity).app);
            if unit.trigger_kind == EventKind::New
                && created.contains(&unit.trigger_entity)
                && !cyclic[u]
                && app.emits(EventKind::New)
            {
                sources.entry(unit.trigger_entity).or_default().push(u);
            }
        }
        sources
    }

    fn copy_report(&self, entity: EntityId, path: &[usize], copy: usize) -> CopyReport {
        let graph = self.graph;
        let step = |w: usize| {
            let write = &graph.writes[w];
            let (entity, app) = self.entity_names(write.entity);
            CycleStep {
                unit: self.unit_name(write.unit),
                span: write.span,
                kind: write.kind,
                entity,
                app,
            }
        };
        let mut steps: Vec<CycleStep> = path.iter().map(|&e| step(graph.edges[e].write)).collect();
        steps.push(step(copy));
        let unit = graph.writes[copy].unit;
        let after: Vec<&graph::Edge> = graph.out[unit]
            .iter()
            .map(|&e| &graph.edges[e])
            .filter(|e| e.write == copy)
            .collect();
        let stop = if after.iter().all(|e| e.cut.is_some()) {
            after
                .first()
                .and_then(|e| e.cut.map(|cut| (self.unit_name(e.to), cut)))
        } else {
            None
        };
        let (entity, app) = self.entity_names(entity);
        CopyReport {
            entity,
            app,
            steps,
            stop,
            fix: self.copy_fix(path),
        }
    }

    /// A guard on the last workflow of the chain that can recognise the engine's record; a
    /// stamp or one-way flow where none can.
    fn copy_fix(&self, path: &[usize]) -> CopyFix {
        let engine = self.program.engine.clone();
        for &e in path.iter().rev() {
            let edge = &self.graph.edges[e];
            let write = self.graph.write_of(edge);
            let Some(workflow) = self.workflow(edge.to) else {
                continue;
            };
            let telling = graph::telling(self.program, write.entity, write.kind);
            let works = telling == Telling::Actor
                || (telling == Telling::Stamp && write.kind == EventKind::New);
            if !works {
                continue;
            }
            let mut labels = Vec::new();
            for (condition, _) in workflow.leading_conditions() {
                eval::origin_labels(condition, &mut labels);
            }
            if let Some((label, _)) = labels.into_iter().find(|(l, _)| *l != engine) {
                return CopyFix::Relabel {
                    workflow: workflow.name.clone(),
                    label,
                    engine,
                };
            }
            let (_, app) = self.entity_names(write.entity);
            let misplaced = eval::guard_after_write(workflow, &engine)
                .map(|_| workflow.name.clone())
                .into_iter()
                .collect();
            return CopyFix::Loop(CycleFix::AddGuards {
                guards: vec![(workflow.name.clone(), app, telling)],
                engine,
                misplaced,
            });
        }
        let last = &self.graph.edges[*path.last().expect("a copy comes after a step")];
        let write = self.graph.write_of(last);
        let (entity, app) = self.entity_names(write.entity);
        match (write.kind, self.graph.units[last.to].source) {
            (EventKind::New, UnitSource::Workflow(_)) => CopyFix::Loop(CycleFix::AddStamp {
                stamps: vec![(entity, app)],
                workflows: vec![self.unit_name(last.to)],
                engine,
            }),
            _ => CopyFix::Loop(CycleFix::OneWay { entity }),
        }
    }
}

/// The edges from a root to `state`, in order.
fn path_to(parent: &[Option<(usize, usize)>], mut state: usize) -> Vec<usize> {
    let mut edges = Vec::new();
    while let Some((previous, edge)) = parent[state] {
        edges.push(edge);
        state = previous;
    }
    edges.reverse();
    edges
}

type Labels = Vec<codespan_reporting::diagnostic::Label<usize>>;

impl CopyReport {
    pub(super) fn message(&self) -> String {
        let through = names(&step_units(&self.steps));
        format!(
            "{through} bring each {entity} a user creates in {app} back to {app} as a second copy",
            entity = self.entity,
            app = self.app
        )
    }

    /// `a user creates an event in Out → to_cal creates one in Cal → to_out creates a second
    /// one in Out → to_cal skips it: the chain ends there, one copy too late`
    fn story(&self) -> String {
        let mut parts = vec![story::user_start(EventKind::New, &self.entity, &self.app)];
        let mut previous = self.entity.to_string();
        let last = self.steps.len() - 1;
        for (i, s) in self.steps.iter().enumerate() {
            let step = story::Step {
                unit: s.unit.to_string(),
                kind: s.kind,
                entity: s.entity.to_string(),
                app: s.app.to_string(),
            };
            let text = story::step_text(&step, &previous);
            parts.push(if i == last {
                format!("{text} (a second copy)")
            } else {
                text
            });
            previous = s.entity.to_string();
        }
        if let Some((unit, cut)) = &self.stop {
            parts.push(format!(
                "{unit} {}: the chain ends one copy too late",
                stops(*cut)
            ));
        }
        parts.join(" → ")
    }

    pub(super) fn details(&self) -> (Labels, Vec<String>) {
        let last = self.steps.len() - 1;
        let labels = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let object = format!("{} {}", article(&s.entity), s.entity);
                if i == last {
                    primary(
                        s.span,
                        format!(
                            "… and `{}` creates a second {} in {}",
                            s.unit, s.entity, s.app
                        ),
                    )
                } else if i == 0 {
                    secondary(
                        s.span,
                        format!("`{}` {} {object} in {} …", s.unit, s.kind.does(), s.app),
                    )
                } else {
                    secondary(
                        s.span,
                        format!("… `{}` {} {object} in {} …", s.unit, s.kind.does(), s.app),
                    )
                }
            })
            .collect();
        let copier = &self.steps[last].unit;
        let why = format!(
            "the chain ends, so this is not a loop, but each {entity} a user creates in {app} is there twice: the user's and `{copier}`'s copy",
            entity = self.entity,
            app = self.app
        );
        let fix = match &self.fix {
            CopyFix::Loop(fix) => fix.help(),
            CopyFix::Relabel {
                workflow,
                label,
                engine,
            } => format!(
                "the guard of `{workflow}` compares `origin` with `{label}`, but the engine writes as `{engine}`: write `origin == {engine}` there, so the copy is recognised"
            ),
        };
        (
            labels,
            vec![format!("trace: {}", self.story()), why, help(fix)],
        )
    }
}

/// How a breaker stops the unit it would set off, for the end of a story.
fn stops(cut: Cut) -> &'static str {
    match cut {
        Cut::OriginGuard { .. } => "skips it by its guard",
        Cut::Contradiction { .. } => "skips it by its condition",
        Cut::Disjoint => "skips it by `changing`",
        Cut::SyncEcho => "knows it as its own echo",
    }
}

/// Whether each unit is on a loop of uncut edges.
fn on_loops(graph: &super::graph::FlowGraph) -> Vec<bool> {
    let uncut = successors(graph, |e| e.cut.is_none());
    let components = Components::new(&uncut);
    let mut cyclic = vec![false; graph.units.len()];
    for edge in graph.edges.iter().filter(|e| e.cut.is_none()) {
        if components.of[edge.from] == components.of[edge.to] {
            cyclic[edge.from] = true;
            cyclic[edge.to] = true;
        }
    }
    cyclic
}
