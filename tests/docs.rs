//! The documentation is run, so it cannot drift from the program: every code has an explain
//! page whose wrong example triggers it and whose fixed example checks clean, and every
//! complete script in docs/language.md checks clean.

use weir::codes::Code;
use weir::load;

fn diagnostics_of(name: &str, text: &str) -> Vec<(Option<String>, bool)> {
    diagnostics_of_files(vec![(name.to_string(), text.to_string())])
}

fn diagnostics_of_files(files: Vec<(String, String)>) -> Vec<(Option<String>, bool)> {
    let loaded = load::parse_all(files);
    weir::check::check_loaded(&loaded)
        .into_iter()
        .map(|d| {
            let is_error = weir::diagnostic::is_error(&d);
            (d.code, is_error)
        })
        .collect()
}

/// The fenced ```weir blocks under a heading of a markdown page.
fn blocks_under(page: &str, heading: &str) -> Vec<String> {
    let Some(start) = page.find(heading) else {
        return Vec::new();
    };
    let section = &page[start + heading.len()..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    weir_blocks(section)
}

fn weir_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```weir\n") {
        let body = &rest[open + 8..];
        let close = body.find("\n```").expect("a weir block is closed");
        blocks.push(body[..close + 1].to_string());
        rest = &body[close + 4..];
    }
    blocks
}

#[test]
fn every_code_has_a_page_that_starts_with_its_code() {
    for code in Code::ALL {
        let page = code.page();
        assert!(
            page.starts_with(&format!("# {}: ", code.as_str())),
            "docs/errors/{code}.md must start with `# {code}: …`"
        );
        assert!(
            page.contains("## Wrong") && page.contains("## Fixed"),
            "{code}: needs Wrong and Fixed examples"
        );
    }
}

#[test]
fn wrong_examples_trigger_their_code_and_fixed_ones_are_clean() {
    for code in Code::ALL
        .iter()
        .filter(|c| c.as_str().starts_with(['E', 'W']))
    {
        let page = code.page();
        let wrong = blocks_under(page, "## Wrong");
        let fixed = blocks_under(page, "## Fixed");
        assert!(
            !wrong.is_empty() && !fixed.is_empty(),
            "{code}: a ```weir block under each heading"
        );
        for block in &wrong {
            let found = diagnostics_of("wrong.weir", block);
            assert!(
                found
                    .iter()
                    .any(|(c, _)| c.as_deref() == Some(code.as_str())),
                "{code}: the wrong example does not produce {code}; it gives {found:?}"
            );
        }
        for block in &fixed {
            let found = diagnostics_of("fixed.weir", block);
            assert!(
                !found
                    .iter()
                    .any(|(c, is_error)| *is_error || c.as_deref() == Some(code.as_str())),
                "{code}: the fixed example still has problems: {found:?}"
            );
        }
    }
}

/// `apps.weir` for a block whose first line is `# apps.weir`.
fn file_name(block: &str) -> Option<&str> {
    let first = block.lines().next()?.strip_prefix("# ")?;
    first.ends_with(".weir").then_some(first)
}

#[test]
fn complete_scripts_in_the_language_reference_check_clean() {
    let page = include_str!("../docs/language.md");
    let blocks = weir_blocks(page);
    assert!(blocks.len() >= 3, "the reference shows complete scripts");
    let readme = weir_blocks(include_str!("../README.md"));
    assert!(!readme.is_empty(), "the README shows a script");
    // A block that starts with `# NAME.weir` is a file of a project shown in several blocks:
    // the blocks are checked together, so that one may `use` another by that name.
    let (project, alone): (Vec<String>, Vec<String>) = blocks
        .into_iter()
        .chain(readme)
        .partition(|block| file_name(block).is_some());
    let files: Vec<(String, String)> = project
        .iter()
        .map(|block| (file_name(block).unwrap().to_string(), block.clone()))
        .collect();
    let found = diagnostics_of_files(files);
    assert!(
        !found.iter().any(|(_, is_error)| *is_error),
        "the blocks of a project in docs/language.md have errors: {found:?}\n{}",
        project.join("\n")
    );
    for block in alone {
        let found = diagnostics_of("language.md", &block);
        assert!(
            !found.iter().any(|(_, is_error)| *is_error),
            "a script in docs/language.md has errors: {found:?}\n{block}"
        );
    }
}

#[test]
fn explain_prints_the_page() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args(["explain", "e0204"])
        .output()
        .expect("weir runs");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), Code::E0204.page());
}

#[test]
fn the_pictures_in_the_checking_guide_are_current() {
    let page = include_str!("../docs/checking.md");
    let start = page
        .find("```mermaid\n")
        .expect("the guide shows a Mermaid picture")
        + 11;
    let shown = &page[start..start + page[start..].find("```").unwrap()];
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/shop_orders.weir"
    ))
    .unwrap();
    let loaded = load::parse_all(vec![("shop_orders.weir".into(), text)]);
    let checked = weir::check::check(&loaded.scripts, &loaded.sources);
    let current = weir::flow::render::View::new(&checked.program).mermaid();
    assert_eq!(
        shown, current,
        "docs/checking.md: run `weir graph --format mermaid examples/shop_orders.weir` and paste it"
    );
}
