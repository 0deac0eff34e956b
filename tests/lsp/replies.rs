//! Reading the server's replies in tests: a diagnostic's code, completion labels, and text
//! edits applied to a text as a client applies them.

use serde_json::Value;

pub fn code(diagnostic: &Value) -> &str {
    diagnostic["code"].as_str().unwrap_or("")
}

pub fn labels(completion: &Value) -> Vec<String> {
    completion
        .as_array()
        .expect("a list of items")
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

/// Applies a client's text edits (all for one document, not overlapping) to a text.
pub fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        let rest = &text[start..];
        for (at, c) in rest.char_indices() {
            if units >= p["character"].as_u64().unwrap() as usize || c == '\n' {
                return start + at;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let range = &e["range"];
            (
                offset(&range["start"]),
                offset(&range["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, new);
    }
    out
}
