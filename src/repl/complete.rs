//! Tab completion: the words that fit where the cursor is.

use super::command::COMMANDS;
use crate::builtins::Builtin;
use crate::codes::Code;
use crate::program::FailurePart;
use crate::words;

/// An entity's name and its fields' names.
pub type EntityNames = (String, Vec<String>);

/// The names a session knows, for completion.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Each app with its entities and their fields.
    pub apps: Vec<(String, Vec<EntityNames>)>,
    pub workflows: Vec<String>,
    /// Further names a value can be at the cursor: the `let`s above it, labels (the language
    /// server fills these in; the REPL has none).
    pub in_scope: Vec<String>,
}

impl Names {
    /// The apps, entities, fields and workflows of a checked program.
    pub fn of_program(p: &crate::program::Program) -> Names {
        Names {
            apps: p
                .apps
                .iter()
                .filter(|a| !a.is_clock())
                .map(|a| {
                    let entities = a
                        .entities
                        .iter()
                        .map(|e| p.entity(*e))
                        .filter(|e| !e.is_hidden())
                        .map(|e| {
                            (
                                e.name.to_string(),
                                e.fields.iter().map(|f| f.name.to_string()).collect(),
                            )
                        })
                        .collect();
                    (a.name.to_string(), entities)
                })
                .collect(),
            workflows: p.workflows.iter().map(|w| w.name.to_string()).collect(),
            in_scope: Vec::new(),
        }
    }

    fn entities(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, entities) in &self.apps {
            for (e, _) in entities {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
        }
        out
    }

    fn fields_of(&self, app: Option<&str>, entity: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (a, entities) in &self.apps {
            if app.is_some_and(|app| app != a) {
                continue;
            }
            for (e, fields) in entities {
                if e == entity {
                    out.extend(fields.iter().cloned());
                }
            }
        }
        out
    }
}

/// What may follow a REPL command (`:explain E0301`, `:show Crm.contact`, …).
fn command_arguments(command: &str, names: &Names) -> Vec<String> {
    match command {
        ":explain" => Code::ALL.iter().map(|c| c.as_str().to_string()).collect(),
        ":show" => names
            .apps
            .iter()
            .flat_map(|(a, es)| {
                std::iter::once(a.clone()).chain(es.iter().map(move |(e, _)| format!("{a}.{e}")))
            })
            .collect(),
        ":graph" => vec!["text".into(), "dot".into(), "mermaid".into()],
        ":set" => vec!["max-hops".into(), "checks".into()],
        _ => Vec::new(),
    }
}

/// `trigger.`, `error.` or `App.`: fields of the trigger, parts of the failure, entities of the
/// app, each with the word's prefix.
fn dotted(word: &str, app: &str, words: &[&str], names: &Names) -> Vec<String> {
    let prefix = &word[..app.len() + 1];
    let inner: Vec<String> = if app == "error" {
        // `error.message` and the like, in a workflow on failed runs.
        FailurePart::ALL
            .iter()
            .map(|(n, _)| n.to_string())
            .collect()
    } else if app == "trigger" {
        trigger_entity(words)
            .map(|(a, e)| names.fields_of(Some(&a), &e))
            .unwrap_or_default()
    } else {
        names
            .apps
            .iter()
            .filter(|(a, _)| a == app)
            .flat_map(|(_, es)| es.iter().map(|(e, _)| e.clone()))
            .collect()
    };
    inner.into_iter().map(|f| format!("{prefix}{f}")).collect()
}

