//! Scheduled triggers: `on every day at 08:00 in "Europe/Berlin"`, `on every monday at 09:00`,
//! `on every 15m`.
//!
//! A scheduled run has no record. Its trigger is a `new` event of the clock's tick, an entity
//! of an app no script can name (a space in both names) and no action can write, and which has
//! no fields, so a bare name in its steps is an unknown name and no chain leads into it: to the
//! flow checker the workflow is where chains start, never a step of a loop.
//!
//! ```text
//! on every day at 08:00 in "Europe/Berlin" do notify "good morning"   # fine
//! on every day at 24:00 do notify "never"                             # E0210: not a time of day
//! ```

use std::sync::Arc;

use super::error::{CheckError, Parts};
use super::{App, Checker, Entity};
use crate::ast::{self, EventKind, Every};
use crate::codes::Code;
use crate::diagnostic::{help, primary};
use crate::program::{AppId, CLOCK_APP, CLOCK_TICK, EntityId, Trigger};
use crate::span::Span;

/// What makes a schedule unable to fire (E0210).
#[derive(Clone, Debug)]
pub enum ScheduleProblem {
    /// `at 24:00`, `at 08:60`.
    NotATimeOfDay { span: Span, text: String },
    /// `every 0m`, or a length longer than weir's calendar.
    NoLength { span: Span, text: String },
    /// E0102: `create in Shop` in a scheduled workflow, or one on any failed run, which has
    /// no trigger entity to imply.
    EntityNotNamed {
        span: Span,
        app: Arc<str>,
        example: Option<Arc<str>>,
        /// `on failed run` rather than a schedule.
        failed_run: bool,
    },
    /// `every 15m at 08:00` or `every 15m in "…"`: a length repeats from 1970, not from a
    /// time of day or in a zone.
    IntervalWith {
        span: Span,
        every: String,
        what: &'static str,
    },
}

impl ScheduleProblem {
    pub(super) fn code(&self) -> Code {
        match self {
            ScheduleProblem::EntityNotNamed { .. } => Code::E0102,
            _ => Code::E0210,
        }
    }

    pub(super) fn parts(&self) -> Parts {
        match self {
            ScheduleProblem::NotATimeOfDay { span, text } => (
                format!("`{text}` is not a time of day, so this schedule never fires"),
                vec![primary(
                    *span,
                    "hours go from 00 to 23, minutes from 00 to 59",
                )],
                vec![help(
                    "write a time from `00:00` to `23:59`, as in `at 08:00`",
                )],
            ),
            ScheduleProblem::NoLength { span, text } => (
                format!("`every {text}` never comes round, so this schedule never fires"),
                vec![primary(
                    *span,
                    "no time to wait, or more than weir's calendar holds",
                )],
                vec![help(
                    "repeat after a length from `1s` up, as in `every 15m`, or `every day`",
                )],
            ),
            ScheduleProblem::EntityNotNamed {
                span,
                app,
                example,
                failed_run,
            } => (
                format!(
                    "{} has no trigger record, so this action must name the entity it writes",
                    if *failed_run {
                        "a run `on failed run`"
                    } else {
                        "a scheduled run"
                    }
                ),
                vec![primary(*span, format!("which entity of `{app}`?"))],
                vec![help(match example {
                    Some(entity) => format!("name it before `in`, as in `{entity} in {app}`"),
                    None => {
                        format!("declare an entity in `app {app} {{ … }}` and name it before `in`")
                    }
                })],
            ),
            ScheduleProblem::IntervalWith { span, every, what } => (
                format!(
                    "`every {every}` repeats from midnight UTC, so `{what}` has no meaning here"
                ),
                vec![primary(
                    *span,
                    format!("`{what}` needs `every day` or a weekday"),
                )],
                vec![help(format!(
                    "remove `{what} …`, or write `every day {what} …` for once a day"
                ))],
            ),
        }
    }
}

