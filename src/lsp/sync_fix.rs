//! The fix that turns mirror workflows into the `sync` the checker proposes (E0301, E0304):
//! every workflow that copies one entity between the two apps, field for field, is removed and
//! one `sync ENTITY between LEFT and RIGHT { … }` takes their place, with a mapping for each
//! copied field (`<->` where both directions copy it).
//!
//! Offered only when the workflows are plain mirrors: each triggers on the entity in one of the
//! two apps, writes only that entity in the other, and assigns only trigger fields. Anything
//! else (a computed value, a condition, a second write) a sync could not express.

use crate::ast::{self, Item};
use crate::flow::{CycleFix, FlowError, StaleFix};
use crate::program::{ActionKind, AppId, ExprKind, Program, StepKind, Workflow};
use crate::span::Span;

use super::actions::Fix;
use super::analysis::Analysis;

pub fn sync_fix(finding: &FlowError, analysis: &Analysis, program: &Program) -> Option<Fix> {
    let (entity, left, right) = mirrored(finding)?;
    let place = super::actions::primary_place(finding);
    let (left_id, right_id) = (program.app_named(left)?, program.app_named(right)?);
    let left_entity = program.entity_named(left_id, entity)?;
    let right_entity = program.entity_named(right_id, entity)?;
    // (left field, right field, left to right, right to left)
    let mut mappings: Vec<(String, String, bool, bool)> = Vec::new();
    let mut mirrors: Vec<Span> = Vec::new();
    for w in &program.workflows {
        let Some(copies) = copies(w, program, (left_id, right_id), (left_entity, right_entity))
        else {
            continue;
        };
        for (left_field, right_field, to_right) in copies {
            match mappings
                .iter_mut()
                .find(|m| m.0 == left_field && m.1 == right_field)
            {
                Some(m) if to_right => m.2 = true,
                Some(m) => m.3 = true,
                None => mappings.push((left_field, right_field, to_right, !to_right)),
            }
        }
        mirrors.push(w.span);
    }
    if mirrors.len() < 2 || mappings.is_empty() {
        return None;
    }
    let sync = sync_text(entity, left, right, &mappings);
    let mut edits = Vec::new();
    for (i, span) in mirrors.iter().enumerate() {
        let text = analysis.text(span.file);
        // Whole lines, with the line break after, so no blank line is left behind.
        let start = text[..span.start as usize].rfind('\n').map_or(0, |n| n + 1);
        let end = text[span.end as usize..]
            .find('\n')
            .map_or(text.len(), |n| span.end as usize + n + 1);
        let replacement = if i == 0 {
            format!("{sync}\n")
        } else {
            String::new()
        };
        edits.push((Span::new(span.file, start, end), replacement));
    }
    // Items the workflows' spans came from must be workflows of the scripts.
    let all_workflows = mirrors
        .iter()
        .all(|span| workflow_at(analysis, *span).is_some());
    all_workflows.then(|| Fix {
        title: format!(
            "replace the mirror workflows with `sync {entity} between {left} and {right}`"
        ),
        place,
        edits,
    })
}

/// The entity and the two apps of a finding the sync would settle: a loop between two apps.
fn mirrored(finding: &FlowError) -> Option<(&str, &str, &str)> {
    match finding {
        FlowError::Cycle(report) => match &report.fix {
            CycleFix::SyncOrOwner { entity, apps } if apps.len() == 2 => {
                Some((entity, &apps[0], &apps[1]))
            }
            _ => None,
        },
        FlowError::StaleStampCycle {
            fix:
                StaleFix::SyncOrOwner {
                    entity,
                    left,
                    right,
                },
            ..
        } => Some((entity, left, right)),
        _ => None,
    }
}

/// `sync ENTITY between LEFT and RIGHT { … }` with a line per copied field.
fn sync_text(
    entity: &str,
    left: &str,
    right: &str,
    mappings: &[(String, String, bool, bool)],
) -> String {
    let mut lines = vec![format!("sync {entity} between {left} and {right} {{")];
    for (l, r, to_right, to_left) in mappings {
        let arrow = match (to_right, to_left) {
            (true, true) => "<->",
            (true, false) => "->",
            _ => "<-",
        };
        lines.push(format!("  {l} {arrow} {r}"));
    }
    lines.push("}".to_string());
    lines.join("\n")
}

