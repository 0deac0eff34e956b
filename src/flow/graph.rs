//! The flow graph: which workflow's writes can set off which workflow, and which of those
//! chains a breaker cuts.
//!
//! A node is `(app, entity, kind)`. Every workflow (and each of a `sync` block's six one-way
//! flows) is a *unit* triggered by one node; each write it makes reaches one node and so every
//! unit triggered there. Triggers are indexed by node, so the graph is built in time linear in
//! the number of workflows, actions and edges.

use std::collections::HashMap;

use super::eval::{Known, stopping_condition};
use crate::ast::EventKind;
use crate::program::*;
use crate::span::Span;
use crate::value::Value;

/// What sets a unit off and what it writes.
#[derive(Clone, Debug)]
pub struct Unit {
    pub source: UnitSource,
    pub trigger_entity: EntityId,
    pub trigger_kind: EventKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitSource {
    Workflow(WorkflowId),
    /// One of a sync block's one-way flows: from its left app to its right one, or back.
    Sync {
        sync: SyncId,
        to_right: bool,
    },
}

/// One write a unit makes.
#[derive(Clone, Debug)]
pub struct Write {
    pub unit: usize,
    pub entity: EntityId,
    pub kind: EventKind,
    /// The action, for labels.
    pub span: Span,
    /// Fields written with a constant value.
    pub constants: Vec<(FieldId, Value)>,
    /// The fields an update writes (`None`: not known, as for a sync's or a copy).
    pub fields: Option<Vec<FieldId>>,
    /// The arms of branches the action stands in, in words (see [`Action::arm`]).
    pub arm: Option<std::sync::Arc<str>>,
}

/// Why an edge cannot fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// A sync block's own echo, suppressed by its ledger.
    SyncEcho,
    /// The update writes none of the fields the trigger's `changing` names.
    Disjoint,
    /// A leading condition is false for the values the write certainly gives.
    Contradiction { condition: Span },
    /// A leading condition rejects the engine's own origin, which the app can tell.
    OriginGuard { guard: Span, by: Telling },
}

/// How an app tells who made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Telling {
    /// The app reports the actor of every change.
    Actor,
    /// The record keeps a stamp of its last writer: right for new records, stale after a
    /// person's later edit.
    Stamp,
    /// The app cannot tell (no actor reports, no stamp), or the event is a delete.
    Cannot,
}

impl Cut {
    /// A cut that holds only because of a stamp on an updated record, which a person's later
    /// edit leaves behind (E0304, W0305).
    pub fn is_stale_stamp(self, kind: EventKind) -> bool {
        matches!(
            self,
            Cut::OriginGuard {
                by: Telling::Stamp,
                ..
            }
        ) && kind == EventKind::Updated
    }
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub write: usize,
    pub to: usize,
    pub cut: Option<Cut>,
}

pub struct FlowGraph {
    pub units: Vec<Unit>,
    pub writes: Vec<Write>,
    pub edges: Vec<Edge>,
    /// Outgoing edges of each unit, by index into `edges`.
    pub out: Vec<Vec<usize>>,
}

impl FlowGraph {
    /// The units of workflows and syncs with their writes, then the edges between them.
    pub fn build(program: &Program) -> FlowGraph {
        let mut units = Vec::new();
        let mut writes = Vec::new();
        workflow_units(program, &mut units, &mut writes);
        sync_units(program, &mut units, &mut writes);
        let (edges, out) = edges(program, &units, &writes);
        FlowGraph {
            units,
            writes,
            edges,
            out,
        }
    }

    /// The write an edge stands for.
    pub fn write_of(&self, edge: &Edge) -> &Write {
        &self.writes[edge.write]
    }
}

