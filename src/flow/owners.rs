//! Ownership: one source of truth per entity, and data flowing one way out of it.

use std::collections::HashMap;
use std::sync::Arc;

use super::FlowError;
use crate::ast::EventKind;
use crate::program::*;
use crate::span::Span;

/// What writes along a flow: a workflow, or a sync (`sync ticket` in messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    Workflow(Arc<str>),
    /// A sync, by its entity's name.
    Sync(Arc<str>),
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unit::Workflow(name) => f.write_str(name),
            Unit::Sync(entity) => write!(f, "sync {entity}"),
        }
    }
}

/// A write of one app's data into another app: from the trigger's app to the action's.
struct Flow {
    from: AppId,
    to: AppId,
    /// The trigger's entity name and the written entity's name.
    read: Arc<str>,
    written: Arc<str>,
    unit: Unit,
    span: Span,
    /// An update triggered by an update (for W0404).
    update_to_update: bool,
}

fn flows(program: &Program) -> Vec<Flow> {
    let mut flows = Vec::new();
    for w in &program.workflows {
        let read = program.entity(w.trigger.entity).name.clone();
        for (action, (to, entity, kind)) in w
            .actions()
            .flat_map(|a| a.kind.all_writes().into_iter().map(move |write| (a, write)))
        {
            if to == w.trigger.app {
                continue;
            }
            flows.push(Flow {
                from: w.trigger.app,
                to,
                read: read.clone(),
                written: program.entity(entity).name.clone(),
                unit: Unit::Workflow(w.name.clone()),
                span: action.span,
                update_to_update: w.trigger.kind == EventKind::Updated
                    && kind == EventKind::Updated,
            });
        }
    }
    // A sync moves data along each mapping's direction.
    for sync in &program.syncs {
        let unit = Unit::Sync(sync.entity_name.clone());
        for (to_right, from, to) in [
            (true, sync.left, sync.right),
            (false, sync.right, sync.left),
        ] {
            if sync
                .mappings
                .iter()
                .any(|m| if to_right { m.to_right } else { m.to_left })
            {
                flows.push(Flow {
                    from: from.app,
                    to: to.app,
                    read: sync.entity_name.clone(),
                    written: sync.entity_name.clone(),
                    unit: unit.clone(),
                    span: sync.span,
                    update_to_update: false,
                });
            }
        }
    }
    flows
}

pub fn check(program: &Program, problems: &mut Vec<FlowError>) {
    let mut owners: HashMap<Arc<str>, &Owner> = HashMap::new();
    for owner in &program.owners {
        match owners.get(&owner.entity_name) {
            // The same line twice says nothing new.
            Some(first) if first.app == owner.app => {}
            Some(first) => problems.push(FlowError::TwoOwners {
                entity: owner.entity_name.clone(),
                first: (program.app(first.app).name.clone(), first.span),
                second: (program.app(owner.app).name.clone(), owner.span),
            }),
            None => {
                owners.insert(owner.entity_name.clone(), owner);
            }
        }
    }
    let flows = flows(program);
    let app_name = |a: AppId| program.app(a).name.clone();

    let mut reported_two_way: Vec<(AppId, Arc<str>, AppId)> = Vec::new();
    for (entity, owner) in &owners {
        let o = owner.app;
        for into in flows.iter().filter(|f| f.to == o && f.written == *entity) {
            let out = flows
                .iter()
                .find(|f| f.from == o && f.to == into.from && f.read == *entity);
            let key = (o, entity.clone(), into.from);
            if let Some(out) = out
                && !reported_two_way.contains(&key)
            {
                reported_two_way.push(key);
                problems.push(FlowError::TwoWayWithOwner {
                    owner: app_name(o),
                    entity: entity.clone(),
                    other: app_name(into.from),
                    into_owner: (into.unit.clone(), into.span),
                    out_of_owner: (out.unit.clone(), out.span),
                });
            }
        }
        for flow in &flows {
            let touches = flow.read == *entity || flow.written == *entity;
            if touches && flow.from != o && flow.to != o {
                problems.push(FlowError::FlowPastOwner {
                    owner: app_name(o),
                    entity: entity.clone(),
                    from: app_name(flow.from),
                    to: app_name(flow.to),
                    workflow: flow.unit.clone(),
                    span: flow.span,
                });
            }
        }
    }

    let mut reported_pairs: Vec<(AppId, AppId)> = Vec::new();
    for there in flows.iter().filter(|f| f.update_to_update) {
        let owned = owners.contains_key(&there.read) || owners.contains_key(&there.written);
        if owned || reported_pairs.contains(&(there.to, there.from)) {
            continue;
        }
        // The same entity, edited on both sides: not a confirmation written back elsewhere.
        let same = |f: &Flow| f.read == there.read && f.written == there.read;
        if !same(there) {
            continue;
        }
        let back = flows
            .iter()
            .find(|f| f.update_to_update && f.from == there.to && f.to == there.from && same(f));
        if let Some(back) = back {
            reported_pairs.push((there.from, there.to));
            problems.push(FlowError::UpdatesBothWays {
                entity: there.written.clone(),
                apps: (app_name(there.from), app_name(there.to)),
                there: (there.unit.clone(), there.span),
                back: (back.unit.clone(), back.span),
            });
        }
    }
}
