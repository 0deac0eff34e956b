//! The grammar and the table of words agree: every word a rule of `grammar/weir.pest` spells
//! is in [`super::WORDS`] with that rule, the `reserved` rule reserves exactly the table's
//! reserved words, and every rule the table names spells its word.
//!
//! The grammar is read with `pest_meta` (pest's own reader of `.pest` files); a rule "spells"
//! words when it matches a finite set of letters-only texts (`"on" ~ !ident_char`,
//! `("new" | "updated" | "deleted") ~ !ident_char`, the prefix tree of `reserved`).

use std::collections::{BTreeMap, BTreeSet};

use pest_meta::ast::Expr;

use super::WORDS;

/// The finite set of texts `expr` matches, if it is finite and knowable without other rules.
/// Look-aheads match the empty text.
fn texts(expr: &Expr) -> Option<BTreeSet<String>> {
    Some(match expr {
        Expr::Str(s) => BTreeSet::from([s.clone()]),
        Expr::NegPred(_) | Expr::PosPred(_) => BTreeSet::from([String::new()]),
        Expr::Opt(inner) => {
            let mut set = texts(inner)?;
            set.insert(String::new());
            set
        }
        Expr::Choice(a, b) => {
            let mut set = texts(a)?;
            set.extend(texts(b)?);
            set
        }
        Expr::Seq(a, b) => {
            let (a, b) = (texts(a)?, texts(b)?);
            a.iter()
                .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
                .collect()
        }
        _ => return None,
    })
}

/// Each rule of the grammar that spells words, with those words.
fn word_rules(grammar: &str) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let pairs = pest_meta::parser::parse(pest_meta::parser::Rule::grammar_rules, grammar)
        .map_err(|e| format!("grammar/weir.pest does not parse: {e}"))?;
    let rules = pest_meta::parser::consume_rules(pairs)
        .map_err(|e| format!("grammar/weir.pest does not parse: {e:?}"))?;
    Ok(rules
        .into_iter()
        .filter_map(|rule| {
            let words = texts(&rule.expr)?;
            let is_words = words.iter().all(|w| {
                w.starts_with(|c: char| c.is_ascii_lowercase())
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
            is_words.then_some((rule.name, words))
        })
        .collect())
}

/// Every difference between the grammar's text and the table, one sentence each.
pub(super) fn differences(grammar: &str) -> Vec<String> {
    let rules = match word_rules(grammar) {
        Ok(rules) => rules,
        Err(e) => return vec![e],
    };
    let mut out = Vec::new();
    let reserved = rules.get("reserved").cloned().unwrap_or_default();
    for word in &reserved {
        if !WORDS.iter().any(|w| w.text == word && w.reserved) {
            out.push(format!(
                "`{word}` is reserved by the grammar's `reserved` rule but is not a reserved word in src/words.rs"
            ));
        }
    }
    for w in WORDS.iter().filter(|w| w.reserved) {
        if !reserved.contains(w.text) {
            out.push(format!(
                "`{}` is reserved in src/words.rs but missing from the grammar's `reserved` rule",
                w.text
            ));
        }
    }
    for (rule, words) in rules.iter().filter(|(name, _)| *name != "reserved") {
        for word in words {
            let listed = WORDS.iter().any(|w| {
                w.text == word && (w.rule == Some(rule.as_str()) || w.also.contains(&rule.as_str()))
            });
            if !listed {
                out.push(format!(
                    "the grammar's rule `{rule}` spells `{word}`, but src/words.rs does not give `{word}` the rule `{rule}`"
                ));
            }
        }
    }
    for w in WORDS {
        for rule in w.rule.iter().chain(w.also) {
            if !rules.get(*rule).is_some_and(|words| words.contains(w.text)) {
                out.push(format!(
                    "src/words.rs says the grammar's rule `{rule}` spells `{}`, but it does not",
                    w.text
                ));
            }
        }
        if let Some(rule) = w.rule.filter(|r| r.starts_with("kw_"))
            && rule != format!("kw_{}", w.text)
        {
            out.push(format!(
                "the keyword rule for `{}` must be named `kw_{}`",
                w.text, w.text
            ));
        }
    }
    out
}

const GRAMMAR: &str = include_str!("../../grammar/weir.pest");

#[test]
fn the_grammar_spells_the_words_of_the_table() {
    let found = differences(GRAMMAR);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_keyword_added_to_the_grammar_alone_is_named() {
    let doctored = format!("{GRAMMAR}\nkw_sort = @{{ \"sort\" ~ !ident_char }}\n");
    assert_eq!(
        differences(&doctored),
        [
            "the grammar's rule `kw_sort` spells `sort`, but src/words.rs does not give `sort` the rule `kw_sort`"
        ]
    );
    let doctored = GRAMMAR.replacen(r#""p" ~ "refer""#, r#""p" ~ ("refer" | "ublish")"#, 1);
    assert_ne!(doctored, GRAMMAR);
    assert_eq!(
        differences(&doctored),
        [
            "`publish` is reserved by the grammar's `reserved` rule but is not a reserved word in src/words.rs"
        ]
    );
}

#[test]
fn a_keyword_missing_from_the_grammar_is_named() {
    let doctored = GRAMMAR.replacen(
        "kw_match     = @{ \"match\" ~ !ident_char }",
        "kw_match     = { ident }",
        1,
    );
    assert_ne!(doctored, GRAMMAR);
    assert_eq!(
        differences(&doctored),
        ["src/words.rs says the grammar's rule `kw_match` spells `match`, but it does not"]
    );
    let doctored = GRAMMAR.replacen(r#""s" ~ ("cenario" | "ync")"#, r#""s" ~ "ync""#, 1);
    assert_ne!(doctored, GRAMMAR);
    assert_eq!(
        differences(&doctored),
        ["`scenario` is reserved in src/words.rs but missing from the grammar's `reserved` rule"]
    );
}
