//! A trigger's rate limit, `at most once per WINDOW [per FIELD]`: the window must have a
//! length (E0212) and `FIELD` must be a field of the trigger record (E0103).
//!
//! ```text
//! on new reading in Sensors where value > 90 at most once per 60s per device do notify "hot"
//!     # fine: one alert a minute for each device
//! on new reading in Sensors at most once per 0s do notify "hot"
//!     # E0212: a window of `0s` lets every run through
//! ```
//!
//! Limits say nothing about loops: a limited chain that feeds itself runs once per window,
//! forever, so the flow proofs look past them.

use std::collections::HashMap;
use std::sync::Arc;

use super::Checker;
use super::error::{CheckError, Parts};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{help, primary};
use crate::program::{EntityId, Limit, Step, StepKind, StepLimit, Trigger};
use crate::span::Span;

/// What can be wrong with a rate limit.
#[derive(Clone, Debug)]
pub enum LimitProblem {
    /// E0212: `at most once per 0s`.
    NoWindow { span: Span, written: String },
    /// E0103: `per FIELD` in a workflow with no trigger record (a schedule, `on failed run`).
    PerWithoutRecord { span: Span, field: String },
}

impl LimitProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            LimitProblem::NoWindow { .. } => Code::E0212,
            LimitProblem::PerWithoutRecord { .. } => Code::E0103,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            LimitProblem::NoWindow { span, written } => (
                format!("a rate limit of `{written}` limits nothing"),
                vec![primary(
                    *span,
                    "a window with no length lets every run through",
                )],
                vec![help(
                    "give the window a length, as in `at most once per 60s`, or remove the limit",
                )],
            ),
            LimitProblem::PerWithoutRecord { span, field } => (
                format!("`per {field}` reads the trigger record, and this workflow has none"),
                vec![primary(
                    *span,
                    "a schedule or a failed run has no record to take it from",
                )],
                vec![help(format!(
                    "remove `per {field}`: one window then holds every run"
                ))],
            ),
        }
    }
}

impl Checker<'_> {
    /// The trigger's `at most once per …`, with `per FIELD` a field of `entity`.
    pub(super) fn rate_limit(&mut self, t: &ast::Trigger, entity: EntityId) -> Option<Limit> {
        let limit = t.limit.as_ref()?;
        Some(self.limit_of(limit, entity))
    }

    /// A step's `at most once per …`, with `per FIELD` a field of the trigger record.
    pub(super) fn step_limit(&mut self, step: &ast::Step, trigger: &Trigger) -> Option<StepLimit> {
        let limit = step.limit.as_ref()?;
        Some(StepLimit {
            limit: self.limit_of(limit, trigger.entity),
            slot: Arc::from(step_identity(self.sources.slice(step.span))),
            line: self.sources.line_of(limit.span) as u32,
        })
    }

    fn limit_of(&mut self, limit: &ast::RateLimit, entity: EntityId) -> Limit {
        let window = limit.window.node.seconds();
        let no_record = self.program.app(self.program.entity(entity).app).is_clock();
        let per = limit.per.as_ref().map(|field| {
            if no_record {
                let (span, field) = (field.span, field.node.to_string());
                self.report(CheckError::Limit(LimitProblem::PerWithoutRecord {
                    span,
                    field,
                }));
                return None;
            }
            self.field(entity, field)
        });
        if window == 0 {
            self.report(CheckError::Limit(LimitProblem::NoWindow {
                span: limit.window.span,
                written: limit.window.node.to_string(),
            }));
        }
        Limit {
            window,
            per: per.flatten(),
            span: limit.span,
        }
    }
}

/// What a limited step does as written, as a short digest: its text without whitespace and
/// comments outside quotes, so that `weir fmt`, a comment or an edit of another step leaves it.
fn step_identity(written: &str) -> String {
    let mut bare = String::with_capacity(written.len());
    let (mut quoted, mut escaped, mut comment) = (false, false, false);
    for c in written.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if quoted {
            bare.push(c);
            (quoted, escaped) = (escaped || c != '"', !escaped && c == '\\');
            continue;
        }
        match c {
            '#' => comment = true,
            c if c.is_whitespace() => {}
            c => {
                quoted = c == '"';
                bare.push(c);
            }
        }
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, bare.as_bytes());
    // Marked, so that it never reads as the line number earlier journals keyed windows by.
    format!("@{}", hex::encode(&digest.as_ref()[..6]))
}

/// Numbers the limited steps of a workflow that do the same (`…/2` for the second), so that
/// each keeps windows of its own.
pub(super) fn number_step_limits(steps: &mut [Step]) {
    fn walk(steps: &mut [Step], seen: &mut HashMap<Arc<str>, u32>) {
        for step in steps {
            if let Some(limit) = &mut step.limit {
                let n = seen.entry(limit.slot.clone()).or_default();
                *n += 1;
                if *n > 1 {
                    limit.slot = Arc::from(format!("{}/{n}", limit.slot));
                }
            }
            match &mut step.kind {
                StepKind::Branch { arms, otherwise } => {
                    for arm in arms {
                        walk(&mut arm.steps, seen);
                    }
                    walk(otherwise, seen);
                }
                StepKind::For { steps, .. } => walk(steps, seen),
                _ => {}
            }
        }
    }
    walk(steps, &mut HashMap::new());
}

#[cfg(test)]
mod tests {
    use super::step_identity;

    /// The identities of the limited steps of a script's first workflow.
    fn slots(script: &str) -> Vec<String> {
        let loaded = crate::load::parse_all(vec![("s.weir".into(), script.into())]);
        let checked = crate::check::check(&loaded.scripts, &loaded.sources);
        assert!(!checked.has_errors(), "{script}");
        crate::program::steps_within(&checked.program.workflows[0].steps)
            .iter()
            .filter_map(|s| s.limit.as_ref().map(|l| l.slot.to_string()))
            .collect()
    }

    #[test]
    fn weir_fmt_keeps_the_identities_of_limited_steps_and_twins_get_their_own() {
        let script = "app Sensors { reading { device: text, value: number } }
workflow hot {
  on new reading in Sensors
  if value > 90 {   notify   \"#ops\"   \"{device} is hot\"  at most once per 1h per device }
  notify \"#ops\" \"{device} is hot\" at most once per 1h per device
  create reading in Sensors {device:device,value:0} at most once per 1d
}
";
        let loaded = crate::load::parse_all(vec![("s.weir".into(), script.into())]);
        let formatted = crate::fmt::format(&loaded.scripts[0], script);
        assert_ne!(formatted, script, "the layout changes");
        let (before, after) = (slots(script), slots(&formatted));
        assert_eq!(before, after, "{formatted}");
        assert_eq!(before.len(), 3);
        assert_eq!(before[1], format!("{}/2", before[0]), "the same step twice");
    }

    #[test]
    fn a_steps_identity_ignores_layout_and_comments_but_not_what_it_does() {
        let one = step_identity("notify \"#ops\" \"{device} is hot\"");
        let laid_out = step_identity("notify   \"#ops\"\n    \"{device} is hot\" # why");
        assert_eq!(one, laid_out);
        assert_ne!(one, step_identity("notify \"#ops\" \"{device}  is hot\""));
        assert_ne!(one, step_identity("notify \"#dev\" \"{device} is hot\""));
        let escaped = step_identity("notify \"#ops\" \"a \\\" # b\"");
        assert_ne!(escaped, step_identity("notify \"#ops\" \"a \\\" \""));
    }
}
