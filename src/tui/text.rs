//! Text layout helpers for narrow panes: wrap with a hanging indent, breaking long words.

/// Splits `text` into lines of at most `width` characters; lines after the first start
/// with `indent` spaces. Words longer than a line are broken.
pub fn wrap_hanging(text: &str, width: usize, first_prefix: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut room = width.saturating_sub(first_prefix);
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let sep = usize::from(used > 0);
            if used + sep + word.len() <= room {
                if sep == 1 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut current));
                room = width - indent;
                continue;
            }
            // A word longer than the whole line: break it.
            let take = room.max(1).min(word.len());
            lines.push(word[..take].iter().collect());
            word.drain(..take);
            room = width - indent;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l
            } else {
                format!("{}{l}", " ".repeat(indent))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::wrap_hanging;

    #[test]
    fn wraps_with_indent_and_breaks_long_words() {
        assert_eq!(wrap_hanging("a b c", 20, 0, 2), vec!["a b c"]);
        assert_eq!(
            wrap_hanging("deep sync credentials not tested (step 2)", 20, 4, 4),
            vec!["deep sync", "    credentials not", "    tested (step 2)"]
        );
        let url = wrap_hanging("https://login.icims.com/oauth/token", 20, 10, 10);
        assert_eq!(
            url,
            vec![
                "https://lo",
                "          gin.icims.",
                "          com/oauth/",
                "          token"
            ]
        );
    }
}