/// A unit for each workflow, with its writes: each action's, and every kind of change to an
/// entity a call it makes says it `writes`.
fn workflow_units(program: &Program, units: &mut Vec<Unit>, writes: &mut Vec<Write>) {
    for (i, w) in program.workflows.iter().enumerate() {
        let unit = units.len();
        units.push(Unit {
            source: UnitSource::Workflow(WorkflowId(i)),
            trigger_entity: w.trigger.entity,
            trigger_kind: w.trigger.kind,
        });
        let mut constants = super::eval::constant_writes(w).into_iter();
        for action in w.actions() {
            for (_, entity, kind) in action.kind.all_writes() {
                let constants = constants.next().unwrap_or_default();
                writes.push(workflow_write(unit, entity, kind, action, constants));
            }
        }
        // A call that says it `writes` an entity may create, update or delete its records,
        // in whichever arm of a branch it stands.
        for step in crate::program::steps_within(&w.steps) {
            let StepKind::Call(call) = &step.kind else {
                continue;
            };
            for &entity in &program.app(call.app).calls[call.call].writes {
                for kind in EventKind::ALL {
                    writes.push(Write {
                        unit,
                        entity,
                        kind,
                        span: step.span,
                        constants: Vec::new(),
                        fields: None,
                        arm: None,
                    });
                }
            }
        }
    }
}

/// Two units for each sync and each kind of change, one a direction, each with its one write.
fn sync_units(program: &Program, units: &mut Vec<Unit>, writes: &mut Vec<Write>) {
    for (i, sync) in program.syncs.iter().enumerate() {
        for to_right in [true, false] {
            let (from, to) = if to_right {
                (sync.left, sync.right)
            } else {
                (sync.right, sync.left)
            };
            let fields: Vec<FieldId> = sync
                .mappings
                .iter()
                .filter_map(|m| m.written(to_right))
                .collect();
            for kind in EventKind::ALL {
                let unit = units.len();
                units.push(Unit {
                    source: UnitSource::Sync {
                        sync: SyncId(i),
                        to_right,
                    },
                    trigger_entity: from.entity,
                    trigger_kind: kind,
                });
                writes.push(Write {
                    unit,
                    entity: to.entity,
                    kind,
                    span: sync.span,
                    constants: Vec::new(),
                    fields: (kind == EventKind::Updated).then(|| fields.clone()),
                    arm: None,
                });
            }
        }
    }
}

/// The edges from each write to the units it sets off, and each unit's edges out.
fn edges(program: &Program, units: &[Unit], writes: &[Write]) -> (Vec<Edge>, Vec<Vec<usize>>) {
    // A workflow on a sync's conflicts is set off by the sync's updates, not by a node.
    let on_conflict = |unit: &Unit| match unit.source {
        UnitSource::Workflow(w) => program.workflow(w).trigger.conflict,
        UnitSource::Sync { .. } => None,
    };
    // A workflow on failed runs is set off by no write: it starts chains of its own (its
    // writes still set off others), and a failure of one raises nothing (E0211).
    let on_failure = |unit: &Unit| match unit.source {
        UnitSource::Workflow(w) => program.workflow(w).trigger.failed.is_some(),
        UnitSource::Sync { .. } => false,
    };
    let on_timer = |unit: &Unit| match unit.source {
        UnitSource::Workflow(w) => program.workflow(w).trigger.timer.is_some(),
        UnitSource::Sync { .. } => false,
    };
    let mut triggered: HashMap<(EntityId, EventKind), Vec<usize>> = HashMap::new();
    for (i, unit) in units.iter().enumerate() {
        if on_conflict(unit).is_some() || on_failure(unit) {
            continue;
        }
        triggered
            .entry((unit.trigger_entity, unit.trigger_kind))
            .or_default()
            .push(i);
        // A timer is planned by a new record as by a change of its field.
        if on_timer(unit) {
            triggered
                .entry((unit.trigger_entity, EventKind::New))
                .or_default()
                .push(i);
        }
    }
    let mut edges = Vec::new();
    let mut out = vec![Vec::new(); units.len()];
    for (w, write) in writes.iter().enumerate() {
        let app = program.app(program.entity(write.entity).app);
        if !app.emits(write.kind) {
            continue;
        }
        for &to in triggered
            .get(&(write.entity, write.kind))
            .into_iter()
            .flatten()
        {
            let cut = breaker(program, units, write, to);
            out[write.unit].push(edges.len());
            edges.push(Edge {
                from: write.unit,
                write: w,
                to,
                cut,
            });
        }
    }
    // An update the sync carries across can conflict, and so set them off.
    for (to, unit) in units.iter().enumerate() {
        let Some(sync) = on_conflict(unit) else {
            continue;
        };
        for (w, write) in writes.iter().enumerate() {
            let from = &units[write.unit];
            if matches!(from.source, UnitSource::Sync { sync: s, .. } if s == sync)
                && from.trigger_kind == EventKind::Updated
            {
                out[write.unit].push(edges.len());
                edges.push(Edge {
                    from: write.unit,
                    write: w,
                    to,
                    cut: None,
                });
            }
        }
    }
    (edges, out)
}

