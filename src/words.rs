//! Words shared by every message: articles and the language's keywords.

/// `a` or `an` before a word.
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The reserved words of the language (grammar/weir.pest's `reserved`).
pub const KEYWORDS: &[&str] = &[
    "app", "at", "reports", "emits", "owns", "engine", "workflow", "on", "do", "new", "updated",
    "deleted", "in", "where", "changing", "unless", "continue", "if", "then", "else", "let",
    "create", "update", "delete", "linked", "notify", "sync", "between", "prefer", "scenario",
    "user", "creates", "updates", "deletes", "expect", "no", "loop", "and", "or", "not", "true",
    "false", "none", "upsert",
];

#[cfg(test)]
mod tests {
    #[test]
    fn articles_follow_the_first_sound_letter() {
        assert_eq!(super::article("event"), "an");
        assert_eq!(super::article("patient"), "a");
        assert_eq!(super::article("Invoice"), "an");
    }
}