/// Where the word being completed starts, and the candidates for it.
pub fn complete(line: &str, pos: usize, names: &Names) -> (usize, Vec<String>) {
    let head = &line[..pos.min(line.len())];
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.' || c == '-'))
        .map_or(0, |i| i + 1);
    let word = &head[start..];
    let words: Vec<&str> = head[..start].split_whitespace().collect();
    let previous = words.last().copied().unwrap_or("");

    let options: Vec<String> = if word.starts_with(':') && words.is_empty() {
        COMMANDS.iter().map(|(n, _, _)| format!(":{n}")).collect()
    } else if words.first().is_some_and(|w| w.starts_with(':')) {
        command_arguments(words[0], names)
    } else if let Some((app, _)) = word.split_once('.').filter(|_| !word.ends_with(' ')) {
        dotted(word, app, &words, names)
    } else {
        match previous {
            "in" | "between" | "and" | "prefer" => {
                names.apps.iter().map(|(a, _)| a.clone()).collect()
            }
            "new" | "updated" | "deleted" | "create" | "update" | "delete" | "creates"
            | "updates" | "deletes" | "sync" | "owns" | "with" | "poll" => names.entities(),
            "of" if words.len() >= 3 && matches!(words[words.len() - 3], "before" | "after") => {
                names.entities()
            }
            "of" => names.workflows.clone(),
            // `let open = every ENTITY in APP …`, and `find`, `exists`, `count` alike.
            "every" | "find" | "exists" | "count"
                if words.len() >= 2 && words[words.len() - 2] == "=" =>
            {
                names.entities()
            }
            // `on every day`, `on every monday`, … (a length is typed, not completed).
            "every" => std::iter::once("day")
                .chain(crate::ast::WEEKDAYS)
                .map(String::from)
                .collect(),
            // `on 24h before FIELD of ENTITY in APP`: the side, every field, then the entities.
            length if words.len() >= 2 && words[words.len() - 2] == "on" && is_length(length) => {
                vec!["before".into(), "after".into()]
            }
            "before" | "after" if words.len() >= 3 && words[words.len() - 3] == "on" => names
                .apps
                .iter()
                .flat_map(|(_, es)| es.iter().flat_map(|(_, fields)| fields.iter().cloned()))
                .collect(),
            // `on failed run of WORKFLOW`, or `on failed run` of any workflow.
            "failed" if words.len() >= 2 && words[words.len() - 2] == "on" => vec!["run".into()],
            "run" if words.len() >= 2 && words[words.len() - 2] == "failed" => {
                vec!["of".into(), "do".into(), "where".into()]
            }
            // `at most once per 60s per FIELD`: the words in their order, then the fields.
            "most" => vec!["once".into()],
            "once" => vec!["per".into()],
            "per" if words.len() >= 2 && words[words.len() - 2] != "once" => trigger_entity(&words)
                .map(|(a, e)| names.fields_of(Some(&a), &e))
                .unwrap_or_default(),
            _ => {
                // Every word of the language, reserved or contextual, and the names with a
                // meaning where a value is expected (`trigger`, `origin`).
                let mut options: Vec<String> = words::all().map(String::from).collect();
                options.extend(Builtin::ALL.iter().map(|b| b.name().to_string()));
                options.extend(names.in_scope.iter().cloned());
                if let Some((app, entity)) = context_entity(&words) {
                    options.extend(names.fields_of(Some(&app), &entity));
                }
                options
            }
        }
    };
    let mut matches: Vec<String> = options
        .into_iter()
        .filter(|o| o.starts_with(word) && o != word)
        .collect();
    matches.sort();
    matches.dedup();
    (start, matches)
}

/// `ENTITY in APP` of the trigger (`on KIND ENTITY in APP`, `on 24h before FIELD of ENTITY in
/// APP`).
fn trigger_entity(words: &[&str]) -> Option<(String, String)> {
    let on = words.iter().position(|w| *w == "on")?;
    let timer = words
        .get(on + 2)
        .is_some_and(|w| matches!(*w, "before" | "after"));
    let from = if timer { on + 4 } else { on + 1 };
    match words.get(from..from + 4)? {
        [_, entity, "in", app] => Some((app.to_string(), entity.to_string())),
        _ => None,
    }
}

