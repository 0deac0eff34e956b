//! Telling a chain of workflows as a story a person can follow:
//! `a user creates an event in Calendar → to_outlook creates one in Outlook → …`.

use crate::ast::EventKind;
pub use crate::words::article;

/// One step of a chain: a unit's write.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The workflow's name (or a sync's description).
    pub unit: String,
    pub kind: EventKind,
    pub entity: String,
    pub app: String,
}

/// `a user creates an event in Calendar`
pub fn user_start(kind: EventKind, entity: &str, app: &str) -> String {
    format!(
        "a user {} {} {entity} in {app}",
        kind.does(),
        article(entity)
    )
}

/// `to_outlook creates one in Outlook` (or `… creates a patient in EHR` when the entity
/// changes from the step before).
pub fn step_text(step: &Step, previous_entity: &str) -> String {
    let object = if step.entity == previous_entity {
        match step.kind {
            EventKind::New => "one".to_string(),
            _ => "it".to_string(),
        }
    } else {
        format!("{} {}", article(&step.entity), step.entity)
    };
    format!(
        "{} {} {object} in {}",
        step.unit,
        step.kind.does(),
        step.app
    )
}

/// The whole loop: the user's change, each step once, then the first step again and `…`.
pub fn cycle_story(start: (EventKind, &str, &str), steps: &[Step]) -> String {
    let (kind, entity, app) = start;
    let mut parts = vec![user_start(kind, entity, app)];
    let mut previous = entity.to_string();
    for step in steps {
        parts.push(step_text(step, &previous));
        previous = step.entity.clone();
    }
    if let Some(first) = steps.first() {
        parts.push(format!("{} …", first.unit));
    }
    let tail = if steps.iter().all(|s| s.kind == EventKind::New) {
        "(a new record every turn)"
    } else if steps.iter().all(|s| s.kind == EventKind::Updated) {
        "(the same records, updated every turn)"
    } else {
        "(forever)"
    };
    format!("{} {tail}", parts.join(" → "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_way_mirror_reads_as_the_spec_shows() {
        let steps = [
            Step {
                unit: "to_outlook".into(),
                kind: EventKind::New,
                entity: "event".into(),
                app: "Outlook".into(),
            },
            Step {
                unit: "to_calendar".into(),
                kind: EventKind::New,
                entity: "event".into(),
                app: "Calendar".into(),
            },
        ];
        assert_eq!(
            cycle_story((EventKind::New, "event", "Calendar"), &steps),
            "a user creates an event in Calendar → to_outlook creates one in Outlook → to_calendar creates one in Calendar → to_outlook … (a new record every turn)"
        );
    }
}