fn workflow_write(
    unit: usize,
    entity: EntityId,
    kind: EventKind,
    action: &Action,
    constants: Vec<(FieldId, Value)>,
) -> Write {
    let fields = match &action.kind {
        ActionKind::Update { fields, .. } => Some(fields.iter().map(|a| a.field).collect()),
        ActionKind::Upsert { fields, .. } if kind == EventKind::Updated => {
            Some(fields.iter().map(|a| a.field).collect())
        }
        _ => None,
    };
    Write {
        unit,
        entity,
        kind,
        span: action.span,
        constants,
        fields,
        arm: action.arm.clone(),
    }
}

/// How the app of an entity tells the origin of an event of this kind.
pub fn telling(program: &Program, entity: EntityId, kind: EventKind) -> Telling {
    let e = program.entity(entity);
    if program.app(e.app).reports_actor {
        Telling::Actor
    } else if e.stores_stamps() && kind != EventKind::Deleted {
        Telling::Stamp
    } else {
        Telling::Cannot
    }
}

/// The breaker that cuts `write → to`, if any, in the order the spec lists them.
fn breaker(program: &Program, units: &[Unit], write: &Write, to: usize) -> Option<Cut> {
    let from = &units[write.unit];
    let target = &units[to];
    if let (UnitSource::Sync { sync: a, .. }, UnitSource::Sync { sync: b, .. }) =
        (from.source, target.source)
        && a == b
    {
        return Some(Cut::SyncEcho);
    }
    let workflow = match target.source {
        UnitSource::Workflow(workflow) => workflow,
        // A sync passes on only changes to the fields it maps; other updates match its ledger.
        UnitSource::Sync { sync, to_right } => {
            let s = &program.syncs[sync.0];
            // A computed mapping passes on changes to any field its expression reads.
            let mapped: Vec<FieldId> = s.mappings.iter().flat_map(|m| m.read(to_right)).collect();
            return match (&write.fields, write.kind) {
                (Some(fields), EventKind::Updated)
                    if !fields.iter().any(|f| mapped.contains(f)) =>
                {
                    Some(Cut::Disjoint)
                }
                _ => None,
            };
        }
    };
    let workflow = program.workflow(workflow);
    let app = program.app(program.entity(write.entity).app);
    // The engine plans a timer again only when its field changes, whatever the app reports.
    if !workflow.trigger.changing.is_empty()
        && (app.reports_changes || workflow.trigger.timer.is_some())
        && let Some(fields) = &write.fields
        && !fields.iter().any(|f| workflow.trigger.changing.contains(f))
    {
        return Some(Cut::Disjoint);
    }
    let mut known = Known {
        fields: write.constants.clone(),
        origin: None,
    };
    if let Some(condition) = stopping_condition(workflow, &known) {
        return Some(Cut::Contradiction { condition });
    }
    let by = telling(program, write.entity, write.kind);
    // A timer's run comes from the clock, whoever wrote the record: no origin guard cuts it.
    if by == Telling::Cannot || workflow.trigger.timer.is_some() {
        return None;
    }
    known.origin = Some(program.engine.clone());
    stopping_condition(workflow, &known).map(|guard| Cut::OriginGuard { guard, by })
}
