//! Field-level validation errors, collected so that a client sees every problem at once. They
//! are facts (which field, what is wrong, the numbers involved), never words: the API and the
//! pages word each [`FieldProblem`] in their reader's language.

use serde_json::{Map, Value};

/// Values a walk of every problem fills each parameter with.
pub trait Example {
    fn example() -> Self;
}

impl Example for i64 {
    fn example() -> Self {
        7
    }
}

impl Example for char {
    fn example() -> Self {
        '#'
    }
}

impl Example for String {
    fn example() -> Self {
        "x".to_owned()
    }
}

impl Example for &'static [&'static str] {
    fn example() -> Self {
        &["a", "b"]
    }
}

macro_rules! field_problems {
    ($($(#[$doc:meta])* $variant:ident $({ $($param:ident: $ty:ty),* $(,)? })? = $code:literal,)*) => {
        /// What is wrong with a field. Each has a stable snake_case `code` (sent beside the
        /// field by the API) and the facts its wording needs.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum FieldProblem {
            $($(#[$doc])* $variant $({ $($param: $ty),* })?,)*
        }

        impl FieldProblem {
            /// The problem as a stable word, e.g. `too_long`.
            pub fn code(&self) -> &'static str {
                match self {
                    $(FieldProblem::$variant { .. } => $code,)*
                }
            }

            /// The facts of the problem by name, e.g. `{"max": 100}` (empty when it has none).
            pub fn params(&self) -> Map<String, Value> {
                #[allow(unused_mut)]
                let mut params = Map::new();
                match self {
                    $(FieldProblem::$variant $({ $($param),* })? => {
                        $($(params.insert(stringify!($param).to_owned(), serde_json::to_value($param).unwrap_or_default());)*)?
                    })*
                }
                params
            }

            /// One problem of every kind, made from the same list as the enum so that a walk of
            /// them (every wording in every language) cannot miss one.
            pub fn examples() -> Vec<FieldProblem> {
                vec![$(FieldProblem::$variant $({ $($param: Example::example()),* })?,)*]
            }
        }
    };
}

field_problems! {
    // Text.
    /// Nothing given (blank text, an empty list).
    Empty = "empty",
    /// Fewer than `min` characters.
    TooShort { min: i64 } = "too_short",
    /// More than `max` characters.
    TooLong { max: i64 } = "too_long",
    ControlCharacters = "control_characters",
    /// Direction overrides, zero-width characters and the like.
    InvisibleCharacters = "invisible_characters",
    /// A token (key, nonce, device id) holds `found`: only ASCII letters, digits and `-_.:` are.
    InvalidCharacters { found: char } = "invalid_characters",
    /// A token of `len` characters where `min` to `max` are taken.
    LengthOutOfRange { min: i64, max: i64, len: i64 } = "length_out_of_range",
    /// A password with fewer than `min` characters that are not spaces.
    MostlySpaces { min: i64 } = "mostly_spaces",
    NotAnEmail = "not_an_email",
    /// Not a CPF (11 digits) or a CNPJ (14 digits) whose check digits are right.
    InvalidDocument = "invalid_document",
    /// A transfer to the sender's own address.
    OwnAddress = "own_address",
    /// Not the account's current password.
    WrongPassword = "wrong_password",
    // Numbers and amounts.
    OutOfRange { min: i64, max: i64 } = "out_of_range",
    /// An amount of money outside `min_cents..=max_cents`.
    AmountOutOfRange { min_cents: i64, max_cents: i64 } = "amount_out_of_range",
    /// A resale asked at no price: a ticket given away is transferred.
    NotForFree = "not_for_free",
    /// The half-price quota, a percentage from the law's minimum `min` to 100.
    QuotaOutOfRange { min: i64 } = "quota_out_of_range",
    NotAWholeNumber = "not_a_whole_number",
    /// Not an amount of reais as people write it ("45,50").
    NotAnAmount = "not_an_amount",
    /// The total of an order past what can be charged.
    TotalTooLarge = "total_too_large",
    // Lists.
    /// A list with fewer than `min` or more than `max` items.
    CountOutOfRange { min: i64, max: i64 } = "count_out_of_range",
    /// A list with more than `max` items.
    TooMany { max: i64 } = "too_many",
    /// A venue with more than `max` seats.
    TooManySeats { max: i64 } = "too_many_seats",
    /// A name, label or id given twice where each must be unique.
    Duplicate = "duplicate",
    /// Sections of one category given different prices.
    PriceDiffersInCategory = "price_differs_in_category",
    /// A section already mapped to another of the session's categories.
    SectionInTwoCategories = "section_in_two_categories",
    // Names of things.
    /// One of the words `choices`, and nothing else.
    NotOneOf { choices: &'static [&'static str] } = "not_one_of",
    NotAnId = "not_an_id",
    /// No such venue, event, … (the field names which).
    Unknown = "unknown",
    NotAnInstant = "not_an_instant",
    InvalidCursor = "invalid_cursor",
    NotACurrency = "not_a_currency",
    NotATimeZone = "not_a_time_zone",
    /// A tag other than 1 to 40 letters, digits or dashes.
    InvalidTag { tag: String } = "invalid_tag",
    UnknownCategory = "unknown_category",
    /// A gate bundle's `since` that no earlier bundle gave.
    UnknownSince = "unknown_since",
    // Times.
    NotInFuture = "not_in_future",
    InFuture = "in_future",
    /// A moment that must come before the session starts.
    NotBeforeStart = "not_before_start",
    // Places and what is bought.
    /// Section `section` is not one of the event's venue.
    SectionNotOfVenue { section: String } = "section_not_of_venue",
    NotAStandingSection = "not_a_standing_section",
    /// Seat `seat` is not on sale in the session.
    SeatNotOnSale { seat: String } = "seat_not_on_sale",
    /// A product not offered with the event.
    NotOffered = "not_offered",
    /// A section gives neither or both of `rows` and `capacity`.
    RowsOrCapacity = "rows_or_capacity",
    /// A venue's change would take away the sections a session of it sells.
    SectionsOnSale = "sections_on_sale",
    /// A hold gives neither or both of seats and a standing section's quantity.
    SeatsOrStanding = "seats_or_standing",
    /// An order buys neither or both of a hold and a listing.
    HoldOrListing = "hold_or_listing",
    /// Half-price seats that are not among the seats held.
    NotAmongSeats = "not_among_seats",
    /// A half-price quantity in a seated hold, which names its half-price seats.
    HalfPriceBySeat = "half_price_by_seat",
    /// Half-price seats in a standing hold, which gives a quantity.
    HalfPriceByQuantity = "half_price_by_quantity",
    /// A ground for half price with no half-price place.
    OnlyForHalfPrice = "only_for_half_price",
    PixTakesNoToken = "pix_takes_no_token",
    InstallmentsByCardOnly = "installments_by_card_only",
    NotAPaymentToken = "not_a_payment_token",
    /// Products in an order of a listing, which buys the ticket alone.
    ResaleTicketOnly = "resale_ticket_only",
    // Bodies the server could not read.
    /// A required member `name` is missing.
    MissingField { name: String } = "missing_field",
    /// A member `name` this request does not take.
    UnknownField { name: String } = "unknown_field",
    /// A value of the wrong type or shape.
    Invalid = "invalid",
}

/// One field's problem: the path of the field (`sections[2].rows[0].label`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: FieldProblem,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, problem: FieldProblem) -> Self {
        let mut errors = Self::new();
        errors.add(field, problem);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, problem: FieldProblem) {
        self.0.push(FieldError {
            field: field.into(),
            problem,
        });
    }

    /// Records the problem of `result` under `field` and hands back its value, if any.
    pub fn check<T>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, FieldProblem>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem);
                None
            }
        }
    }

    /// Records the errors of a part of the input under its path: `queue` and `admit_per_minute`
    /// give `queue.admit_per_minute`.
    pub fn add_under(&mut self, prefix: &str, errors: FieldErrors) {
        for error in errors.0 {
            self.add(format!("{prefix}.{}", error.field), error.problem);
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
        value().ok_or_else(|| FieldErrors::single("body", FieldProblem::Invalid))
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
pub fn text(raw: &str, min: usize, max: usize) -> Result<String, FieldProblem> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 {
            FieldProblem::Empty
        } else {
            FieldProblem::TooShort { min: count(min) }
        });
    }
    if len > max {
        return Err(FieldProblem::TooLong { max: count(max) });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldProblem::ControlCharacters);
    }
    if value.chars().any(is_invisible_or_reordering) {
        return Err(FieldProblem::InvisibleCharacters);
    }
    Ok(value.to_owned())
}

