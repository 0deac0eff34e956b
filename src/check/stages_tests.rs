//! The one pipeline's options: what the REPL changes, and only that.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{CheckError, FlowProofs, Options, stages, stages_with};
use crate::diagnostic::has_errors;
use crate::load::{Loaded, parse_all};

const LOOP: &str = "app Cal { event { title: text } }
app Out { event { title: text } }
on new event in Cal do create event in Out { title: title }
on new event in Out do create event in Cal { title: title }
";

fn loaded(text: &str) -> Loaded {
    parse_all(vec![("a.weir".into(), text.into())])
}

fn with(loaded: &Loaded, options: &Options) -> super::Stages {
    stages_with(
        &loaded.scripts,
        &loaded.sources,
        &loaded.diagnostics,
        options,
    )
}

#[test]
fn flow_errors_are_errors_warnings_or_not_looked_for_as_asked() {
    let loop_ = loaded(LOOP);
    let enforced = stages(&loop_);
    assert!(enforced.sound);
    assert!(!enforced.flow.is_empty());
    assert!(has_errors(&enforced.applied.diagnostics));

    let warned = with(
        &loop_,
        &Options {
            flow: FlowProofs::Warned,
            ..Options::default()
        },
    );
    assert_eq!(warned.flow.len(), enforced.flow.len());
    assert!(!has_errors(&warned.applied.diagnostics));
    assert!(
        warned
            .applied
            .diagnostics
            .iter()
            .any(|d| d.notes.iter().any(|n| n.starts_with("checks are off")))
    );

    let skipped = with(
        &loop_,
        &Options {
            flow: FlowProofs::Skipped,
            ..Options::default()
        },
    );
    assert!(skipped.flow.is_empty());
    assert!(!has_errors(&skipped.applied.diagnostics));
}

#[test]
fn open_apps_already_told_of_get_no_note() {
    let open = loaded("on new event in Calendar do create task in Todo { title: title }\n");
    let open_apps = |stages: &super::Stages| -> Vec<Arc<str>> {
        stages
            .checked
            .problems
            .iter()
            .flat_map(|p| match p {
                CheckError::OpenApps { apps } => apps.iter().map(|a| a.text.clone()).collect(),
                _ => Vec::new(),
            })
            .collect()
    };
    assert_eq!(open_apps(&stages(&open)).len(), 2);
    let told: BTreeSet<Arc<str>> = [Arc::from("Calendar")].into();
    let once = with(
        &open,
        &Options {
            announced: Some(&told),
            ..Options::default()
        },
    );
    assert_eq!(open_apps(&once), [Arc::from("Todo")]);
}
