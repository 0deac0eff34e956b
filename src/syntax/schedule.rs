//! Lowering of a schedule: `every 15m`, `every day at 08:00 in "Europe/Berlin"`.
//!
//! The words are read here and nothing is judged: an hour past 23, a length of `0m` or an
//! unknown zone are the checker's to report, with the schedule's place.

use std::sync::Arc;

use pest::iterators::Pair;

use super::Rule;
use super::lower::{Lower, parts};
use crate::ast::*;
use crate::span::Spanned;

impl Lower {
    pub(super) fn schedule(&mut self, pair: Pair<'_, Rule>) -> Schedule {
        let span = self.span(&pair);
        let mut inner = parts(pair);
        let every = inner.next().expect("what a schedule repeats");
        let every_span = self.span(&every);
        let every = match every.as_rule() {
            Rule::duration => Every::Interval(duration(every.as_str())),
            Rule::every_day => Every::Day,
            Rule::weekday => {
                let day = WEEKDAYS.iter().position(|d| *d == every.as_str());
                // `WEEKDAYS` is `Every::Weekday`'s order, Monday first.
                Every::Weekday(day.expect("a weekday's name") as u8)
            }
            rule => unreachable!("expected a length, `day` or a weekday, found {rule:?}"),
        };
        let mut schedule = Schedule {
            every: Spanned::new(every, every_span),
            at: None,
            zone: None,
            span,
        };
        for part in inner {
            match part.as_rule() {
                Rule::time_of_day => {
                    let (hour, minute) = part.as_str().split_once(':').expect("`HH:MM`");
                    let at = (
                        hour.parse().unwrap_or(u32::MAX),
                        minute.parse().unwrap_or(u32::MAX),
                    );
                    schedule.at = Some(Spanned::new(at, self.span(&part)));
                }
                Rule::plain_text => {
                    let zone = self.quoted(part);
                    schedule.zone = Some(Spanned::new(Arc::from(zone.node), zone.span));
                }
                rule => unreachable!("expected `at` or `in`, found {rule:?}"),
            }
        }
        schedule
    }
}

/// `15m` as a length; one too long to count in seconds has no time to fire at, as `0m` has
/// none, and the checker says so.
fn duration(text: &str) -> DurationLit {
    let (digits, unit) = text.split_at(text.len() - 1);
    DurationLit {
        amount: digits.parse().unwrap_or(u64::MAX),
        unit: duration_unit(unit),
    }
}

/// The unit of a `duration` literal, its last letter.
pub(super) fn duration_unit(letter: &str) -> DurationUnit {
    match letter {
        "s" => DurationUnit::Seconds,
        "m" => DurationUnit::Minutes,
        "h" => DurationUnit::Hours,
        "d" => DurationUnit::Days,
        other => unreachable!("expected a duration unit, found {other:?}"),
    }
}
