//! The options a journal was served with, kept in its `meta` table so that `weir replay` runs
//! an event as the server would have.
//!
//! ```text
//! meta options = {"max_hops":8,"max_runs":1000,"timeout_ms":10000,"retries":4,"backoff_ms":200}
//! ```
//!
//! Journals written before the options were JSON hold the same five numbers separated by
//! spaces; those are still read.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::remote::Policy;
use crate::run::Options;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    pub max_hops: u32,
    pub max_runs: u64,
    pub timeout_ms: u64,
    pub retries: u32,
    pub backoff_ms: u64,
}

impl SavedOptions {
    pub fn new(options: &Options, policy: &Policy) -> SavedOptions {
        SavedOptions {
            max_hops: options.max_hops,
            max_runs: options.max_runs,
            timeout_ms: u64::try_from(policy.timeout.as_millis()).unwrap_or(u64::MAX),
            retries: policy.retries,
            backoff_ms: u64::try_from(policy.backoff.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The options as the journal keeps them.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }

    /// The options from the journal's text: JSON, or the older five numbers.
    pub fn read(text: &str) -> Option<SavedOptions> {
        if let Ok(saved) = serde_json::from_str(text) {
            return Some(saved);
        }
        let numbers: Vec<u64> = text.split(' ').filter_map(|n| n.parse().ok()).collect();
        let [hops, runs, timeout_ms, retries, backoff_ms] = numbers[..] else {
            return None;
        };
        Some(SavedOptions {
            max_hops: u32::try_from(hops).unwrap_or(8),
            max_runs: runs,
            timeout_ms,
            retries: u32::try_from(retries).unwrap_or(4),
            backoff_ms,
        })
    }

    /// Sets what the options say, leaving the rest as it is.
    pub fn apply(self, options: &mut Options, policy: &mut Policy) {
        options.max_hops = self.max_hops;
        options.max_runs = self.max_runs;
        policy.timeout = Duration::from_millis(self.timeout_ms);
        policy.retries = self.retries;
        policy.backoff = Duration::from_millis(self.backoff_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::SavedOptions;

    #[test]
    fn options_read_back_from_json_and_from_the_older_numbers() {
        let saved = SavedOptions {
            max_hops: 3,
            max_runs: 50,
            timeout_ms: 1500,
            retries: 2,
            backoff_ms: 100,
        };
        assert_eq!(SavedOptions::read(&saved.to_json()), Some(saved));
        assert_eq!(SavedOptions::read("3 50 1500 2 100"), Some(saved));
        assert_eq!(SavedOptions::read("3 50"), None);
    }
}
