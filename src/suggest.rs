//! Did-you-mean: the closest known name to a misspelt one.

/// The candidate closest to `word`, if one is close enough to be what was meant.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= threshold(word.len().max(c.len())))
        .min_by_key(|(distance, c)| (*distance, c.len()))
        .map(|(_, c)| c)
}

fn threshold(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=5 => 1,
        6..=9 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_close_names_and_ignores_far_ones() {
        let names = ["Calendar", "Outlook", "EHR"];
        assert_eq!(closest("Calender", names), Some("Calendar"));
        assert_eq!(closest("outlook", names), Some("Outlook"));
        assert_eq!(closest("Slack", names), None);
        assert_eq!(closest("ehr", names), Some("EHR"));
    }
}
