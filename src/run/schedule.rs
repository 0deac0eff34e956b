//! Schedules on the clock: when a moved clock passes the times of `on every …` workflows,
//! each runs once per time passed, in order of time (and of the script at the same time), with
//! the clock reading that time while the run and its chain go on:
//!
//! ```text
//! on every day at 08:00 in "Europe/Berlin" do notify "good morning"
//! at 2030-05-01T00:00     # nothing is due yet
//! advance 2d              # runs twice: 2030-05-01T06:00Z and 2030-05-02T06:00Z
//! ```
//!
//! A time the clock starts on is past; one it stops on is due. A run starts on a `new` event of
//! the clock's tick, which has no fields and no cause, so every scheduled run starts a chain;
//! the tick's id is the time it was due (`#1 the clock reads 2030-05-01T06:00:00Z` in a trace).

#[cfg(test)]
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

use super::Event;
use crate::ast::{DurationLit, Every, Schedule};

/// Whether a schedule `every LENGTH` ever comes round: a length of at least a second that
/// weir's calendar holds.
pub fn fires(length: DurationLit) -> bool {
    let last = Timestamp::MAX.as_second();
    length.checked_seconds().is_some_and(|s| s > 0 && s <= last)
}

/// The first time after `t` the schedule fires, if weir's calendar holds one.
pub fn next_after(schedule: &Schedule, t: i64) -> Option<i64> {
    let (hour, minute) = schedule.at.as_ref().map_or((0, 0), |a| a.node);
    let time = Time::new(i8::try_from(hour).ok()?, i8::try_from(minute).ok()?, 0, 0).ok()?;
    let weekday = match schedule.every.node {
        Every::Interval(length) => {
            let n = length.checked_seconds().filter(|n| *n > 0)?;
            let next = t.div_euclid(n).checked_add(1)?.checked_mul(n)?;
            return crate::value::checked_time(next);
        }
        Every::Day => None,
        Every::Weekday(day) => Some(i8::try_from(day).ok()?),
    };
    let zone = match &schedule.zone {
        Some(name) => crate::value::time_zone(&name.node)?,
        None => TimeZone::UTC,
    };
    let stamp = Timestamp::from_second(t).ok()?;
    let mut date = zone.to_offset(stamp).to_datetime(stamp).date();
    // A week and a day reaches the next time of any weekday, whatever the clocks do.
    for _ in 0..9 {
        if weekday.is_none_or(|d| date.weekday().to_monday_zero_offset() == d) {
            // A time the clocks skip reads as the same time after the change; a time they
            // show twice, as the first.
            let second = zone.to_timestamp(date.to_datetime(time)).ok()?.as_second();
            if second > t {
                return Some(second);
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// A tick as messages tell it: `the clock at 2030-05-01T06:00:00Z`.
pub fn tick_text(event: &Event) -> String {
    let due = crate::value::format_rfc3339(event.record.id.cast_signed());
    format!("the clock at {due}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::DurationUnit;
    use crate::span::{Span, Spanned};

    fn schedule(every: Every, at: Option<(u32, u32)>, zone: Option<&str>) -> Schedule {
        Schedule {
            every: Spanned::new(every, Span::default()),
            at: at.map(|a| Spanned::new(a, Span::default())),
            zone: zone.map(|z| Spanned::new(Arc::from(z), Span::default())),
            span: Span::default(),
        }
    }

    fn time(text: &str) -> i64 {
        crate::value::parse_time(text).expect("a time")
    }

    #[test]
    fn a_length_fires_on_its_multiples() {
        let every = Every::Interval(DurationLit {
            amount: 15,
            unit: DurationUnit::Minutes,
        });
        let s = schedule(every, None, None);
        let t = time("2030-05-01T08:07:00Z");
        assert_eq!(next_after(&s, t), Some(time("2030-05-01T08:15:00Z")));
        // A time the schedule fires on is past: the next is one length later.
        let t = time("2030-05-01T08:15:00Z");
        assert_eq!(next_after(&s, t), Some(time("2030-05-01T08:30:00Z")));
    }

    #[test]
    fn a_day_fires_at_its_local_time_across_a_change_of_clocks() {
        let s = schedule(Every::Day, Some((8, 0)), Some("Europe/Berlin"));
        // 2030-03-31 is the day Berlin moves to summer time: 08:00 is 06:00Z, the day before 07:00Z.
        let t = time("2030-03-30T07:00:00Z");
        assert_eq!(next_after(&s, t), Some(time("2030-03-31T06:00:00Z")));
    }

    #[test]
    fn a_weekday_fires_on_that_day_only() {
        let s = schedule(Every::Weekday(0), Some((9, 0)), None);
        // 2030-05-01 is a Wednesday; the next Monday is 2030-05-06.
        let t = time("2030-05-01T10:00:00Z");
        assert_eq!(next_after(&s, t), Some(time("2030-05-06T09:00:00Z")));
    }

    #[test]
    fn a_length_of_nothing_never_fires() {
        let zero = DurationLit {
            amount: 0,
            unit: DurationUnit::Minutes,
        };
        assert!(!fires(zero));
        assert_eq!(
            next_after(&schedule(Every::Interval(zero), None, None), 0),
            None
        );
    }
}
