//! The states an event and a run can be in, as the journal stores them and `weir runs`,
//! `weir replay` and `GET /runs` show them.
//!
//! ```text
//! queued → done | failed | held;   failed | held → (weir replay) → done | failed | held
//! ```
//!
//! The journal keeps each state as its word (`queued`, `done`, …): the words are the same in
//! the journal, the JSON of `GET /runs` and the text of `weir runs`.

use std::fmt;
use std::str::FromStr;

use super::db::{FromValue, ToValue, Value};

/// Where an accepted event is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// Accepted, not yet run.
    #[default]
    Queued,
    Done,
    /// A run failed or a real app refused the record; `weir replay` runs it again.
    Failed,
    /// The run-time guard held a chain; `weir replay` releases it.
    Held,
}

impl EventStatus {
    pub const ALL: [EventStatus; 4] = [
        EventStatus::Queued,
        EventStatus::Done,
        EventStatus::Failed,
        EventStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Queued => "queued",
            EventStatus::Done => "done",
            EventStatus::Failed => "failed",
            EventStatus::Held => "held",
        }
    }
}

/// How one thing an event set off ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Done,
    /// A `continue if` stopped it.
    Stopped,
    Failed,
    Held,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [
        RunStatus::Done,
        RunStatus::Stopped,
        RunStatus::Failed,
        RunStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Done => "done",
            RunStatus::Stopped => "stopped",
            RunStatus::Failed => "failed",
            RunStatus::Held => "held",
        }
    }

    /// Whether a run with this ending is listed under an event status (`weir runs --failed`).
    pub fn is(self, status: EventStatus) -> bool {
        self.as_str() == status.as_str()
    }
}

/// A word that is not a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a status", self.0)
    }
}

/// `Display`, `FromStr` and the journal's text for a status, through its `as_str` and `ALL`.
macro_rules! words {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownStatus;

            fn from_str(word: &str) -> Result<$ty, UnknownStatus> {
                $ty::ALL
                    .into_iter()
                    .find(|s| s.as_str() == word)
                    .ok_or_else(|| UnknownStatus(word.to_string()))
            }
        }

        impl ToValue for $ty {
            fn to_value(&self) -> Value {
                Value::Text(self.as_str().to_string())
            }
        }

        impl FromValue for $ty {
            fn from_value(value: Value) -> Result<$ty, String> {
                String::from_value(value)?
                    .parse()
                    .map_err(|e: UnknownStatus| e.to_string())
            }
        }
    };
}

words!(EventStatus);
words!(RunStatus);

#[cfg(test)]
mod tests {
    use super::{EventStatus, RunStatus};

    #[test]
    fn every_status_reads_back_from_its_word() {
        for s in EventStatus::ALL {
            assert_eq!(s.as_str().parse::<EventStatus>(), Ok(s));
        }
        for s in RunStatus::ALL {
            assert_eq!(s.to_string().parse::<RunStatus>(), Ok(s));
        }
        assert!("stopped".parse::<EventStatus>().is_err());
        assert!("Done".parse::<RunStatus>().is_err());
    }

    #[test]
    fn a_run_line_reads_back_as_an_object_and_in_the_older_array_form() {
        use crate::serve::journal::RunRow;
        let row = RunRow {
            run: Some(12),
            by: "order_to_contact".into(),
            status: RunStatus::Failed,
            message: Some("Crm refused the write".into()),
        };
        let line = serde_json::to_string(&row).unwrap();
        assert!(line.contains(r#""status":"failed""#), "{line}");
        assert_eq!(serde_json::from_str::<RunRow>(&line).unwrap(), row);
        let older = r#"[12,"order_to_contact","failed","Crm refused the write"]"#;
        assert_eq!(serde_json::from_str::<RunRow>(older).unwrap(), row);
    }

    #[test]
    fn a_run_is_listed_under_the_event_status_of_its_word() {
        assert!(RunStatus::Failed.is(EventStatus::Failed));
        assert!(!RunStatus::Stopped.is(EventStatus::Done));
        assert!(!RunStatus::Done.is(EventStatus::Held));
    }
}
