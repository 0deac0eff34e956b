//! Branches, as the flow analysis sees them: one path at a time.
//!
//! A workflow with `if … { } else { }` is, for the proofs, as many workflows as it has paths,
//! each a straight line of steps in which the arm's condition (and the negation of the arms
//! above it) is a guard. Everything the analysis knows about guards then holds per arm: a
//! guard inside an arm cuts only the chains that arm's writes start, and an arm whose
//! condition the incoming write contradicts is cut like any contradiction.
//!
//! ```text
//! workflow route {                          # two paths:
//!   on new payment in Stripe                #   continue if kind == "paid"
//!   if kind == "paid" { create … }          #   create …
//!   else { unless origin == weir  update … }  #   unless kind == "paid", unless origin == weir, update …
//! }
//! ```
//!
//! A `for` is a branch of two paths too: its steps taken once, after a `for` with no steps
//! that marks where they start (the item is then a value nothing is known of, and `--stats`
//! counts what follows per item), or not at all, for an empty list. A guard inside a `for`
//! ends the whole run, as everywhere, so it cuts what comes after it on its path.
//!
//! Paths multiply with branches one after another; past [`MAX_PATHS`] the remaining branches
//! are taken whole, every arm's writes on one path with no guard from inside them, which cuts
//! less and so proves no more than is true.

use crate::program::{Program, Step, StepKind, Workflow, WorkflowId};
use std::borrow::Cow;

/// The most paths one workflow is followed on separately.
pub const MAX_PATHS: usize = 64;

/// The program with every branching workflow replaced by its paths, and for each workflow of
/// the result the workflow of `program` it comes from (the same program, borrowed, when no
/// workflow branches).
pub fn flatten(program: &Program) -> (Cow<'_, Program>, Vec<WorkflowId>) {
    if !program.workflows.iter().any(Workflow::has_branches) {
        let ids = (0..program.workflows.len()).map(WorkflowId).collect();
        return (Cow::Borrowed(program), ids);
    }
    let mut flat = program.clone();
    flat.workflows.clear();
    let mut origin = Vec::new();
    for (i, w) in program.workflows.iter().enumerate() {
        if !w.has_branches() {
            flat.workflows.push(w.clone());
            origin.push(WorkflowId(i));
            continue;
        }
        for steps in paths_of(&w.steps) {
            let mut path = w.clone();
            path.steps = steps;
            flat.workflows.push(path);
            origin.push(WorkflowId(i));
        }
    }
    (Cow::Owned(flat), origin)
}

/// Every path through `steps`, each a straight line of steps.
fn paths_of(steps: &[Step]) -> Vec<Vec<Step>> {
    let mut paths: Vec<Vec<Step>> = vec![Vec::new()];
    for step in steps {
        let choices = match &step.kind {
            StepKind::Branch { arms, otherwise } => arm_choices(arms, otherwise),
            StepKind::For { steps, .. } if !steps.is_empty() => {
                let mut once = vec![for_marker(step)];
                once.extend(steps.iter().cloned());
                vec![once, Vec::new()]
            }
            _ => {
                for path in &mut paths {
                    path.push(step.clone());
                }
                continue;
            }
        };
        let inner: Vec<Vec<Step>> = choices.iter().flat_map(|c| paths_of(c)).collect();
        if paths.len().saturating_mul(inner.len()) > MAX_PATHS {
            let whole = without_guards(step);
            for path in &mut paths {
                path.extend(whole.iter().cloned());
            }
            continue;
        }
        paths = paths
            .into_iter()
            .flat_map(|before| {
                inner.iter().map(move |steps| {
                    let mut path = before.clone();
                    path.extend(steps.iter().cloned());
                    path
                })
            })
            .collect();
    }
    paths
}

/// The steps of each arm of a branch, after the guards that choose it.
fn arm_choices(arms: &[crate::program::Arm], otherwise: &[Step]) -> Vec<Vec<Step>> {
    let mut choices: Vec<Vec<Step>> = Vec::new();
    let mut above = Vec::new();
    for arm in arms {
        let mut chosen: Vec<Step> = above.clone();
        chosen.push(guard(&arm.condition, true));
        chosen.extend(arm.steps.iter().cloned());
        choices.push(chosen);
        above.push(guard(&arm.condition, false));
    }
    above.extend(otherwise.iter().cloned());
    choices.push(above);
    choices
}

/// A `for` without its steps: on a path, the place where the steps of each item start.
fn for_marker(step: &Step) -> Step {
    let StepKind::For {
        item, list, label, ..
    } = &step.kind
    else {
        unreachable!("expected a `for`, found {:?}", step.kind)
    };
    Step {
        span: step.span,
        limit: None,
        kind: StepKind::For {
            item: *item,
            list: list.clone(),
            label: label.clone(),
            steps: Vec::new(),
        },
    }
}

fn guard(condition: &crate::program::Expr, continue_when: bool) -> Step {
    Step {
        span: condition.span,
        limit: None,
        kind: StepKind::Guard {
            condition: condition.clone(),
            continue_when,
        },
    }
}

/// A branch taken whole: the `let`s and actions of every arm, without its guards.
fn without_guards(step: &Step) -> Vec<Step> {
    let mut out = Vec::new();
    match &step.kind {
        StepKind::Branch { arms, otherwise } => {
            for inner in arms.iter().flat_map(|a| &a.steps).chain(otherwise) {
                out.extend(without_guards(inner));
            }
        }
        StepKind::For { steps, .. } => {
            out.push(for_marker(step));
            for inner in steps {
                out.extend(without_guards(inner));
            }
        }
        StepKind::Guard { .. } => {}
        StepKind::Let(..)
        | StepKind::Lookup(..)
        | StepKind::Action(_)
        | StepKind::Call(_)
        | StepKind::Wait(_) => out.push(step.clone()),
    }
    out
}
