//! How a venue's seats are laid out (U1): which way a row is numbered, the empty places in it
//! (aisles), its wheelchair and companion seats, and where the stage or field is. A row's
//! layout says where each of its seats stands, counted in places from the left, which is what
//! the seat map draws; and the generator that writes the sections of a large venue.

use crate::catalog::{MAX_ROWS_PER_SECTION, MAX_SEATS_PER_ROW, MAX_SEATS_PER_VENUE, MAX_SECTIONS};
use crate::catalog::{RowInput, SectionInput, VenueInput};
use crate::ids::OrganizationId;
use crate::validation::{FieldErrors, FieldProblem, count, in_range, text};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// At most this many empty places in a row.
pub const MAX_GAPS_PER_ROW: usize = 100;
/// A stage's label, e.g. "Campo", "Tela", "Palco 2".
pub const MAX_STAGE_LABEL: usize = 40;

/// Which way a row's seats are numbered, seen from the seats facing the stage.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Seat 1 on the left (the default).
    #[default]
    LeftToRight,
    /// Seat 1 on the right.
    RightToLeft,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::LeftToRight, Direction::RightToLeft];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::LeftToRight => "left_to_right",
            Direction::RightToLeft => "right_to_left",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw.trim())
    }

    fn is_default(&self) -> bool {
        *self == Direction::LeftToRight
    }
}

/// Where the stage (or field, or screen) is drawn, above or below the seats.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StagePosition {
    /// Above the seats, the first row nearest it (the default).
    #[default]
    Top,
    /// Below the seats, the first row nearest it.
    Bottom,
}

impl StagePosition {
    pub const ALL: [StagePosition; 2] = [StagePosition::Top, StagePosition::Bottom];

    pub fn as_str(self) -> &'static str {
        match self {
            StagePosition::Top => "top",
            StagePosition::Bottom => "bottom",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw.trim())
    }
}

/// A seat kept for a wheelchair user, or for their companion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Accessibility {
    Wheelchair,
    Companion,
}

/// A row's layout beyond its label and seat count; the default is a plain row numbered from
/// the left, as every row was before layouts existed. Seat numbers run 1..=seats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowLayout {
    #[serde(default, skip_serializing_if = "Direction::is_default")]
    pub direction: Direction,
    /// Seat numbers after which the row has an empty place (an aisle), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<i64>,
    /// Wheelchair places, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accessible: Vec<i64>,
    /// Companions' seats, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companion: Vec<i64>,
}

impl RowLayout {
    pub fn is_plain(&self) -> bool {
        *self == RowLayout::default()
    }

    /// How many places wide a row of `seats` is: its seats and its gaps.
    pub fn width(&self, seats: i64) -> i64 {
        seats + self.gaps.len() as i64
    }

    /// Where seat `number` of a row of `seats` stands, in places from the left (0 first).
    pub fn position(&self, seats: i64, number: i64) -> i64 {
        match self.direction {
            Direction::LeftToRight => {
                number - 1 + self.gaps.iter().filter(|&&gap| number > gap).count() as i64
            }
            Direction::RightToLeft => {
                seats - number + self.gaps.iter().filter(|&&gap| number <= gap).count() as i64
            }
        }
    }

    pub fn accessibility(&self, number: i64) -> Option<Accessibility> {
        if self.accessible.binary_search(&number).is_ok() {
            Some(Accessibility::Wheelchair)
        } else if self.companion.binary_search(&number).is_ok() {
            Some(Accessibility::Companion)
        } else {
            None
        }
    }

    /// Checks a row's layout input against its seat count; errors under `at` (`…rows[3]`).
    pub fn parse(
        errors: &mut FieldErrors,
        at: &str,
        seats: Option<i64>,
        direction: Direction,
        gaps: &[i64],
        accessible: &[i64],
        companion: &[i64],
    ) -> RowLayout {
        let seats = seats.unwrap_or(MAX_SEATS_PER_ROW);
        let gaps = seat_numbers(errors, &format!("{at}.gaps"), gaps, seats - 1);
        let accessible = seat_numbers(errors, &format!("{at}.accessible"), accessible, seats);
        let companion = seat_numbers(errors, &format!("{at}.companion"), companion, seats);
        if companion.iter().any(|n| accessible.contains(n)) {
            errors.add(format!("{at}.companion"), FieldProblem::Duplicate);
        }
        RowLayout {
            direction,
            gaps,
            accessible,
            companion,
        }
    }
}