/// A length or a count as a problem states it.
pub fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Checks a token's length (`min..=max` characters) and that it holds only ASCII letters,
/// digits and `-_.:` (idempotency keys, nonces, device ids). A bad character is named first.
pub fn token(raw: &str, min: usize, max: usize) -> Result<&str, FieldProblem> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.:".contains(c);
    if let Some(found) = raw.chars().find(|c| !allowed(*c)) {
        return Err(FieldProblem::InvalidCharacters { found });
    }
    let len = raw.chars().count();
    if len < min || len > max {
        return Err(FieldProblem::LengthOutOfRange {
            min: count(min),
            max: count(max),
            len: count(len),
        });
    }
    Ok(raw)
}

/// Checks that `value` lies in `min..=max`.
pub fn in_range(value: i64, min: i64, max: i64) -> Result<i64, FieldProblem> {
    if value < min || value > max {
        Err(FieldProblem::OutOfRange { min, max })
    } else {
        Ok(value)
    }
}

/// Checks that a number of items lies in `min..=max`.
pub fn count_in_range(items: usize, min: usize, max: usize) -> Result<(), FieldProblem> {
    if items < min || items > max {
        Err(FieldProblem::CountOutOfRange {
            min: count(min),
            max: count(max),
        })
    } else {
        Ok(())
    }
}

