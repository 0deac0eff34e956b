//! The editor packages: the VS Code extension's TextMate grammar highlights what the REPL
//! highlights (every keyword of the one table of words and every contextual word of the
//! grammar, texts, numbers, comments), and its manifest points at files that exist.

use std::path::Path;

use regex::Regex;
use serde_json::Value;
use weir::repl::highlight::{Class, classify};

const VSCODE: &str = "editors/vscode";

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(VSCODE).join(path)).expect("the file exists");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path} is not JSON: {err}"))
}

/// The grammar's top-level rules, in order: (scope, regex).
fn rules() -> Vec<(String, Regex)> {
    let grammar = json("syntaxes/weir.tmLanguage.json");
    grammar["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let key = p["include"].as_str().unwrap().trim_start_matches('#');
            let rule = &grammar["repository"][key];
            let pattern = rule["match"]
                .as_str()
                .unwrap_or_else(|| panic!("{key} has a match"));
            // TextMate matches one line at a time; `$` is the end of that line.
            let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("{key}: {e}"));
            (rule["name"].as_str().unwrap().to_string(), regex)
        })
        .collect()
}

/// A line as a TextMate engine tokenises it with single-match rules: at each point the
/// earliest match wins, and of matches at the same place the first rule.
fn tokens(line: &str, rules: &[(String, Regex)]) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < line.len() {
        let best = rules
            .iter()
            .filter_map(|(scope, regex)| {
                regex
                    .find_at(line, at)
                    .filter(|m| !m.is_empty())
                    .map(|m| (m.start(), m.range(), scope))
            })
            .min_by_key(|(start, _, _)| *start);
        let Some((_, range, scope)) = best else { break };
        at = range.end;
        out.push((range, scope.clone()));
    }
    out
}

fn scope_for(class: Class) -> &'static str {
    match class {
        Class::Keyword => "keyword.control.weir",
        Class::Text => "string.quoted.double.weir",
        Class::Number => "constant.numeric.weir",
        Class::Comment => "comment.line.number-sign.weir",
        Class::Command => unreachable!("no REPL commands in files"),
    }
}

/// Every word the language treats as a keyword, as the editor should colour it: the one table
/// of words (`weir::words::WORDS`), whose test keeps it equal to the grammar's `reserved` and
/// word rules. Types are coloured as types; names with a meaning (`trigger`, `origin`) are names.
fn language_words() -> Vec<(String, &'static str)> {
    use weir::words::{Role, WORDS};
    let found: Vec<(String, &'static str)> = WORDS
        .iter()
        .filter(|w| w.role != Role::Value)
        .map(|w| {
            let scope = match w.role {
                Role::Type if w.also.contains(&"type_name") => "storage.type.weir",
                _ => "keyword.control.weir",
            };
            (w.text.to_string(), scope)
        })
        .collect();
    assert!(found.len() > 30, "the table lists the keywords: {found:?}");
    found
}

#[test]
fn every_keyword_of_the_table_of_words_is_a_keyword_of_the_grammar() {
    let rules = rules();
    let words = language_words();
    for contextual in ["one", "of", "with", "map", "match"] {
        assert!(
            words.iter().any(|(w, _)| w == contextual),
            "`{contextual}` is read"
        );
    }
    let missing: Vec<&(String, &str)> = words
        .iter()
        .filter(|(word, scope)| tokens(word, &rules) != [(0..word.len(), scope.to_string())])
        .collect();
    assert!(
        missing.is_empty(),
        "the TextMate grammar does not highlight these as keywords: {missing:?}"
    );
    // And nothing else is: a name that starts like a keyword is a name.
    for name in ["application", "news", "origin", "title", "ones", "mapping"] {
        let found = tokens(name, &rules);
        assert_ne!(found[0].1, "keyword.control.weir", "`{name}` is no keyword");
    }
}

#[test]
fn the_examples_highlight_as_the_repl_colours_them() {
    let rules = rules();
    let mut checked = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "weir") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let grammar = tokens(line, &rules);
            for (range, class) in classify(line) {
                let wanted = scope_for(class);
                let covered = grammar.iter().any(|(r, scope)| {
                    r.start <= range.start && range.end <= r.end && scope == wanted
                });
                assert!(
                    covered,
                    "{}:{}: `{}` is {wanted} for the REPL but the grammar gives {grammar:?}",
                    path.display(),
                    number + 1,
                    &line[range.clone()]
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 500,
        "the examples have words to check ({checked})"
    );
}

#[test]
fn the_manifest_names_the_language_its_grammar_and_its_configuration() {
    let manifest = json("package.json");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "weir");
    assert_eq!(language["extensions"][0], ".weir");
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.weir");
    for file in [
        grammar["path"].as_str().unwrap(),
        language["configuration"].as_str().unwrap(),
        manifest["main"].as_str().unwrap(),
    ] {
        assert!(Path::new(VSCODE).join(file).is_file(), "{file} exists");
    }
    let configuration = json("language-configuration.json");
    assert_eq!(configuration["comments"]["lineComment"], "#");
    assert_eq!(configuration["brackets"][0], serde_json::json!(["{", "}"]));
}