/// A list of seat numbers, each in 1..=max and given once, sorted.
fn seat_numbers(errors: &mut FieldErrors, field: &str, raw: &[i64], max: i64) -> Vec<i64> {
    if raw.len() > MAX_GAPS_PER_ROW {
        errors.add(
            field,
            FieldProblem::TooMany {
                max: count(MAX_GAPS_PER_ROW),
            },
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    for &number in raw {
        if let Err(problem) = in_range(number, 1, max.max(0)) {
            errors.add(field, problem);
            return Vec::new();
        }
        if !seen.insert(number) {
            errors.add(field, FieldProblem::Duplicate);
            return Vec::new();
        }
    }
    let mut numbers = raw.to_vec();
    numbers.sort_unstable();
    numbers
}

/// Checks a stage's label: optional, 1 to 40 characters.
pub fn stage_label(raw: Option<&str>) -> Result<Option<String>, FieldProblem> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(label) => text(label, 1, MAX_STAGE_LABEL).map(Some),
    }
}

// ---------------------------------------------------------------------------------------------
// The generator of large venues

/// How the generator labels rows: letters (A..Z, AA, AB, …) or numbers (1, 2, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowLabels {
    #[default]
    Letters,
    Numbers,
}

impl RowLabels {
    pub const ALL: [RowLabels; 2] = [RowLabels::Letters, RowLabels::Numbers];

    pub fn as_str(self) -> &'static str {
        match self {
            RowLabels::Letters => "letters",
            RowLabels::Numbers => "numbers",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw.trim())
    }

    /// The label of the row at `index` (0 first): `A`…`Z`, `AA`, `AB`…, or `1`, `2`….
    pub fn label(self, index: usize) -> String {
        match self {
            RowLabels::Numbers => (index + 1).to_string(),
            RowLabels::Letters => {
                let mut n = index + 1;
                let mut label = Vec::new();
                while n > 0 {
                    let rem = (n - 1) % 26;
                    label.push(b'A' + rem as u8);
                    n = (n - 1) / 26;
                }
                label.reverse();
                String::from_utf8(label).unwrap_or_default()
            }
        }
    }
}

/// A large venue described in a few numbers: `sections` alike sections of `rows` rows of
/// `seats` seats, optionally with an aisle after every `aisle_every` seats.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueGenerator {
    /// The organization it belongs to: optional when the caller belongs to exactly one.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub stage_position: Option<StagePosition>,
    #[serde(default)]
    #[schema(max_length = 40)]
    pub stage_label: Option<String>,
    /// How the sections are named: `Setor` gives "Setor 1", "Setor 2", … (default `Setor`).
    #[serde(default)]
    #[schema(max_length = 90)]
    pub section_prefix: Option<String>,
    #[schema(minimum = 1, maximum = 500)]
    pub sections: i64,
    #[schema(minimum = 1, maximum = 500)]
    pub rows: i64,
    #[schema(minimum = 1, maximum = 1_000)]
    pub seats: i64,
    #[serde(default)]
    pub row_labels: RowLabels,
    /// An aisle (an empty place) after every this many seats of a row.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 999)]
    pub aisle_every: Option<i64>,
}