/// The workflow of the program's scripts whose span is `span`.
pub(super) fn workflow_at(analysis: &Analysis, span: Span) -> Option<&ast::Workflow> {
    analysis
        .script(span.file)?
        .items
        .iter()
        .find_map(|item| match item {
            Item::Workflow(w) if w.span == span => Some(w),
            _ => None,
        })
}

/// The fields a plain mirror workflow copies: `(left field, right field, left to right)`.
fn copies(
    w: &Workflow,
    program: &Program,
    apps: (AppId, AppId),
    entities: (crate::program::EntityId, crate::program::EntityId),
) -> Option<Vec<(String, String, bool)>> {
    let to_right = if w.trigger.app == apps.0 && w.trigger.entity == entities.0 {
        true
    } else if w.trigger.app == apps.1 && w.trigger.entity == entities.1 {
        false
    } else {
        return None;
    };
    // Origin guards are what the sync replaces; any other step it could not express.
    let plain = w.steps.iter().all(|step| match &step.kind {
        StepKind::Guard { condition, .. } => is_origin_test(condition, &|kind| match kind {
            ExprKind::Origin => true,
            ExprKind::TriggerField(f) => program.field(w.trigger.entity, *f).is_stamp,
            _ => false,
        }),
        StepKind::Let(..)
        | StepKind::Call(_)
        | StepKind::Lookup(..)
        | StepKind::Branch { .. }
        | StepKind::For { .. }
        | StepKind::Wait(_) => false,
        StepKind::Action(_) => true,
    });
    if w.trigger.condition.is_some() || !plain || w.actions().count() != 1 {
        return None;
    }
    let action = w.actions().next()?;
    let (target, fields) = match &action.kind {
        ActionKind::Create {
            entity,
            fields,
            copy: None,
            ..
        }
        | ActionKind::Update { entity, fields, .. } => (*entity, fields),
        _ => return None,
    };
    let (source, expected) = if to_right {
        entities
    } else {
        (entities.1, entities.0)
    };
    if target != expected {
        return None;
    }
    fields
        .iter()
        .map(|assign| {
            let ExprKind::TriggerField(from) = assign.value.kind else {
                return None;
            };
            let from = program.field(source, from).name.to_string();
            let to = program.field(target, assign.field).name.to_string();
            Some(if to_right {
                (from, to, true)
            } else {
                (to, from, false)
            })
        })
        .collect()
}

/// `origin == label`, `origin != label`, `origin in [...]`, either way round; `is_origin` says
/// which expressions read who made the change (the actor, or the record's stamp).
fn is_origin_test(e: &crate::program::Expr, is_origin: &dyn Fn(&ExprKind) -> bool) -> bool {
    match &e.kind {
        ExprKind::Binary(_, left, right) => is_origin(&left.kind) || is_origin(&right.kind),
        ExprKind::Not(inner) => is_origin_test(inner, is_origin),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_with_origin_guards_become_one_sync() {
        let text = "app Cal {\n  event { title: text, notes: text, origin: stamp }\n}\napp Out {\n  event { subject: text, notes: text, origin: stamp }\n}\n\non updated event in Cal do update event in Out linked { subject: title, notes: notes } unless origin == weir\non updated event in Out do update event in Cal linked { title: subject } unless origin == weir\n";
        let analysis = Analysis::new("x.weir", text);
        let program = analysis.program().unwrap();
        let fixes: Vec<Fix> = analysis
            .flow
            .iter()
            .filter_map(|f| sync_fix(f, &analysis, program))
            .collect();
        assert_eq!(fixes.len(), 1, "{:?}", analysis.flow);
        let guard = text.find("unless").unwrap();
        assert_eq!(
            fixes[0].place.start as usize, guard,
            "offered where the error points"
        );
        assert_eq!(
            fixes[0].edits[0].1,
            "sync event between Cal and Out {\n  title <-> subject\n  notes -> notes\n}\n"
        );
    }
}
