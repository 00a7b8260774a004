//! How money and time are written for people (B3): in Brazilian Portuguese "R$ 1.234,56" and
//! "sábado, 6 de março de 2027, 20:00", in English "R$1,234.56". Instants are shown in the
//! venue's IANA time zone (America/Sao_Paulo by default), from the time zone database bundled
//! into the binary: no I/O, the same answer on every machine.

use time::{OffsetDateTime, UtcOffset, Weekday};

/// A venue's zone when none is given.
pub const DEFAULT_TIME_ZONE: &str = "America/Sao_Paulo";

/// America/Sao_Paulo's offset: UTC−3 all year since Brazil ended daylight saving in 2019.
pub const BRASILIA: UtcOffset = match UtcOffset::from_hms(-3, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Whether `name` is a zone of the time zone database ("America/Manaus").
pub fn is_time_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// The offset of zone `name` at `at` (UTC for an unknown name, which validation keeps out).
pub fn offset_in(name: &str, at: OffsetDateTime) -> UtcOffset {
    let Ok(zone) = jiff::tz::TimeZone::get(name) else {
        return UtcOffset::UTC;
    };
    let Ok(instant) = jiff::Timestamp::from_second(at.unix_timestamp()) else {
        return UtcOffset::UTC;
    };
    UtcOffset::from_whole_seconds(zone.to_offset(instant).seconds()).unwrap_or(UtcOffset::UTC)
}

/// `2027-03-06T20:00`, as a form's date and time field gives it, read as a wall-clock time in
/// zone `name` (in a gap of a daylight-saving change, the later side). `None` when it is not
/// a date and time.
pub fn from_local_input(text: &str, name: &str) -> Option<OffsetDateTime> {
    let zone = jiff::tz::TimeZone::get(name).ok()?;
    let civil: jiff::civil::DateTime = text.trim().parse().ok()?;
    let zoned = civil.to_zoned(zone).ok()?;
    OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).ok()
}

/// `at` as a form's date and time field shows it, in zone `name`, to the minute.
pub fn to_local_input(at: OffsetDateTime, name: &str) -> String {
    let local = at.to_offset(offset_in(name, at));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// "UTC−03:00": an offset as people read it next to a time.
pub fn offset_label(offset: UtcOffset) -> String {
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '−' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", hours.abs(), minutes.abs())
}

/// "sábado, 6 de março de 2027, 20:00 (UTC−03:00)" in zone `name`.
pub fn session_time_pt(at: OffsetDateTime, zone: &str) -> String {
    let offset = offset_in(zone, at);
    format!("{} ({})", date_time_pt(at, offset), offset_label(offset))
}

/// `cents` in reais as English speakers write them: "R$1,234.56".
pub fn brl_en(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}R${}.{:02}", group(cents / 100, ','), cents % 100)
}

fn group(whole: u64, separator: char) -> String {
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// `cents` in reais as Brazilians write them: "R$ 1.234,56" (a minus sign before a negative).
pub fn brl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}R$ {},{:02}", group(cents / 100, '.'), cents % 100)
}

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "segunda-feira",
        Weekday::Tuesday => "terça-feira",
        Weekday::Wednesday => "quarta-feira",
        Weekday::Thursday => "quinta-feira",
        Weekday::Friday => "sexta-feira",
        Weekday::Saturday => "sábado",
        Weekday::Sunday => "domingo",
    }
}

