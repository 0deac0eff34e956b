//! How much one user's change can set off: for each trigger, the most runs and actions that
//! follow from a single event, assuming every condition lets it through and every write
//! reaches one record. Loops make the answer unbounded.
//!
//! A `for` repeats its steps for each item of a list, whose length is known only when the
//! workflow runs: counts that a `for` can reach are given per item, that is for lists of one
//! item (`3 per item`); each further item repeats the steps inside the `for`, and what they
//! set off.

use std::collections::HashMap;
use std::sync::Arc;

use super::graph::FlowGraph;
use super::scc;
use crate::ast::EventKind;
use crate::program::{FailedOf, Program};

pub struct TriggerStats {
    pub kind: EventKind,
    pub entity: Arc<str>,
    pub app: Arc<str>,
    /// `None` when a loop the checker could not rule out is reachable.
    pub runs: Option<u64>,
    pub actions: Option<u64>,
    /// A `for` is reached: the actions are counted for lists of one item.
    pub per_item: bool,
    /// A `for` may set off further runs, counted for lists of one item.
    pub runs_per_item: bool,
    /// Workflows on failed runs start here rather than at a change: `failed run of to_desk`,
    /// `failed run of any workflow`.
    pub failed: Option<Arc<str>>,
}

/// What starts the units of one row: a kind of change of an entity, or a failure.
type Start = (usize, EventKind, Option<Arc<str>>);

/// `failed run of to_desk`, or `failed run of any workflow`, for a workflow on failed runs.
fn failure_start(program: &Program, unit: &super::graph::Unit) -> Option<Arc<str>> {
    let super::graph::UnitSource::Workflow(w) = unit.source else {
        return None;
    };
    Some(Arc::from(match program.workflow(w).trigger.failed? {
        FailedOf::Any => "failed run of any workflow".to_string(),
        of => of.words(program),
    }))
}

/// The statistics of a program, its branches followed one path at a time.
pub fn of(program: &Program) -> Vec<TriggerStats> {
    let (flat, _) = super::paths::flatten(program);
    let graph = FlowGraph::build(&flat);
    compute(&flat, &graph)
}

#[expect(
    clippy::too_many_lines,
    reason = "one walk of the components, sinks first, carrying runs, actions and repeats together so each unit is visited once"
)]
pub fn compute(program: &Program, graph: &FlowGraph) -> Vec<TriggerStats> {
    let n = graph.units.len();
    let mut succ = vec![Vec::new(); n];
    for edge in graph.edges.iter().filter(|e| e.cut.is_none()) {
        succ[edge.from].push(edge.to);
    }
    let own_actions: Vec<u64> = graph
        .units
        .iter()
        .enumerate()
        .map(|(u, unit)| match unit.source {
            super::graph::UnitSource::Workflow(w) => program.workflow(w).actions().count() as u64,
            super::graph::UnitSource::Sync { .. } => {
                graph.writes.iter().filter(|w| w.unit == u).count() as u64
            }
        })
        .collect();
    let own_repeats: Vec<bool> = graph
        .units
        .iter()
        .map(|unit| match unit.source {
            super::graph::UnitSource::Workflow(w) => {
                crate::program::steps_within(&program.workflow(w).steps)
                    .iter()
                    .any(|s| matches!(s.kind, crate::program::StepKind::For { .. }))
            }
            super::graph::UnitSource::Sync { .. } => false,
        })
        .collect();
    let mut repeats = own_repeats.clone();
    let mut runs_repeat = vec![false; n];
    // Components come sinks first, so every successor is done before the units that reach it.
    let mut runs: Vec<Option<u64>> = vec![None; n];
    let mut actions: Vec<Option<u64>> = vec![None; n];
    for component in scc::components(&succ) {
        let cyclic = component.len() > 1 || succ[component[0]].contains(&component[0]);
        if cyclic {
            continue;
        }
        let u = component[0];
        let kept: Vec<usize> = graph.out[u]
            .iter()
            .copied()
            .filter(|&e| graph.edges[e].cut.is_none())
            .collect();
        // Each write sets off every unit triggered where it lands, but of the paths of one
        // branching workflow only one runs: the most of them counts, not their sum.
        let per_write = |values: &[Option<u64>]| {
            let mut most: HashMap<(usize, Alternative), Option<u64>> = HashMap::new();
            for &e in &kept {
                let edge = &graph.edges[e];
                let key = (edge.write, alternative(program, graph, edge.to));
                let entry = most.entry(key).or_insert(Some(0));
                *entry = entry.zip(values[edge.to]).map(|(x, y)| x.max(y));
            }
            most.into_values()
                .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
        };
        repeats[u] |= kept.iter().any(|&e| repeats[graph.edges[e].to]);
        runs_repeat[u] = kept
            .iter()
            .any(|&e| own_repeats[u] || runs_repeat[graph.edges[e].to]);
        runs[u] = per_write(&runs).map(|r| r.saturating_add(1));
        actions[u] = per_write(&actions).map(|a| a.saturating_add(own_actions[u]));
    }
    let mut order: Vec<Start> = Vec::new();
    let mut started: HashMap<Start, Vec<usize>> = HashMap::new();
    for (u, unit) in graph.units.iter().enumerate() {
        let failed = failure_start(program, unit);
        if failed.is_none()
            && !program
                .app(program.entity(unit.trigger_entity).app)
                .emits(unit.trigger_kind)
        {
            continue;
        }
        let key = (unit.trigger_entity.0, unit.trigger_kind, failed);
        let entry = started.entry(key.clone()).or_default();
        if entry.is_empty() {
            order.push(key);
        }
        entry.push(u);
    }
    order
        .into_iter()
        .map(|start| {
            let units = &started[&start];
            let (entity, kind, failed) = start;
            let sum = |values: &[Option<u64>]| {
                let mut most: HashMap<Alternative, Option<u64>> = HashMap::new();
                for &u in units {
                    let entry = most
                        .entry(alternative(program, graph, u))
                        .or_insert(Some(0));
                    *entry = entry.zip(values[u]).map(|(x, y)| x.max(y));
                }
                most.into_values()
                    .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
            };
            let e = &program.entities[entity];
            TriggerStats {
                kind,
                entity: e.name.clone(),
                app: program.app(e.app).name.clone(),
                runs: sum(&runs),
                actions: sum(&actions),
                per_item: units.iter().any(|&u| repeats[u]),
                runs_per_item: units.iter().any(|&u| runs_repeat[u]),
                failed,
            }
        })
        .collect()
}

