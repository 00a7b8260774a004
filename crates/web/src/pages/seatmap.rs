//! The seat map drawn as SVG: an overview of the sections coloured by availability (each a
//! link to its seats), and a section's seats in rows, coloured by category and state. Every
//! seat is labelled for screen readers; `app.js` makes free seats pickable with the mouse and
//! the keyboard, and the form's checkbox list does the same without JavaScript.

use super::words;
use bilheteria_domain::catalog::{SeatMapSection, SeatStatus, SectionKind};
use bilheteria_domain::ids::{SeatId, SessionId};
use bilheteria_domain::locale::Language;
use std::fmt::Write;

/// The colour class of the `index`-th category of a session (the stylesheet has eight).
pub fn category_class(index: usize) -> String {
    format!("cat{}", index % 8)
}

/// Escapes text for SVG (XML) content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            ch => out.push(ch),
        }
    }
    out
}

/// How full a section is, for its colour: plenty, few left, none.
fn availability_class(section: &SeatMapSection) -> &'static str {
    if section.available == 0 {
        "none"
    } else if section.available * 5 < section.capacity {
        "few"
    } else {
        "plenty"
    }
}

const TILE_W: i64 = 200;
const TILE_H: i64 = 64;
const TILE_GAP: i64 = 10;
const TILES_PER_ROW: i64 = 2;

/// The sections as tiles facing the stage, each linking to its seats.
pub fn overview(
    lang: Language,
    session: SessionId,
    sections: &[SeatMapSection],
    current: Option<&str>,
) -> String {
    let w = words::of(lang);
    let rows = ((sections.len() as i64 + TILES_PER_ROW - 1) / TILES_PER_ROW).max(1);
    let width = TILES_PER_ROW * (TILE_W + TILE_GAP) + TILE_GAP;
    let height = 40 + rows * (TILE_H + TILE_GAP) + TILE_GAP;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="overview-map" viewBox="0 0 {width} {height}" role="group" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(w.choose_section)
    );
    let stage = w.stage;
    let _ = write!(
        svg,
        r#"<rect class="stage" x="{TILE_GAP}" y="6" width="{}" height="24" rx="4"/><text class="stage-label" x="{}" y="23" text-anchor="middle">{stage}</text>"#,
        width - 2 * TILE_GAP,
        width / 2
    );
    for (i, section) in sections.iter().enumerate() {
        let i = i as i64;
        let x = TILE_GAP + (i % TILES_PER_ROW) * (TILE_W + TILE_GAP);
        let y = 40 + (i / TILES_PER_ROW) * (TILE_H + TILE_GAP);
        let free = words::seats_free(lang, section.available);
        let current_class = if current == Some(section.id.to_string().as_str()) {
            " current"
        } else {
            ""
        };
        let _ = write!(
            svg,
            r##"<a href="/sessions/{session}?section={}#pick"><rect class="tile {}{current_class}" x="{x}" y="{y}" width="{TILE_W}" height="{TILE_H}" rx="6"/><text class="tile-name" x="{}" y="{}" text-anchor="middle">{}</text><text class="tile-free" x="{}" y="{}" text-anchor="middle">{}</text></a>"##,
            section.id,
            availability_class(section),
            x + TILE_W / 2,
            y + 27,
            xml(&section.name),
            x + TILE_W / 2,
            y + 48,
            xml(&free),
        );
    }
    svg.push_str("</svg>");
    svg
}

const SEAT: i64 = 26;
const LABEL_W: i64 = 34;
/// The band at the top of a section's seats that says where the stage is.
const STAGE_H: i64 = 34;