/// An optional field that must be a JSON object when given: a struct's derived reading would
/// also take an array of its fields in order (`[]` for one whose fields all have defaults).
pub fn object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    use serde::de::Error as _;
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => serde_json::from_value(value)
            .map(Some)
            .map_err(D::Error::custom),
        Some(_) => Err(D::Error::custom("expected an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn text_trims_and_bounds() {
        assert_eq!(text("  Arena  ", 1, 10), Ok("Arena".into()));
        assert_eq!(text("   ", 1, 10), Err(FieldProblem::Empty));
        assert_eq!(
            text("abcdefghijk", 1, 10),
            Err(FieldProblem::TooLong { max: 10 })
        );
        assert_eq!(text("ab", 3, 10), Err(FieldProblem::TooShort { min: 3 }));
        assert_eq!(text("a\u{0}b", 1, 10), Err(FieldProblem::ControlCharacters));
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
                Err(FieldProblem::InvisibleCharacters),
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
    fn tokens_name_the_bad_character_before_the_length() {
        assert_eq!(token("key-0001:a.b_c", 8, 64), Ok("key-0001:a.b_c"));
        assert_eq!(
            token("a b", 8, 64),
            Err(FieldProblem::InvalidCharacters { found: ' ' })
        );
        assert_eq!(
            token("short", 8, 64),
            Err(FieldProblem::LengthOutOfRange {
                min: 8,
                max: 64,
                len: 5
            })
        );
        assert_eq!(
            token(&"k".repeat(65), 8, 64),
            Err(FieldProblem::LengthOutOfRange {
                min: 8,
                max: 64,
                len: 65
            })
        );
    }

    #[test]
    fn collects_every_error() {
        let mut errors = FieldErrors::new();
        assert_eq!(errors.check("a", in_range(5, 1, 3)), None);
        assert_eq!(errors.check("b", text("", 1, 3)), None);
        assert_eq!(errors.check("c", in_range(2, 1, 3)), Some(2));
        assert_eq!(errors.0.len(), 2);
        let mut outer = FieldErrors::new();
        outer.add_under("queue", errors);
        assert_eq!(outer.0[0].field, "queue.a");
        assert_eq!(
            outer.0[0].problem,
            FieldProblem::OutOfRange { min: 1, max: 3 }
        );
        assert!(outer.finish(|| Some(())).is_err());
    }

    #[test]
    fn codes_are_unique_and_snake_case_and_params_are_the_facts() {
        let examples = FieldProblem::examples();
        let codes: HashSet<_> = examples.iter().map(FieldProblem::code).collect();
        assert_eq!(codes.len(), examples.len(), "a code is used twice");
        for code in codes {
            let snake = code.starts_with(|c: char| c.is_ascii_lowercase())
                && !code.ends_with('_')
                && !code.contains("__")
                && code.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            assert!(snake, "{code} is not snake_case");
        }
        assert_eq!(
            serde_json::Value::Object(FieldProblem::OutOfRange { min: 0, max: 2 }.params()),
            serde_json::json!({"min": 0, "max": 2})
        );
        assert_eq!(
            serde_json::Value::Object(FieldProblem::InvalidCharacters { found: ' ' }.params()),
            serde_json::json!({"found": " "})
        );
        assert!(FieldProblem::Empty.params().is_empty());
    }
}