impl VenueGenerator {
    /// The venue's input as if typed section by section; the sizes are checked here (at most
    /// 150,000 seats in all), the rest by `VenueInput::parse`.
    pub fn venue_input(&self) -> Result<VenueInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let sections = errors.check("sections", in_range(self.sections, 1, count(MAX_SECTIONS)));
        let rows = errors.check("rows", in_range(self.rows, 1, count(MAX_ROWS_PER_SECTION)));
        let seats = errors.check("seats", in_range(self.seats, 1, MAX_SEATS_PER_ROW));
        let prefix = match self.section_prefix.as_deref().map(str::trim) {
            None | Some("") => Some("Setor".to_owned()),
            Some(prefix) => errors.check("section_prefix", text(prefix, 1, 90)),
        };
        let aisle = match self.aisle_every {
            None => Some(None),
            Some(every) => errors
                .check("aisle_every", in_range(every, 1, MAX_SEATS_PER_ROW - 1))
                .map(Some),
        };
        if let (Some(sections), Some(rows), Some(seats)) = (sections, rows, seats)
            && sections * rows * seats > MAX_SEATS_PER_VENUE
        {
            errors.add(
                "sections",
                FieldProblem::TooManySeats {
                    max: MAX_SEATS_PER_VENUE,
                },
            );
        }
        errors.finish(|| {
            let (sections, rows, seats, prefix, aisle) =
                (sections?, rows?, seats?, prefix?, aisle?);
            let gaps: Vec<i64> = aisle
                .map(|every| (1..seats).filter(|n| n % every == 0).collect())
                .unwrap_or_default();
            let row_inputs: Vec<RowInput> = (0..rows as usize)
                .map(|index| RowInput {
                    label: self.row_labels.label(index),
                    seats,
                    gaps: gaps.clone(),
                    ..RowInput::default()
                })
                .collect();
            Some(VenueInput {
                organization_id: self.organization_id,
                name: self.name.clone(),
                city: self.city.clone(),
                time_zone: self.time_zone.clone(),
                stage_position: self.stage_position,
                stage_label: self.stage_label.clone(),
                sections: (1..=sections)
                    .map(|n| SectionInput {
                        name: format!("{prefix} {n}"),
                        rows: Some(row_inputs.clone()),
                        capacity: None,
                    })
                    .collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(direction: Direction, gaps: &[i64]) -> RowLayout {
        RowLayout {
            direction,
            gaps: gaps.to_vec(),
            ..RowLayout::default()
        }
    }

    #[test]
    fn a_plain_row_puts_seat_n_at_place_n() {
        let plain = RowLayout::default();
        assert_eq!(
            (1..=5).map(|n| plain.position(5, n)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(plain.width(5), 5);
    }

    #[test]
    fn gaps_open_places_after_their_seat_whichever_way_the_row_is_numbered() {
        let ltr = layout(Direction::LeftToRight, &[2]);
        assert_eq!(
            (1..=4).map(|n| ltr.position(4, n)).collect::<Vec<_>>(),
            [0, 1, 3, 4]
        );
        let rtl = layout(Direction::RightToLeft, &[2]);
        // Seat 1 on the right: 4 3 _ 2 1.
        assert_eq!(
            (1..=4).map(|n| rtl.position(4, n)).collect::<Vec<_>>(),
            [4, 3, 1, 0]
        );
        assert_eq!(rtl.width(4), 5);
    }

    #[test]
    fn a_row_layout_refuses_numbers_outside_the_row_repeated_or_both_kinds() {
        let mut errors = FieldErrors::new();
        RowLayout::parse(
            &mut errors,
            "r",
            Some(10),
            Direction::LeftToRight,
            &[10],
            &[1, 1],
            &[],
        );
        RowLayout::parse(
            &mut errors,
            "s",
            Some(10),
            Direction::LeftToRight,
            &[],
            &[3],
            &[3],
        );
        let fields: Vec<_> = errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), &e.problem))
            .collect();
        assert_eq!(
            fields,
            [
                ("r.gaps", &FieldProblem::OutOfRange { min: 1, max: 9 }),
                ("r.accessible", &FieldProblem::Duplicate),
                ("s.companion", &FieldProblem::Duplicate),
            ]
        );
    }

    #[test]
    fn row_labels_go_from_z_to_aa() {
        let letters: Vec<_> = [0, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(|i| RowLabels::Letters.label(i))
            .collect();
        assert_eq!(letters, ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
        assert_eq!(RowLabels::Numbers.label(0), "1");
    }

    #[test]
    fn the_generator_writes_a_stadium_and_refuses_one_too_big() {
        let mut generator = VenueGenerator {
            organization_id: None,
            name: "Estádio".into(),
            city: "Recife".into(),
            time_zone: None,
            stage_position: Some(StagePosition::Bottom),
            stage_label: Some("Campo".into()),
            section_prefix: None,
            sections: 40,
            rows: 30,
            seats: 65,
            row_labels: RowLabels::Letters,
            aisle_every: Some(20),
        };
        let venue = generator.venue_input().unwrap().parse().unwrap();
        assert_eq!(venue.sections.len(), 40);
        assert_eq!(
            venue.sections.iter().map(|s| s.capacity()).sum::<i64>(),
            78_000
        );
        assert_eq!(venue.sections[39].name, "Setor 40");
        generator.sections = 100;
        let refused = generator.venue_input().unwrap_err();
        assert_eq!(
            refused.0[0].problem,
            FieldProblem::TooManySeats {
                max: MAX_SEATS_PER_VENUE
            }
        );
    }
}