impl Checker<'_> {
    /// `on every …`: a `new` event of the clock's tick, with the schedule kept for the clock.
    pub(super) fn schedule_trigger(&mut self, t: &ast::Trigger, s: &ast::Schedule) -> Trigger {
        self.check_schedule(s);
        Trigger {
            schedule: Some(Box::new(s.clone())),
            ..self.clock_trigger(t, s.every.span)
        }
    }

    /// A trigger on the clock's tick, on no record: its `where` and its limit checked.
    pub(super) fn clock_trigger(&mut self, t: &ast::Trigger, kind_span: Span) -> Trigger {
        let (app, entity) = self.clock_tick();
        let condition = self.trigger_condition(t, entity);
        let limit = self.rate_limit(t, entity);
        Trigger {
            kind: EventKind::New,
            kind_span,
            app,
            entity,
            changing: Vec::new(),
            changing_span: None,
            condition,
            span: t.span,
            conflict: None,
            schedule: None,
            limit,
            failed: None,
            timer: None,
        }
    }

    fn check_schedule(&mut self, s: &ast::Schedule) {
        if let Some(at) = &s.at {
            let (hour, minute) = at.node;
            if hour > 23 || minute > 59 {
                let text = format!("{hour:02}:{minute:02}");
                self.schedule_problem(ScheduleProblem::NotATimeOfDay {
                    span: at.span,
                    text,
                });
            }
        }
        if let Some(zone) = &s.zone
            && crate::value::time_zone(&zone.node).is_none()
        {
            self.report(CheckError::UnknownTimeZone {
                span: zone.span,
                name: zone.node.to_string(),
                suggestion: crate::value::closest_time_zone(&zone.node),
            });
        }
        let Every::Interval(length) = s.every.node else {
            return;
        };
        let every = format!("{}{}", length.amount, length.unit.suffix());
        if !crate::run::schedule::fires(length) {
            let span = s.every.span;
            self.schedule_problem(ScheduleProblem::NoLength {
                span,
                text: every.clone(),
            });
        }
        let extras = [
            s.at.as_ref().map(|a| (a.span, "at")),
            s.zone.as_ref().map(|z| (z.span, "in")),
        ];
        for (span, what) in extras.into_iter().flatten() {
            let every = every.clone();
            self.schedule_problem(ScheduleProblem::IntervalWith { span, every, what });
        }
    }

    /// `create in Shop` where no trigger entity stands for the one left out.
    pub(super) fn unnamed_entity(&mut self, app: AppId, name: &ast::Name) {
        let example = self
            .program
            .entities_of(app)
            .next()
            .map(|first| self.program.entity(first).name.clone());
        let failed_run = self.failure_of == Some(crate::program::FailedOf::Any);
        self.schedule_problem(ScheduleProblem::EntityNotNamed {
            span: name.span,
            app: name.node.clone(),
            example,
            failed_run,
        });
    }

    fn schedule_problem(&mut self, problem: ScheduleProblem) {
        self.report(CheckError::Schedule(problem));
    }

    /// The clock's app and tick entity, made the first time a schedule needs them.
    pub(super) fn clock_tick(&mut self) -> (AppId, EntityId) {
        if let Some(app) = self.program.apps.iter().position(App::is_clock) {
            let entity = self.program.apps[app].entities[0];
            return (AppId(app), entity);
        }
        let app = AppId(self.program.apps.len());
        let entity = EntityId(self.program.entities.len());
        self.program.apps.push(App {
            name: Arc::from(CLOCK_APP),
            span: Span::default(),
            declared: true,
            location: None,
            reports_actor: false,
            reports_changes: false,
            emits: [true, false, false],
            entities: vec![entity],
            calls: Vec::new(),
            limit: None,
        });
        self.program.entities.push(Entity {
            app,
            name: Arc::from(CLOCK_TICK),
            span: Span::default(),
            declared: true,
            fields: Vec::new(),
            stamp: None,
        });
        (app, entity)
    }
}
