//! How money and time are written for people in Brazilian Portuguese (B3): "R$ 1.234,56",
//! "sábado, 6 de março de 2027, 20:00". Instants are shown at the venue's UTC offset.

use time::{OffsetDateTime, UtcOffset, Weekday};

/// America/Sao_Paulo, the default zone of a venue: UTC−3 all year since Brazil ended daylight
/// saving in 2019.
pub const BRASILIA: UtcOffset = match UtcOffset::from_hms(-3, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `cents` in reais as Brazilians write them: "R$ 1.234,56" (a minus sign before a negative).
pub fn brl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}R$ {grouped},{:02}", cents % 100)
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
