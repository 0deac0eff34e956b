//! Causal chains and the run-time guard (R0301).
//!
//! Every event carries its chain: the runs that led to it, newest first, each a [`Hop`]
//! shared by `Arc` with every event the same run caused. Before a workflow (or a sync) runs on
//! an event, the guard looks at that chain and holds the event instead when
//! - the chain already has `--max-hops` runs (8 by default), or
//! - the same workflow already ran on the same record in this chain, or
//! - the workflow has used up its run budget (`--max-runs`; counted by the engine).
//!
//! ```text
//! on new event in Calendar do create event in Outlook { subject: title }   # one hop: runs
//! on new event in Outlook  do create event in Calendar { title: subject }  # …and back: after
//!                                                                          # 8 hops, held
//! ```
//!
//! A held event is never dropped: the engine keeps it, and the report tells the chain as a
//! story, like E0301 does for the cycle the checker finds.

use std::sync::Arc;

use super::Event;
use super::apps::RecordRef;
use crate::ast::EventKind;
use crate::codes::Code;
use crate::diagnostic::{self, Diagnostic, Report, help, primary};
use crate::program::{Program, SyncId, WorkflowId};
use crate::value::Label;
use crate::words::article;

/// Who ran: a workflow, or the engine's side of a `sync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    Workflow(WorkflowId),
    Sync(SyncId),
}

impl Actor {
    /// `to_outlook`, `line 12`, or `the sync of ticket`.
    pub fn name(self, program: &Program) -> Arc<str> {
        match self {
            Actor::Workflow(w) => program.workflow(w).name.clone(),
            Actor::Sync(s) => Arc::from(format!("the sync of {}", program.syncs[s.0].entity_name)),
        }
    }
}

/// One run in a chain: who ran, on which event and record.
#[derive(Debug)]
pub struct Hop {
    pub by: Actor,
    pub run: u64,
    /// The event the run started from.
    pub event: u64,
    pub kind: EventKind,
    pub record: RecordRef,
    /// How many runs the chain has, this one included.
    pub hops: u32,
    /// The event a person (or an input line) caused, at the start of the chain.
    pub root_event: u64,
    pub root_origin: Label,
    pub parent: Chain,
}

/// The runs that led to an event, newest first; `None` for an event a person caused.
pub type Chain = Option<Arc<Hop>>;

/// The hops of a chain, oldest first.
pub fn hops(chain: &Chain) -> Vec<&Hop> {
    let mut out = Vec::new();
    let mut next = chain.as_deref();
    while let Some(hop) = next {
        out.push(hop);
        next = hop.parent.as_deref();
    }
    out.reverse();
    out
}

/// Why the guard held an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    /// The chain already had this many runs.
    Hops(u32),
    /// The same workflow already ran on the same record in this chain.
    Repeated,
    /// The workflow has run this many times already.
    Budget(u64),
    /// An outside event from an app that `reports actor` came without one (R0305).
    NoActor,
}

impl HoldReason {
    /// The code a hold is reported under.
    pub fn code(self) -> Code {
        match self {
            HoldReason::NoActor => Code::R0305,
            _ => Code::R0301,
        }
    }

    /// Short names, as the JSON trace and the state file write them.
    pub fn key(self) -> &'static str {
        match self {
            HoldReason::Hops(_) => "hops",
            HoldReason::Repeated => "repeated",
            HoldReason::Budget(_) => "budget",
            HoldReason::NoActor => "no-actor",
        }
    }

    pub fn limit(self) -> Option<u64> {
        match self {
            HoldReason::Hops(n) => Some(u64::from(n)),
            HoldReason::Repeated | HoldReason::NoActor => None,
            HoldReason::Budget(n) => Some(n),
        }
    }
}

/// The origin of an outside event from an app that `reports actor` but did not say who made
/// the change: such an event is held (R0305), not trusted as a person's.
pub const NO_ACTOR: &str = "(no actor)";

/// Whether `by` may run on an event (the budget aside).
pub fn check(event: &Event, by: Actor, max_hops: u32) -> Option<HoldReason> {
    let (chain, record) = (&event.cause, event.at());
    let Some(last) = chain else {
        return (&*event.origin == NO_ACTOR).then_some(HoldReason::NoActor);
    };
    if last.hops >= max_hops {
        return Some(HoldReason::Hops(max_hops));
    }
    let mut next = Some(&**last);
    while let Some(hop) = next {
        if hop.by == by && hop.record == record {
            return Some(HoldReason::Repeated);
        }
        next = hop.parent.as_deref();
    }
    None
}

/// An event the guard stopped, kept with who would have run on it and why not.
#[derive(Clone, Debug)]
pub struct Held {
    pub event: Event,
    pub by: Actor,
    pub reason: HoldReason,
}

