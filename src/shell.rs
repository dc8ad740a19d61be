//! Shell quoting for commands shown for copy-paste (remedies, tickets, hints): a team
//! name is printed bare when it is only safe characters, else single-quoted.

/// `name` as a POSIX shell word: bare when safe, else in single quotes (`'` as `'\''`).
pub fn quote(name: &str) -> String {
    let safe = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@+=".contains(c));
    if safe {
        name.to_string()
    } else {
        format!("'{}'", name.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn names_are_quoted_for_the_shell() {
        assert_eq!(quote("acme"), "acme");
        assert_eq!(quote("Demo (sandbox)"), "'Demo (sandbox)'");
        assert_eq!(quote("O'Brien & Co"), "'O'\\''Brien & Co'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote(""), "''");
    }
}
