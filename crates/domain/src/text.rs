//! Text as search compares it: `fold` forgets accents and case, so that "musica" finds
//! "Música" and "sao paulo" finds "São Paulo" on every backend. What is stored for search and
//! every query are folded by this one function.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` decomposed (NFKD), without its combining marks (accents, cedillas, tildes), in lower
/// case: "São Paulo" → "sao paulo", "ﬁ" → "fi".
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_are_forgotten() {
        assert_eq!(fold("São Paulo"), "sao paulo");
        assert_eq!(fold("MÚSICA"), "musica");
        assert_eq!(fold("Comédia Ação Pinguim"), "comedia acao pinguim");
        assert_eq!(fold("ﬁm"), "fim");
        assert_eq!(
            fold(&fold("Ñandú")),
            fold("Ñandú"),
            "folding twice changes nothing"
        );
    }
}
