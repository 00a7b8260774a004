//! The seat map drawn as SVG: an overview of the sections coloured by availability (each a
//! link to its seats), and a section's seats in rows, coloured by category and state. Every
//! seat is labelled for screen readers; `app.js` makes free seats pickable with the mouse and
//! the keyboard, and the form's checkbox list does the same without JavaScript.

use super::words;
use bilheteria_domain::catalog::{
    NewVenue, ResaleAvailability, SeatMapSection, SeatStatus, SeatView, SectionKind, SectionLayout,
    Venue,
};
use bilheteria_domain::ids::{CategoryId, SeatId, SectionId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::seating::{Accessibility, StagePosition};
use std::fmt::Write;

/// Where a venue's stage is drawn and what it is called.
#[derive(Clone, Debug, Default)]
pub struct Stage {
    pub position: StagePosition,
    pub label: Option<String>,
}

impl Stage {
    pub fn of(venue: &Venue) -> Self {
        Stage {
            position: venue.stage_position,
            label: venue.stage_label.clone(),
        }
    }

    fn words(&self, lang: Language) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| words::of(lang).stage.to_owned())
    }
}

/// A venue not yet saved as buyers would see it with every seat free: the sections of a seat
/// map, the seats numbered and placed by their rows' layouts as the store places them.
pub fn preview(venue: &NewVenue) -> Vec<SeatMapSection> {
    venue
        .sections
        .iter()
        .enumerate()
        .map(|(at, section)| {
            let seats = match &section.layout {
                SectionLayout::Standing { .. } => None,
                SectionLayout::Seated { rows } => Some(
                    rows.iter()
                        .flat_map(|row| {
                            (1..=row.seats).map(|number| SeatView {
                                id: SeatId::new(),
                                row: row.label.clone(),
                                number,
                                status: SeatStatus::Available,
                                position: row.layout.position(row.seats, number),
                                accessibility: row.layout.accessibility(number),
                            })
                        })
                        .collect(),
                ),
            };
            SeatMapSection {
                id: SectionId(uuid::Uuid::from_u128(at as u128)),
                name: section.name.clone(),
                kind: match section.layout {
                    SectionLayout::Seated { .. } => SectionKind::Seated,
                    SectionLayout::Standing { .. } => SectionKind::Standing,
                },
                category_id: CategoryId(uuid::Uuid::nil()),
                price_cents: 0,
                capacity: section.capacity(),
                available: section.capacity(),
                resale: ResaleAvailability::default(),
                seats,
            }
        })
        .collect()
}

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

