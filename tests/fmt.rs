//! `weir fmt` keeps the meaning and the comments: for every script in the repository, and for
//! scripts made by shuffling their parts, `parse(fmt(x)) == parse(x)`, formatting twice
//! changes nothing more, and every comment is still there, in order.

use weir::syntax;

fn scripts() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["examples", "tests"] {
        collect(&root.join(dir), &mut out);
    }
    out.sort();
    out
}

/// Every `.weir` file under `dir`, in its folders too.
fn collect(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "weir") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// Comments as the formatter sees them: `#` outside texts, to the end of the line, and
/// whether code stands before it on its line (a comment at the end of a line stays at the end
/// of a line; one on a line of its own stays on one).
fn comments(text: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_text = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if in_text {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_text = false;
                }
            } else if c == '"' {
                in_text = true;
            } else if c == '#' {
                let trailing = !line[..i].trim().is_empty();
                out.push((trailing, line[i..].trim_end().to_string()));
                break;
            }
        }
    }
    out
}

/// The script with every `expect runs of line N` naming its one-liner by position instead, so
/// that scripts whose one-liners moved to other lines can be compared.
fn by_position(mut script: weir::ast::Script, text: &str) -> weir::ast::Script {
    use weir::ast::{Item, ScenarioStepKind, WorkflowForm, WorkflowRef};
    let lines: Vec<u32> = script
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Workflow(w) if w.form == WorkflowForm::OneLine => {
                Some(text[..w.span.start as usize].matches('\n').count() as u32 + 1)
            }
            _ => None,
        })
        .collect();
    for item in &mut script.items {
        if let Item::Scenario(s) = item {
            for step in &mut s.steps {
                if let ScenarioStepKind::ExpectRuns { workflow, .. } = &mut step.kind
                    && let WorkflowRef::Line(n) = workflow.node
                    && let Some(index) = lines.iter().position(|l| *l == n)
                {
                    workflow.node = WorkflowRef::Named(format!("one-liner #{index}").into());
                }
            }
        }
    }
    script
}

fn assert_formats_faithfully(name: &str, text: &str) {
    let Ok(script) = syntax::parse_script(0, text) else {
        return;
    };
    let formatted = weir::fmt::format(&script, text);
    let again = syntax::parse_script(0, &formatted).unwrap_or_else(|e| {
        panic!("{name}: the formatted script does not parse: {e:?}\n{formatted}")
    });
    assert_eq!(
        by_position(script.clone(), text),
        by_position(again.clone(), &formatted),
        "{name}: formatting changed the meaning\n{formatted}"
    );
    assert_eq!(
        weir::fmt::format(&again, &formatted),
        formatted,
        "{name}: formatting twice changes it again"
    );
    assert_eq!(
        comments(text),
        comments(&formatted),
        "{name}: comments were lost or moved out of order\n{formatted}"
    );
}

#[test]
fn formatting_keeps_meaning_and_comments() {
    let scripts = scripts();
    assert!(scripts.len() > 50);
    for (name, text) in &scripts {
        assert_formats_faithfully(name, text);
    }
}

#[test]
fn formatting_keeps_meaning_of_scripts_made_from_parts() {
    // Items of different scripts, concatenated in many orders. A scenario that names a
    // one-liner by its line (`expect runs of line 12`) names, out of its own file, whatever
    // comes to stand on that line, which formatting may move: such parts are left out.
    let items: Vec<String> = scripts()
        .iter()
        .flat_map(|(_, text)| text.split("\n\n").map(str::to_string).collect::<Vec<_>>())
        .filter(|item| !item.contains("runs of line"))
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..300 {
        let mut script = String::new();
        for _ in 0..6 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            script.push_str(&items[(seed % items.len() as u64) as usize]);
            script.push_str(if seed.is_multiple_of(3) { "\n" } else { "\n\n" });
        }
        assert_formats_faithfully(&format!("round {round}"), &script);
    }
}

#[test]
fn formatting_lays_out_a_messy_workflow() {
    let text = "workflow w{on new event in A where x>1 and(y or z)\nlet a=(1+2)*3 # keep me\ncreate  in B{t:\"a {a}\"}}\n";
    let script = syntax::parse_script(0, text).unwrap();
    assert_eq!(
        weir::fmt::format(&script, text),
        "workflow w {\n  on new event in A where x > 1 and (y or z)\n  let a = (1 + 2) * 3  # keep me\n  create in B { t: \"a {a}\" }\n}\n"
    );
}

#[test]
fn equality_ignores_layout_but_not_meaning() {
    let a = syntax::parse_script(0, "on new e in A do create in B { x: 1 + 2 }").unwrap();
    let b =
        syntax::parse_script(0, "\n\non  new e in A\n do create in B {x:1+2}   # same\n").unwrap();
    let c = syntax::parse_script(0, "on new e in A do create in B { x: 1 + 3 }").unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_examples_are_in_the_canonical_layout() {
    for (name, text) in scripts()
        .into_iter()
        .filter(|(n, _)| n.contains("/examples/"))
    {
        let script = syntax::parse_script(0, &text).unwrap();
        assert_eq!(
            weir::fmt::format(&script, &text),
            text,
            "{name}: run `weir fmt --write {name}`"
        );
    }
}