/// A seated section's seats, a row per line, each seat a focusable checkbox for `app.js`;
/// the free ones of `picked` are shown ticked (the picks of a form shown again).
pub fn section_seats(
    lang: Language,
    section: &SeatMapSection,
    category: &str,
    price: &str,
    picked: &[SeatId],
) -> String {
    let Some(seats) = &section.seats else {
        return String::new();
    };
    let mut rows: Vec<(&str, Vec<_>)> = Vec::new();
    for seat in seats {
        match rows.last_mut() {
            Some((row, list)) if *row == seat.row => list.push(seat),
            _ => rows.push((&seat.row, vec![seat])),
        }
    }
    let widest = rows
        .iter()
        .flat_map(|(_, list)| list.iter().map(|s| s.number))
        .max()
        .unwrap_or(1);
    let width = LABEL_W + widest * SEAT + 10;
    let height = STAGE_H + rows.len() as i64 * SEAT + 10;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="seats" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="group" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(&section.name)
    );
    // The stage, so that a buyer zoomed into part of a big section still knows which way it is.
    let _ = write!(
        svg,
        r#"<rect class="stage" x="{LABEL_W}" y="4" width="{}" height="{}" rx="4"/><text class="stage-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        width - LABEL_W - 10,
        STAGE_H - 12,
        LABEL_W + (width - LABEL_W - 10) / 2,
        STAGE_H - 12,
        xml(words::of(lang).stage)
    );
    for (r, (row, list)) in rows.iter().enumerate() {
        let y = STAGE_H + r as i64 * SEAT;
        let _ = write!(
            svg,
            r#"<text class="row-name" x="4" y="{}" aria-hidden="true">{}</text>"#,
            y + 15,
            xml(row)
        );
        for seat in list {
            let x = LABEL_W + (seat.number - 1) * SEAT;
            let state = match seat.status {
                SeatStatus::Available => words::of(lang).seat_available,
                SeatStatus::Held => words::of(lang).seat_held,
                SeatStatus::Sold => words::of(lang).seat_sold,
            };
            let label = format!(
                "{}, {price}, {state}",
                words::row_seat(lang, row, seat.number)
            );
            if seat.status == SeatStatus::Available {
                let (picked_class, checked) = if picked.contains(&seat.id) {
                    (" picked", "true")
                } else {
                    ("", "false")
                };
                let _ = write!(
                    svg,
                    r#"<rect class="seat avail {category}{picked_class}" data-seat="{}" data-row="{r}" data-n="{}" x="{}" y="{}" width="{}" height="{}" rx="4" role="checkbox" aria-checked="{checked}" tabindex="-1" aria-label="{}"/>"#,
                    seat.id,
                    seat.number,
                    x + 2,
                    y + 2,
                    SEAT - 4,
                    SEAT - 4,
                    xml(&label)
                );
            } else {
                let _ = write!(
                    svg,
                    r#"<rect class="seat {}" data-n="{}" x="{}" y="{}" width="{}" height="{}" rx="4" role="img" aria-label="{}"/>"#,
                    seat.status.as_str(),
                    seat.number,
                    x + 2,
                    y + 2,
                    SEAT - 4,
                    SEAT - 4,
                    xml(&label)
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Whether the section is sold by seat.
pub fn is_seated(section: &SeatMapSection) -> bool {
    section.kind == SectionKind::Seated
}

#[cfg(test)]
mod tests {
    use super::*;
    use bilheteria_domain::catalog::{ResaleAvailability, SeatView};
    use bilheteria_domain::ids::{CategoryId, SectionId};

    fn section(statuses: &[SeatStatus]) -> SeatMapSection {
        SeatMapSection {
            id: SectionId::new(),
            name: "Plateia <A>".into(),
            kind: SectionKind::Seated,
            category_id: CategoryId::new(),
            price_cents: 10_000,
            capacity: statuses.len() as i64,
            available: statuses
                .iter()
                .filter(|s| **s == SeatStatus::Available)
                .count() as i64,
            resale: ResaleAvailability::default(),
            seats: Some(
                statuses
                    .iter()
                    .enumerate()
                    .map(|(i, status)| SeatView {
                        id: SeatId::new(),
                        row: "A".into(),
                        number: i as i64 + 1,
                        status: *status,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn only_free_seats_can_be_picked_and_every_seat_is_labelled() {
        let section = section(&[SeatStatus::Available, SeatStatus::Sold, SeatStatus::Held]);
        let svg = section_seats(Language::PtBr, &section, "cat0", "R$ 100,00", &[]);
        assert_eq!(svg.matches("role=\"checkbox\"").count(), 1);
        assert!(svg.contains("aria-label=\"Fila A, assento 1, R$ 100,00, livre\""));
        assert!(svg.contains("aria-label=\"Fila A, assento 2, R$ 100,00, vendido\""));
        assert!(svg.contains("Plateia &lt;A&gt;"), "names are escaped");
        assert!(!svg.contains("<A>"));
    }

    #[test]
    fn a_section_shows_its_stage_and_the_seats_picked_before() {
        let section = section(&[SeatStatus::Available, SeatStatus::Available]);
        let seats = section.seats.clone().unwrap();
        let svg = section_seats(Language::En, &section, "cat0", "R$ 1,00", &[seats[1].id]);
        assert!(svg.contains(r#"class="stage""#) && svg.contains(">STAGE</text>"));
        assert!(svg.contains(&format!(
            r#"class="seat avail cat0 picked" data-seat="{}""#,
            seats[1].id
        )));
        assert_eq!(svg.matches(r#"aria-checked="true""#).count(), 1);
    }

    #[test]
    fn the_overview_colours_sections_by_what_is_left() {
        let plenty = section(&[SeatStatus::Available; 5]);
        let none = section(&[SeatStatus::Sold; 5]);
        let svg = overview(Language::En, SessionId::new(), &[plenty, none], None);
        assert!(svg.contains("tile plenty"));
        assert!(svg.contains("tile none"));
        assert!(svg.contains("5 free") && svg.contains("0 free"));
    }
}