/// The sections as tiles facing the stage, each linking to its seats (`link` with the
/// section's id appended: `/sessions/{id}?section=`), or not links without one.
pub fn overview(
    lang: Language,
    link: Option<&str>,
    stage: &Stage,
    sections: &[SeatMapSection],
    current: Option<&str>,
) -> String {
    let w = words::of(lang);
    let rows = ((sections.len() as i64 + TILES_PER_ROW - 1) / TILES_PER_ROW).max(1);
    let width = TILES_PER_ROW * (TILE_W + TILE_GAP) + TILE_GAP;
    let height = 40 + rows * (TILE_H + TILE_GAP) + TILE_GAP;
    // The tiles start below the stage, or at the top with the stage below them.
    let (stage_y, tiles_y) = match stage.position {
        StagePosition::Top => (6, 40),
        StagePosition::Bottom => (height - 30, TILE_GAP),
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="overview-map" viewBox="0 0 {width} {height}" role="group" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(w.choose_section)
    );
    let _ = write!(
        svg,
        r#"<rect class="stage" x="{TILE_GAP}" y="{stage_y}" width="{}" height="24" rx="4"/><text class="stage-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        width - 2 * TILE_GAP,
        width / 2,
        stage_y + 17,
        xml(&stage.words(lang))
    );
    let count = sections.len() as i64;
    for (i, section) in sections.iter().enumerate() {
        let i = i as i64;
        // The first sections nearest the stage.
        let line = match stage.position {
            StagePosition::Top => i / TILES_PER_ROW,
            StagePosition::Bottom => (count - 1) / TILES_PER_ROW - i / TILES_PER_ROW,
        };
        let x = TILE_GAP + (i % TILES_PER_ROW) * (TILE_W + TILE_GAP);
        let y = tiles_y + line * (TILE_H + TILE_GAP);
        let free = words::seats_free(lang, section.available);
        let current_class = if current == Some(section.id.to_string().as_str()) {
            " current"
        } else {
            ""
        };
        let (open, close) = match link {
            Some(link) => (format!(r##"<a href="{link}{}#pick">"##, section.id), "</a>"),
            None => ("<g>".to_owned(), "</g>"),
        };
        let _ = write!(
            svg,
            r#"{open}<rect class="tile {}{current_class}" x="{x}" y="{y}" width="{TILE_W}" height="{TILE_H}" rx="6"/><text class="tile-name" x="{}" y="{}" text-anchor="middle">{}</text><text class="tile-free" x="{}" y="{}" text-anchor="middle">{}</text>{close}"#,
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
/// the free ones of `picked` are shown ticked (the picks of a form shown again). Each seat
/// stands at its place in its row (numbering direction and empty places counted), the first
/// row nearest the stage, wheelchair and companion seats marked and said.
pub fn section_seats(
    lang: Language,
    stage: &Stage,
    section: &SeatMapSection,
    category: &str,
    price: &str,
    picked: &[SeatId],
) -> String {
    let Some(seats) = &section.seats else {
        return String::new();
    };
    let w = words::of(lang);
    let mut rows: Vec<(&str, Vec<_>)> = Vec::new();
    for seat in seats {
        match rows.last_mut() {
            Some((row, list)) if *row == seat.row => list.push(seat),
            _ => rows.push((&seat.row, vec![seat])),
        }
    }
    if stage.position == StagePosition::Bottom {
        rows.reverse();
    }
    let widest = seats.iter().map(|s| s.position + 1).max().unwrap_or(1);
    let width = LABEL_W + widest * SEAT + 10;
    let height = STAGE_H + rows.len() as i64 * SEAT + 10;
    let (stage_y, rows_y) = match stage.position {
        StagePosition::Top => (4, STAGE_H),
        StagePosition::Bottom => (height - STAGE_H + 8, 4),
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="seats" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="group" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        xml(&section.name)
    );
    // The stage, so that a buyer zoomed into part of a big section still knows which way it is.
    let _ = write!(
        svg,
        r#"<rect class="stage" x="{LABEL_W}" y="{stage_y}" width="{}" height="{}" rx="4"/><text class="stage-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        width - LABEL_W - 10,
        STAGE_H - 12,
        LABEL_W + (width - LABEL_W - 10) / 2,
        stage_y + STAGE_H - 16,
        xml(&stage.words(lang))
    );
    for (r, (row, list)) in rows.iter().enumerate() {
        let y = rows_y + r as i64 * SEAT;
        let _ = write!(
            svg,
            r#"<text class="row-name" x="4" y="{}" aria-hidden="true">{}</text>"#,
            y + 15,
            xml(row)
        );
        for seat in list {
            let x = LABEL_W + seat.position * SEAT;
            let state = match seat.status {
                SeatStatus::Available => w.seat_available,
                SeatStatus::Held => w.seat_held,
                SeatStatus::Sold => w.seat_sold,
            };
            let (kind_class, kind_words, mark) = match seat.accessibility {
                Some(Accessibility::Wheelchair) => (
                    " wheelchair",
                    format!(", {}", w.seat_wheelchair),
                    "\u{267F}",
                ),
                Some(Accessibility::Companion) => {
                    (" companion", format!(", {}", w.seat_companion), "+")
                }
                None => ("", String::new(), ""),
            };
            let label = format!(
                "{}{kind_words}, {price}, {state}",
                words::row_seat(lang, row, seat.number)
            );
            let common = format!(
                r#"data-row="{r}" data-n="{}" data-p="{}" x="{}" y="{}" width="{}" height="{}" rx="4""#,
                seat.number,
                seat.position,
                x + 2,
                y + 2,
                SEAT - 4,
                SEAT - 4,
            );
            if seat.status == SeatStatus::Available {
                let (picked_class, checked) = if picked.contains(&seat.id) {
                    (" picked", "true")
                } else {
                    ("", "false")
                };
                let _ = write!(
                    svg,
                    r#"<rect class="seat avail {category}{kind_class}{picked_class}" data-seat="{}" {common} role="checkbox" aria-checked="{checked}" tabindex="-1" aria-label="{}"/>"#,
                    seat.id,
                    xml(&label)
                );
            } else {
                let _ = write!(
                    svg,
                    r#"<rect class="seat {}{kind_class}" {common} role="img" aria-label="{}"/>"#,
                    seat.status.as_str(),
                    xml(&label)
                );
            }
            if !mark.is_empty() {
                let _ = write!(
                    svg,
                    r#"<text class="seat-mark" x="{}" y="{}" text-anchor="middle" aria-hidden="true">{mark}</text>"#,
                    x + SEAT / 2,
                    y + SEAT / 2 + 5,
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
    use bilheteria_domain::ids::{CategoryId, SectionId, SessionId};

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
                        position: i as i64,
                        accessibility: None,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn only_free_seats_can_be_picked_and_every_seat_is_labelled() {
        let section = section(&[SeatStatus::Available, SeatStatus::Sold, SeatStatus::Held]);
        let svg = section_seats(
            Language::PtBr,
            &Stage::default(),
            &section,
            "cat0",
            "R$ 100,00",
            &[],
        );
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
        let svg = section_seats(
            Language::En,
            &Stage::default(),
            &section,
            "cat0",
            "R$ 1,00",
            &[seats[1].id],
        );
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
        let svg = overview(
            Language::En,
            Some(&format!("/sessions/{}?section=", SessionId::new())),
            &Stage::default(),
            &[plenty, none],
            None,
        );
        assert!(svg.contains("tile plenty"));
        assert!(svg.contains("tile none"));
        assert!(svg.contains("5 free") && svg.contains("0 free"));
    }

    #[test]
    fn gaps_direction_stage_and_accessible_seats_are_drawn_as_laid_out() {
        use bilheteria_domain::catalog::{RowInput, SectionInput, VenueInput};
        use bilheteria_domain::seating::Direction;
        let venue = VenueInput {
            organization_id: None,
            name: "Teatro".into(),
            city: "Recife".into(),
            time_zone: None,
            stage_position: Some(StagePosition::Bottom),
            stage_label: Some("Tela".into()),
            sections: vec![SectionInput {
                name: "Plateia".into(),
                rows: Some(vec![
                    RowInput {
                        label: "A".into(),
                        seats: 4,
                        direction: Direction::RightToLeft,
                        gaps: vec![2],
                        accessible: vec![1],
                        companion: vec![2],
                    },
                    RowInput {
                        label: "B".into(),
                        seats: 4,
                        ..RowInput::default()
                    },
                ]),
                capacity: None,
            }],
        }
        .parse()
        .unwrap();
        let stage = Stage {
            position: StagePosition::Bottom,
            label: Some("Tela".into()),
        };
        let sections = preview(&venue);
        let svg = section_seats(Language::En, &stage, &sections[0], "cat0", "R$ 1,00", &[]);
        // Row A is numbered from the right with an empty place after seat 2: 4 3 _ 2 1.
        assert!(svg.contains(r#"data-n="1" data-p="4""#));
        assert!(svg.contains(r#"data-n="3" data-p="1""#));
        // Row A is nearest the stage, drawn at the bottom, so it is the second row drawn.
        assert!(svg.contains(r#"data-row="1" data-n="1""#));
        assert!(svg.contains(">Tela</text>"));
        assert!(svg.contains("Row A, seat 1, wheelchair space, R$ 1,00, free"));
        assert!(svg.contains("Row A, seat 2, companion seat, R$ 1,00, free"));
        assert!(svg.contains(r#"class="seat avail cat0 wheelchair""#));
        assert_eq!(svg.matches("seat-mark").count(), 2);
    }
}