/// `24h`, `15m`: a length as typed.
fn is_length(word: &str) -> bool {
    let digits = word.trim_end_matches(['s', 'm', 'h', 'd']);
    word.len() == digits.len() + 1
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The entity whose fields fit at the end: the last `ENTITY in APP` written.
fn context_entity(words: &[&str]) -> Option<(String, String)> {
    (2..words.len()).rev().find_map(|i| {
        (words[i - 1] == "in").then(|| {
            (
                words[i].trim_end_matches('{').to_string(),
                words[i - 2].to_string(),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            apps: vec![
                (
                    "Calendar".into(),
                    vec![("event".into(), vec!["title".into(), "start".into()])],
                ),
                (
                    "Outlook".into(),
                    vec![("event".into(), vec!["subject".into()])],
                ),
            ],
            workflows: vec!["to_outlook".into()],
            in_scope: Vec::new(),
        }
    }

    #[test]
    fn completes_in_context() {
        let n = names();
        assert_eq!(complete(":gr", 3, &n).1, vec![":graph"]);
        assert_eq!(
            complete("on new event in Cal", 19, &n),
            (16, vec!["Calendar".to_string()])
        );
        assert_eq!(complete("on new ev", 9, &n).1, vec!["event"]);
        assert_eq!(
            complete("sync event in Calendar with ev", 30, &n).1,
            vec!["event"]
        );
        assert_eq!(
            complete("user creates event in Calendar { ti", 35, &n).1,
            vec!["time", "title"]
        );
        assert_eq!(complete("expect runs of to", 17, &n).1, vec!["to_outlook"]);
        let limit = "on new event in Calendar at most o";
        assert_eq!(complete(limit, limit.len(), &n).1, vec!["once"]);
        let limit = "on new event in Calendar at most once per 1m per ";
        assert_eq!(complete(limit, limit.len(), &n).1, vec!["start", "title"]);
        assert_eq!(complete("adv", 3, &n).1, vec!["advance"]);
        assert_eq!(complete("poll ev", 7, &n).1, vec!["event"]);
        assert!(complete("pol", 3, &n).1.contains(&"poll".to_string()));
        assert_eq!(complete(":adv", 4, &n).1, vec![":advance"]);
        assert!(complete("  fo", 4, &n).1.contains(&"for".to_string()));
        assert_eq!(complete("on ev", 5, &n).1, vec!["every"]);
        assert_eq!(complete("on every mo", 11, &n).1, vec!["monday"]);
        assert_eq!(complete("on every d", 10, &n).1, vec!["day"]);
        assert_eq!(complete("on 24h b", 8, &n).1, vec!["before"]);
        assert_eq!(complete("on 24h af", 9, &n).1, vec!["after"]);
        assert_eq!(complete("wa", 2, &n).1, vec!["wait"]);
        let timer = "on 24h before st";
        assert_eq!(complete(timer, timer.len(), &n).1, vec!["start"]);
        let timer = "on 24h before start of ev";
        assert_eq!(complete(timer, timer.len(), &n).1, vec!["event"]);
        let timer = "on 24h before start of event in Calendar do notify trigger.ti";
        assert_eq!(complete(timer, timer.len(), &n).1, vec!["trigger.title"]);
        let failed = "on failed r";
        assert_eq!(complete(failed, failed.len(), &n).1, vec!["run"]);
        let failed = "on failed run o";
        assert_eq!(complete(failed, failed.len(), &n).1, vec!["of"]);
        let failed = "on failed run ";
        assert_eq!(
            complete(failed, failed.len(), &n).1,
            vec!["do", "of", "where"]
        );
        let failed = "on failed run of to_";
        assert_eq!(complete(failed, failed.len(), &n).1, vec!["to_outlook"]);
        let part = "on failed run of to_outlook do notify error.m";
        assert_eq!(complete(part, part.len(), &n).1, vec!["error.message"]);
        assert_eq!(
            complete(":show Cal", 9, &n).1,
            vec!["Calendar", "Calendar.event"]
        );
        assert!(
            complete("on new event in Calendar do no", 30, &n)
                .1
                .contains(&"notify".to_string())
        );
    }

    #[test]
    fn completes_the_entity_of_a_lookup() {
        let n = names();
        let every = "let all = every ev";
        assert_eq!(complete(every, every.len(), &n).1, vec!["event"]);
        let find = "let e = find ";
        assert_eq!(complete(find, find.len(), &n).1, vec!["event"]);
        let fields = "let all = every event in Calendar where ti";
        assert_eq!(complete(fields, fields.len(), &n).1, vec!["time", "title"]);
        // After `on`, `every` is still the schedules' word.
        assert_eq!(complete("on every d", 10, &n).1, vec!["day"]);
    }
}