const MONTHS: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// "sábado, 6 de março de 2027, 20:00" at `offset`.
pub fn date_time_pt(at: OffsetDateTime, offset: UtcOffset) -> String {
    let local = at.to_offset(offset);
    format!(
        "{}, {} de {} de {}, {:02}:{:02}",
        weekday(local.weekday()),
        local.day(),
        MONTHS[usize::from(u8::from(local.month())) - 1],
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// The languages people read bilheteria in: Brazilian Portuguese first, and English.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub enum Language {
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    #[serde(rename = "en")]
    En,
}

impl Language {
    /// Every language the box office speaks.
    pub const ALL: [Language; 2] = [Language::PtBr, Language::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::PtBr => "pt-BR",
            Language::En => "en",
        }
    }

    /// A language tag (`pt-BR`, `pt`, `en`, `en-GB`, any case), if it is one we speak.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "pt" => Some(Language::PtBr),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours (by its `q` weights, first
    /// listed first among equals); Portuguese when it names neither.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(language) = pieces.next().and_then(Language::parse) else {
                continue;
            };
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, language));
            }
        }
        best.map_or_else(Language::default, |(_, language)| language)
    }

    /// An amount of reais as this language writes it.
    pub fn money(self, cents: i64) -> String {
        match self {
            Language::PtBr => brl(cents),
            Language::En => brl_en(cents),
        }
    }

    /// A session's date and time in the venue's zone, with its offset, in this language.
    pub fn session_time(self, at: OffsetDateTime, zone: &str) -> String {
        let offset = offset_in(zone, at);
        format!("{} ({})", self.list_time(at, zone), offset_label(offset))
    }

    /// A time for a page, in the venue's zone: its offset is said only when it is not
    /// Brasília's at that moment (most buyers read Brasília's time), so that a venue in Manaus
    /// still reads unambiguously.
    pub fn local_time(self, at: OffsetDateTime, zone: &str) -> String {
        let offset = offset_in(zone, at);
        if offset == BRASILIA {
            self.list_time(at, zone)
        } else {
            self.session_time(at, zone)
        }
    }

    /// A time in a list, in the venue's zone, with no offset: the item's own page says it.
    pub fn list_time(self, at: OffsetDateTime, zone: &str) -> String {
        let offset = offset_in(zone, at);
        match self {
            Language::PtBr => date_time_pt(at, offset),
            Language::En => {
                let local = at.to_offset(offset);
                format!(
                    "{}, {} {} {}, {:02}:{:02}",
                    local.weekday(),
                    local.day(),
                    local.month(),
                    local.year(),
                    local.hour(),
                    local.minute(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_form_time_is_read_and_shown_in_the_venue_zone() {
        let at = from_local_input("2027-03-06T20:00", "America/Sao_Paulo").unwrap();
        assert_eq!(at, datetime!(2027-03-06 23:00 UTC));
        assert_eq!(to_local_input(at, "America/Sao_Paulo"), "2027-03-06T20:00");
        let manaus = from_local_input("2027-03-06T20:00", "America/Manaus").unwrap();
        assert_eq!(manaus, datetime!(2027-03-07 00:00 UTC));
        assert_eq!(to_local_input(manaus, "America/Manaus"), "2027-03-06T20:00");
        assert_eq!(
            from_local_input("06/03/2027 20:00", "America/Sao_Paulo"),
            None
        );
        assert_eq!(from_local_input("", "America/Sao_Paulo"), None);
    }

    #[test]
    fn pages_say_the_offset_only_away_from_brasilia() {
        let at = datetime!(2027-03-06 23:00 UTC);
        for lang in [Language::PtBr, Language::En] {
            assert!(!lang.local_time(at, "America/Sao_Paulo").contains("UTC"));
            assert!(
                lang.local_time(at, "America/Manaus")
                    .ends_with("(UTC−04:00)")
            );
            assert!(!lang.list_time(at, "America/Manaus").contains("UTC"));
            assert_eq!(
                lang.session_time(at, "America/Sao_Paulo"),
                format!("{} (UTC−03:00)", lang.list_time(at, "America/Sao_Paulo"))
            );
        }
    }

    #[test]
    fn languages_come_from_tags_and_accept_language() {
        assert_eq!(Language::parse("pt-BR"), Some(Language::PtBr));
        assert_eq!(Language::parse("EN-gb"), Some(Language::En));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(
            Language::from_accept_language("fr-FR, en;q=0.8, pt-BR;q=0.9"),
            Language::PtBr
        );
        assert_eq!(
            Language::from_accept_language("en-US,en;q=0.9"),
            Language::En
        );
        assert_eq!(Language::from_accept_language("de, fr"), Language::PtBr);
        assert_eq!(Language::from_accept_language("en;q=0"), Language::PtBr);
        assert_eq!(Language::En.money(123_456), "R$1,234.56");
        assert_eq!(
            Language::En.session_time(datetime!(2027-03-06 23:00 UTC), "America/Sao_Paulo"),
            "Saturday, 6 March 2027, 20:00 (UTC−03:00)"
        );
    }

    #[test]
    fn reais_are_grouped_by_thousands_with_a_decimal_comma() {
        assert_eq!(brl(0), "R$ 0,00");
        assert_eq!(brl(5), "R$ 0,05");
        assert_eq!(brl(12_000), "R$ 120,00");
        assert_eq!(brl(123_456), "R$ 1.234,56");
        assert_eq!(brl(100_000_000), "R$ 1.000.000,00");
        assert_eq!(brl(-1_050), "-R$ 10,50");
    }

    #[test]
    fn reais_in_english_use_a_decimal_point() {
        assert_eq!(brl_en(123_456), "R$1,234.56");
        assert_eq!(brl_en(5), "R$0.05");
        assert_eq!(brl_en(-100_000_000), "-R$1,000,000.00");
    }

    #[test]
    fn venues_in_every_brazilian_zone_show_their_own_time() {
        let at = datetime!(2027-03-06 23:30 UTC);
        assert!(is_time_zone("America/Manaus"));
        assert!(!is_time_zone("America/Atlantis"));
        assert_eq!(
            session_time_pt(at, "America/Sao_Paulo"),
            "sábado, 6 de março de 2027, 20:30 (UTC−03:00)"
        );
        assert_eq!(
            session_time_pt(at, "America/Manaus"),
            "sábado, 6 de março de 2027, 19:30 (UTC−04:00)"
        );
        assert_eq!(
            session_time_pt(at, "America/Rio_Branco"),
            "sábado, 6 de março de 2027, 18:30 (UTC−05:00)"
        );
        assert_eq!(
            session_time_pt(at, "America/Noronha"),
            "sábado, 6 de março de 2027, 21:30 (UTC−02:00)"
        );
        // Lisbon keeps summer time: the offset follows the date.
        assert_eq!(
            offset_label(offset_in("Europe/Lisbon", datetime!(2027-07-01 12:00 UTC))),
            "UTC+01:00"
        );
        assert_eq!(
            offset_label(offset_in("Europe/Lisbon", datetime!(2027-01-01 12:00 UTC))),
            "UTC+00:00"
        );
    }

    #[test]
    fn an_instant_is_written_at_the_venues_offset() {
        // 23:30 UTC on a Saturday is 20:30 in Brasília, the same Saturday.
        let at = datetime!(2027-03-06 23:30 UTC);
        assert_eq!(
            date_time_pt(at, BRASILIA),
            "sábado, 6 de março de 2027, 20:30"
        );
        // 01:00 UTC is still the evening before in Brasília.
        assert_eq!(
            date_time_pt(datetime!(2027-01-01 01:00 UTC), BRASILIA),
            "quinta-feira, 31 de dezembro de 2026, 22:00"
        );
    }
}
