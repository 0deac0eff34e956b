//! Every example checks as its header says: clean, except the teaching example whose loop
//! `weir check` must reject.

use weir::load;

#[test]
fn examples_check_as_documented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("examples/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "weir") {
            continue;
        }
        seen += 1;
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with('#'),
            "{name}: starts with a comment header saying what it shows"
        );
        let loaded = load::parse_all(vec![(name.clone(), text)]);
        let diagnostics = weir::check::check_loaded(&loaded);
        let codes: Vec<String> = diagnostics.iter().filter_map(|d| d.code.clone()).collect();
        if name == "loop_demo.weir" {
            assert_eq!(
                codes,
                vec!["E0301".to_string()],
                "{name}: the loop is rejected, and only that"
            );
        } else {
            assert!(
                codes.is_empty(),
                "{name}: expected no problems, found {codes:?}"
            );
        }
    }
    assert!(seen >= 4, "at least four examples");
}
