//! How the checker's findings about `sync` blocks read: a value map that does not bring values
//! back as they went (W0405), an entity one side lacks (E0102), a `match` on no mapping (E0105).
//!
//! ```text
//! status <-> state map { "Done" = "closed", "To Do" = "open" }      # fine: one partner each
//! status <-> state map { "To Do" = "open", "Doing" = "open" }       # W0405: "open" comes back as "To Do"
//! ```

use std::sync::Arc;

use super::error::{Named, Parts, known_list};
use crate::codes::Code;
use crate::diagnostic::{help, primary, secondary};
use crate::span::Span;

/// What can be wrong with a sync's computed mapping, or with a name given to a sync.
#[derive(Clone, Debug)]
pub enum SyncProblem {
    /// E0208: a mapping whose arrow points at an expression, which cannot be written.
    ComputedWritten {
        span: Span,
        /// The mapping flowing only out of the expression, as the help suggests it.
        mapping: String,
        /// Written `<->`.
        both: bool,
    },
    /// E0105: `on conflict in sync NAME` where no sync has that name.
    UnknownSync {
        name: Named,
        known: Vec<Arc<str>>,
        suggestion: Option<Arc<str>>,
    },
    /// E0105: a name two syncs share, named where it must tell them apart.
    AmbiguousSync {
        name: Named,
        first: Span,
        second: Span,
    },
}

impl SyncProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            SyncProblem::ComputedWritten { .. } => Code::E0208,
            SyncProblem::UnknownSync { .. } | SyncProblem::AmbiguousSync { .. } => Code::E0105,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            SyncProblem::ComputedWritten {
                span,
                mapping,
                both,
            } => (
                if *both {
                    "a computed side cannot be written, so this mapping cannot flow both ways"
                        .to_string()
                } else {
                    "this mapping flows into a computed side, which cannot be written".to_string()
                },
                vec![primary(*span, "computed from its own side's fields")],
                vec![help(format!(
                    "make it flow out of the expression: `{mapping}`; for the way back, map that field into each field the expression reads, on lines of their own"
                ))],
            ),
            SyncProblem::UnknownSync {
                name,
                known,
                suggestion,
            } => (
                format!("there is no sync called `{}`", name.text),
                vec![primary(name.span, "not the name of a sync")],
                vec![help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if known.is_empty() => {
                        "declare the sync first, as in `sync ENTITY between A and B { … }`"
                            .to_string()
                    }
                    None => format!("the syncs are called {}", known_list(known)),
                })],
            ),
            SyncProblem::AmbiguousSync {
                name,
                first,
                second,
            } => (
                format!("two syncs are called `{}`", name.text),
                vec![
                    primary(name.span, "could be either"),
                    secondary(*first, "one"),
                    secondary(*second, "the other"),
                ],
                vec![help(format!(
                    "give one of them its own name after its sides, as in `as {}_2`, and use that",
                    name.text
                ))],
            ),
        }
    }
}

/// How a sync's value map fails to round-trip.
#[derive(Clone, Debug)]
pub enum MapCollision {
    /// Several left values become one right value, which comes back as the first of them.
    SameRight {
        lefts: Vec<String>,
        right: String,
        left_field: Arc<str>,
    },
    /// One left value is listed with several right values; the first is used.
    SameLeft { left: String, rights: Vec<String> },
    /// Unlisted left values become the `else` value, which has no left value to come back as.
    ElseWithoutPartner {
        otherwise: String,
        left_field: Arc<str>,
    },
    /// `else` in a map that only flows to the left, where it is never used.
    ElseUnused,
}

impl MapCollision {
    pub(super) fn parts(&self, span: Span) -> Parts {
        let (message, label, fix) = match self {
            MapCollision::SameRight {
                lefts,
                right,
                left_field,
            } => (
                format!(
                    "{} {} become {right}, so {right} comes back to `{left_field}` as {}",
                    lefts.join(" and "),
                    if lefts.len() == 2 { "both" } else { "all" },
                    lefts[0]
                ),
                format!("{right} has {} partners", lefts.len()),
                "give each value its own partner, or make the mapping one-way with `->`"
                    .to_string(),
            ),
            MapCollision::SameLeft { left, rights } => (
                format!(
                    "{left} is listed with {}, and only the first counts",
                    rights.join(" and ")
                ),
                format!("{left} is listed {} times", rights.len()),
                format!("keep one pair for {left}"),
            ),
            MapCollision::ElseWithoutPartner {
                otherwise,
                left_field,
            } => (
                format!(
                    "values the map does not list become {otherwise}, but {otherwise} has no value of `{left_field}` to come back as"
                ),
                "no pair for this value".to_string(),
                format!("list what {otherwise} comes back as, as in `\"…\" = {otherwise}`"),
            ),
            MapCollision::ElseUnused => (
                "this mapping only flows to the left, so the `else` value is never used"
                    .to_string(),
                "never used".to_string(),
                "remove `else …`, or make the mapping flow to the right with `<->`".to_string(),
            ),
        };
        (message, vec![primary(span, label)], vec![help(fix)])
    }
}

pub(super) fn sync_entity_missing_parts(
    app: &Named,
    entity: &Named,
    pair: &str,
    known: &[Arc<str>],
) -> Parts {
    (
        format!("`{}` has no entity `{}`", app.text, entity.text),
        vec![
            primary(entity.span, format!("not an entity of `{}`", app.text)),
            secondary(
                app.span,
                format!("`{}` declares {}", app.text, known_list(known)),
            ),
        ],
        vec![help(format!(
            "if `{}` calls these records something else, name both sides: `{pair}`",
            app.text
        ))],
    )
}

pub(super) fn match_not_mapped_parts(
    name: &Named,
    mapped: &[Arc<str>],
    suggestion: Option<&str>,
) -> Parts {
    (
        format!("`match {}` names no mapped field of this sync", name.text),
        vec![primary(name.span, "not the left field of a mapping")],
        vec![help(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None if mapped.is_empty() => {
                format!("map the field first, as in `{0} <-> {0}`", name.text)
            }
            None => format!(
                "match on a mapped field of the first app: {}",
                known_list(mapped)
            ),
        })],
    )
}
