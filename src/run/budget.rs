//! The run budget (`--max-runs`): the runs each workflow may start in a window before the
//! run-time guard holds its events. An engine alone counts its own runs against it; engines
//! that share one budget (several `weir serve` on one journal) are granted runs a few at a
//! time from a count they keep together, so that all of them together never pass it.
//!
//! ```text
//! max 100 per minute, two servers, each grant an eighth of what is left
//! a: granted 12 (12 of 100 taken)          b: granted 11 (23 taken), then 9 …
//! a's batch ends having used 9 of its 12 → gives 3 back  (the count: what was granted and kept)
//! 99 taken → a asks, is granted 1; b asks, is granted 0 → b holds its event (budget)
//! ```

use crate::program::WorkflowId;

/// Where an engine that shares its budget is granted runs.
pub trait Grants: Send {
    /// Up to a few more runs of `workflow`, so that all who share the budget start at most
    /// `max` in the window; how many were granted (0: none are left, and the run is held; or
    /// the count could not be read, which the grantor keeps for its caller to see).
    fn grant(&mut self, workflow: WorkflowId, max: u64) -> u64;
}

/// Runs each workflow started in the window, and those it may start.
pub struct Budget {
    spent: Vec<u64>,
    /// With a shared budget: runs granted in the window, by workflow (used or not).
    granted: Vec<u64>,
    grants: Option<Box<dyn Grants>>,
}

impl Budget {
    pub fn new(workflows: usize) -> Budget {
        Budget {
            spent: vec![0; workflows],
            granted: vec![0; workflows],
            grants: None,
        }
    }

    /// From now on, runs are granted by `grants` rather than counted against the budget alone.
    pub fn share(&mut self, grants: Box<dyn Grants>) {
        self.grants = Some(grants);
    }

    /// Whether `workflow` may start one more run within `max`; a shared budget is asked for
    /// more runs when those granted are used up.
    pub fn allows(&mut self, workflow: WorkflowId, max: u64) -> bool {
        let w = workflow.0;
        let Some(grants) = &mut self.grants else {
            return self.spent[w] < max;
        };
        if self.spent[w] >= self.granted[w] {
            self.granted[w] += grants.grant(workflow, max);
        }
        self.spent[w] < self.granted[w]
    }

    /// Counts a run started.
    pub fn spend(&mut self, workflow: WorkflowId) {
        self.spent[workflow.0] += 1;
    }

    /// A new window: every workflow may start `max` runs again.
    pub fn renew(&mut self) {
        self.spent.iter_mut().for_each(|n| *n = 0);
        self.granted.iter_mut().for_each(|n| *n = 0);
    }

    /// Runs granted and not started, by workflow, which are no longer this engine's: they go
    /// back to the shared count.
    pub fn unused(&mut self) -> Vec<u64> {
        let unused = self
            .granted
            .iter()
            .zip(&self.spent)
            .map(|(granted, spent)| granted.saturating_sub(*spent))
            .collect();
        self.granted.clone_from(&self.spent);
        unused
    }

    /// Keeps what an engine with the same workflows and more had counted (a REPL session
    /// adds workflows as it goes).
    pub fn carry(&mut self, old: Budget) {
        for (w, spent) in old.spent.iter().enumerate().take(self.spent.len()) {
            self.spent[w] = *spent;
            self.granted[w] = old.granted[w];
        }
        self.grants = old.grants;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count shared by two budgets, granting up to `chunk` at a time.
    struct Shared {
        taken: std::sync::Arc<std::sync::Mutex<u64>>,
        chunk: u64,
    }

    impl Grants for Shared {
        fn grant(&mut self, _: WorkflowId, max: u64) -> u64 {
            let mut taken = self.taken.lock().unwrap();
            let granted = self.chunk.min(max - *taken);
            *taken += granted;
            granted
        }
    }

    fn started(budget: &mut Budget, max: u64) -> bool {
        let allowed = budget.allows(WorkflowId(0), max);
        if allowed {
            budget.spend(WorkflowId(0));
        }
        allowed
    }

    #[test]
    fn alone_a_budget_allows_max_runs_per_window() {
        let mut budget = Budget::new(1);
        assert_eq!((0..5).filter(|_| started(&mut budget, 3)).count(), 3);
        budget.renew();
        assert!(started(&mut budget, 3));
    }

    #[test]
    fn budgets_that_share_a_count_never_pass_it_together() {
        let taken = std::sync::Arc::default();
        let share = |chunk| {
            let mut budget = Budget::new(1);
            let taken = std::sync::Arc::clone(&taken);
            budget.share(Box::new(Shared { taken, chunk }));
            budget
        };
        let (mut a, mut b) = (share(4), share(3));
        let mut runs = 0;
        for _ in 0..10 {
            runs += usize::from(started(&mut a, 10)) + usize::from(started(&mut b, 10));
        }
        assert_eq!(runs, 10);
        // A batch that ends with runs granted and not started gives them back, for others.
        let (mut c, mut d) = (share(4), share(4));
        *taken.lock().unwrap() = 0;
        assert!(started(&mut c, 6));
        assert_eq!((0..5).filter(|_| started(&mut d, 6)).count(), 2);
        *taken.lock().unwrap() -= c.unused()[0] + d.unused()[0];
        assert_eq!(c.unused(), [0]);
        assert_eq!((0..5).filter(|_| started(&mut d, 6)).count(), 3);
        assert!(!started(&mut c, 6));
    }
}