/// The chain of a held event told as a story:
/// `a user creates an event in Calendar → to_outlook creates one in Outlook → …`.
pub fn story(program: &Program, held: &Held) -> String {
    let hops = hops(&held.event.cause);
    // What each hop wrote: the event the next hop started from, or the held event.
    let written = |i: usize| -> (EventKind, RecordRef) {
        match hops.get(i + 1) {
            Some(next) => (next.kind, next.record),
            None => (held.event.kind, held.event.at()),
        }
    };
    let (root_kind, root_at, root_origin) = match hops.first() {
        Some(first) => (first.kind, first.record, &first.root_origin),
        None => (held.event.kind, held.event.at(), &held.event.origin),
    };
    let entity = program.entity(root_at.entity);
    let who = if &**root_origin == "user" {
        "a user".to_string()
    } else if &**root_origin == NO_ACTOR {
        "someone (the event does not say who)".to_string()
    } else {
        format!("`{root_origin}`")
    };
    let mut parts = vec![format!(
        "{who} {} {} {} in {}",
        root_kind.does(),
        article(&entity.name),
        entity.name,
        program.app(entity.app).name
    )];
    let mut previous = root_at;
    let mut seen = Vec::new();
    for (i, hop) in hops.iter().enumerate() {
        if seen.contains(&hop.by) {
            parts.push(format!("{} …", hop.by.name(program)));
            return parts.join(" → ");
        }
        seen.push(hop.by);
        let (kind, at) = written(i);
        let e = program.entity(at.entity);
        let what = if kind != EventKind::New && at == hop.record {
            format!("the same {}", e.name)
        } else if e.name == program.entity(previous.entity).name {
            "one".to_string()
        } else {
            format!("{} {}", article(&e.name), e.name)
        };
        parts.push(format!(
            "{} {} {what} in {}",
            hop.by.name(program),
            kind.does(),
            program.app(e.app).name
        ));
        previous = at;
    }
    let name = held.by.name(program);
    if seen.contains(&held.by) {
        parts.push(format!("{name} …"));
    } else {
        parts.push(format!("{name} (held)"));
    }
    parts.join(" → ")
}

/// A held event, ready to be reported as R0301.
pub struct HeldChain<'a> {
    pub program: &'a Program,
    pub held: &'a Held,
}

/// Where a held chain is told, which decides how its limits are raised and where it is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// `weir run` and `weir test`: flags, and `--state FILE`.
    Run,
    /// `weir serve`: flags, and the journal.
    Serve,
    /// The REPL: `:set` and `:held`.
    Repl,
}

impl Report for HeldChain<'_> {
    fn report(&self) -> Diagnostic {
        self.report_in(Surface::Run)
    }
}

impl HeldChain<'_> {
    /// R0301 in the words of the place it is shown: the REPL's `:set max-hops`, not a flag.
    pub fn report_in(&self, surface: Surface) -> Diagnostic {
        let (program, held) = (self.program, self.held);
        let name = held.by.name(program);
        let at = held.event.at().show(program).to_string();
        let message = match held.reason {
            HoldReason::Hops(limit) => format!(
                "the run-time guard held a chain after {limit} hop{}, before `{name}` ran on {at}",
                if limit == 1 { "" } else { "s" }
            ),
            HoldReason::Repeated => {
                format!("the run-time guard held a chain: `{name}` came back to {at}")
            }
            HoldReason::Budget(limit) => format!(
                "the run-time guard held an event: `{name}` has used up its budget of {limit} runs"
            ),
            HoldReason::NoActor => {
                let app = program.app(program.entity(held.event.entity).app);
                format!(
                    "`{}` reports who made each change, but {at} came without an actor: held before `{name}` ran",
                    app.name
                )
            }
        };
        let span = match held.by {
            Actor::Workflow(w) => program.workflow(w).name_span,
            Actor::Sync(s) => program.syncs[s.0].span,
        };
        let entity = program.entity(held.event.entity);
        let kept = match surface {
            Surface::Run => "`--state FILE` saves it",
            Surface::Serve => "the journal keeps it, and `weir replay` runs it again",
            Surface::Repl => "`:held` lists it",
        };
        let notes = vec![
            format!("trace: {}", story(program, held)),
            format!(
                "the held event (#{}, {} {} {at}) is kept, not dropped; {kept}",
                held.event.id, held.event.kind, entity.name
            ),
            help(match (held.reason, surface) {
                (HoldReason::Hops(_), Surface::Repl) => {
                    "if the chain is meant to be this long, raise the limit with `:set max-hops N`; otherwise `:check` shows the cycle (E0301) and how to cut it"
                }
                (HoldReason::Hops(_), _) => {
                    "if the chain is meant to be this long, raise `--max-hops`; otherwise `weir check` shows the cycle (E0301) and how to cut it"
                }
                (HoldReason::Repeated, Surface::Repl) => {
                    "`:check` shows the cycle (E0301) and how to cut it"
                }
                (HoldReason::Repeated, _) => {
                    "`weir check` shows the cycle (E0301) and how to cut it"
                }
                (HoldReason::Budget(_), _) => "if this many runs are expected, raise `--max-runs`",
                (HoldReason::NoActor, _) => {
                    "send who made the change with the event (\"actor\" in an input line, the `X-Weir-Actor` header on a webhook); if the app cannot tell, remove `reports actor` from its declaration, and `weir check` will say what guards then work"
                }
            }),
        ];
        diagnostic::new(held.reason.code(), message)
            .with_labels(vec![primary(span, "held before this ran")])
            .with_notes(notes)
    }
}