/// Units of which at most one runs for an event: the paths of one workflow (they share its
/// span), or a unit alone.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Alternative {
    Workflow(crate::span::Span),
    Unit(usize),
}

fn alternative(program: &Program, graph: &FlowGraph, unit: usize) -> Alternative {
    match graph.units[unit].source {
        super::graph::UnitSource::Workflow(w) => Alternative::Workflow(program.workflow(w).span),
        super::graph::UnitSource::Sync { .. } => Alternative::Unit(unit),
    }
}

/// The table `weir check --stats` prints.
pub fn table(stats: &[TriggerStats]) -> String {
    let rows: Vec<(String, String, String)> = stats
        .iter()
        .map(|s| {
            let show = |v: Option<u64>, per_item: bool| match v {
                None => "unbounded".to_string(),
                Some(v) if per_item => format!("{v} per item"),
                Some(v) => v.to_string(),
            };
            let trigger = match &s.failed {
                Some(failed) => failed.to_string(),
                None if &*s.app == crate::program::CLOCK_APP => "the clock (schedules)".to_string(),
                None => format!("{} {} in {}", s.kind, s.entity, s.app),
            };
            (
                trigger,
                show(s.runs, s.runs_per_item),
                show(s.actions, s.per_item),
            )
        })
        .collect();
    let width = rows
        .iter()
        .map(|r| r.0.len())
        .max()
        .unwrap_or(0)
        .max("a user's change".len());
    // Counts per item are wider than the headings' 9 columns.
    let column = rows
        .iter()
        .map(|r| r.1.len().max(r.2.len()))
        .max()
        .unwrap_or(0)
        .max(9);
    let mut out = format!(
        "{:width$}  {:>column$}  {:>column$}\n",
        "a user's change", "runs", "actions"
    );
    for (trigger, runs, actions) in rows {
        out.push_str(&format!(
            "{trigger:width$}  {runs:>column$}  {actions:>column$}\n"
        ));
    }
    out.push_str("(the most one change can set off: every condition passing, each write reaching one record)\n");
    if stats.iter().any(|s| s.per_item && s.actions.is_some()) {
        out.push_str("(`per item`: with one item in each list a `for` walks; each further item repeats the steps inside it)\n");
    }
    out
}
