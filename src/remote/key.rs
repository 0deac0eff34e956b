//! The idempotency key of a write to a real app: `{instance}-{run}/{step}`.
//!
//! ```text
//! 3f9c…e1-90/1   the first write of run 90 of the journal whose instance is 3f9c…e1
//! ```
//!
//! [`super::rest`] sends it as `Idempotency-Key`; the journal keeps the writes an app
//! confirmed by it, and [`crate::serve::worker`] reads it back to know their run. The
//! instance is the journal's, so two journals never send the same key.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    pub instance: Arc<str>,
    pub run: u64,
    /// The write's number within its run, from 1.
    pub step: u32,
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}/{}", self.instance, self.run, self.step)
    }
}

/// A text that is not `{instance}-{run}/{step}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAKey;

impl FromStr for IdempotencyKey {
    type Err = NotAKey;

    /// The instance may hold `-` itself: the run and the step are read from the right.
    fn from_str(text: &str) -> Result<IdempotencyKey, NotAKey> {
        let (head, step) = text.rsplit_once('/').ok_or(NotAKey)?;
        let (instance, run) = head.rsplit_once('-').ok_or(NotAKey)?;
        Ok(IdempotencyKey {
            instance: Arc::from(instance),
            run: run.parse().map_err(|_| NotAKey)?,
            step: step.parse().map_err(|_| NotAKey)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{IdempotencyKey, NotAKey};

    #[test]
    fn a_key_reads_back_from_its_text_with_dashes_in_the_instance() {
        let key = IdempotencyKey {
            instance: "a1-b2-c3".into(),
            run: 90,
            step: 2,
        };
        assert_eq!(key.to_string(), "a1-b2-c3-90/2");
        assert_eq!(key.to_string().parse(), Ok(key));
        assert_eq!("a1-90".parse::<IdempotencyKey>(), Err(NotAKey));
        assert_eq!("a1-x/2".parse::<IdempotencyKey>(), Err(NotAKey));
    }
}
