//! Field-level validation errors, collected so that a client sees every problem at once.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the offending field, e.g. `sections[2].rows[0].label`.
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records the error of `result` under `field` and hands back its value, if any.
    pub fn check<T>(&mut self, field: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no error was collected.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if !self.is_empty() {
            return Err(self);
        }
        // Every check passed, so every value is present; a missing one is still reported, not
        // unwrapped.
        value().ok_or_else(|| FieldErrors::single("body", "invalid input"))
    }
}

/// Characters that change how the text around them is shown without being seen: direction
/// overrides, embeddings and isolates (a name ending in U+202E and "gnp.exe" reads "exe.png"),
/// zero-width spaces and joiners, the byte-order mark, the soft hyphen. Every free-text name
/// and title ends up in pages, PDFs, mails and at the gate, where they would deceive.
fn is_invisible_or_reordering(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Trims `raw` and checks its length in characters and that it holds no control characters
/// and no invisible or direction-changing ones. Every free-text field of the domain (names,
/// titles, labels, descriptions) goes through it.
pub fn text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    if value.chars().any(is_invisible_or_reordering) {
        return Err("must not contain invisible or direction-changing characters".into());
    }
    Ok(value.to_owned())
}

/// Checks that `value` lies in `min..=max`.
pub fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    value: T,
    min: T,
    max: T,
) -> Result<T, String> {
    if value < min || value > max {
        Err(format!("must be between {min} and {max}"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_bounds() {
        assert_eq!(text("  Arena  ", 1, 10), Ok("Arena".into()));
        assert!(text("   ", 1, 10).is_err());
        assert!(text("abcdefghijk", 1, 10).is_err());
        assert!(text("a\u{0}b", 1, 10).is_err());
        assert_eq!(
            text("ção", 3, 3),
            Ok("ção".into()),
            "length counts characters, not bytes"
        );
    }

    #[test]
    fn text_refuses_what_reorders_or_hides() {
        for sneaky in [
            "foto\u{202E}gnp.exe",
            "a\u{200B}b",
            "a\u{2066}b\u{2069}",
            "\u{FEFF}Arena",
            "Ana\u{200D}",
        ] {
            assert_eq!(
                text(sneaky, 1, 100),
                Err("must not contain invisible or direction-changing characters".into()),
                "{sneaky:?}"
            );
        }
        assert_eq!(
            text("Teatro Amazonas 🎭", 1, 100),
            Ok("Teatro Amazonas 🎭".into())
        );
        assert_eq!(
            text("عرض", 1, 100),
            Ok("عرض".into()),
            "right-to-left text itself is fine"
        );
    }

    #[test]
    fn collects_every_error() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("a", in_range(5, 1, 3)), None);
        assert_eq!(errors.check("b", text("", 1, 3)), None);
        assert_eq!(errors.check("c", in_range(2, 1, 3)), Some(2));
        assert_eq!(errors.0.len(), 2);
        assert!(errors.finish(|| Some(())).is_err());
    }
}
