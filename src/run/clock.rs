//! The engine's clock: what `now()` returns, moved by a scenario's `at` and `advance` steps
//! and the REPL's `:at` and `:advance`.
//!
//! The clock stands still while runs go on, so a chain sees one time from its first run to its
//! last; it moves only when told, and only forward, so what was due stays in the past:
//!
//! ```text
//! at 2030-05-01T08:00     # the clock reads 2030-05-01T08:00:00Z
//! advance 24h             # … and now 2030-05-02T08:00:00Z
//! at 2030-04-01           # refused: the clock does not go back
//! ```

use super::Engine;
use super::apps::Apps;

/// A move of the clock that cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// It would take the clock back from `now` to `asked`.
    Back { now: i64, asked: i64 },
    /// It would take the clock past the last time weir keeps (the end of year 9999).
    TooFar { now: i64, by: i64 },
}

impl<A: Apps> Engine<A> {
    /// The time the clock reads: what `now()` returns.
    pub fn now(&self) -> i64 {
        self.core.options.now
    }

    /// Works out an expression that reads no record (a scenario line's time or duration) at
    /// the clock's time.
    pub fn eval_constant(
        &self,
        e: &crate::program::Expr,
    ) -> Result<crate::value::Value, super::error::RunError> {
        super::eval::eval(e, &super::eval::Scope::constant(&self.program, self.now()))
    }

    /// Moves the clock to `to`, which must not be earlier than it reads now, running the
    /// schedules, timers and waiting runs due on the way ([`super::agenda`]).
    pub fn move_clock(&mut self, to: i64) -> Result<super::Outcome, ClockError> {
        let now = self.now();
        if to < now {
            return Err(ClockError::Back { now, asked: to });
        }
        let out = self.fire_due(to);
        self.core.options.now = to;
        Ok(out)
    }

    /// Moves the clock forward by `by` seconds.
    pub fn advance_clock(&mut self, by: i64) -> Result<super::Outcome, ClockError> {
        let now = self.now();
        let to = now.checked_add(by).and_then(crate::value::checked_time);
        match to {
            Some(to) => self.move_clock(to),
            None => Err(ClockError::TooFar { now, by }),
        }
    }
}

impl std::fmt::Display for ClockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::value::{format_duration, format_rfc3339};
        match *self {
            ClockError::Back { now, asked } => write!(
                f,
                "the clock reads {} and does not go back to {}",
                format_rfc3339(now),
                format_rfc3339(asked)
            ),
            ClockError::TooFar { now, by } => write!(
                f,
                "the clock reads {} and {} later is past the last time weir keeps",
                format_rfc3339(now),
                format_duration(by)
            ),
        }
    }
}
