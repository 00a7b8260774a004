//! The catalog (U1, U3, S6, S7): venues and their sections, events, dated sessions with seat
//! categories, and add-on products. Request bodies are parsed here once into validated types.

use crate::half_price::{HalfPriceAvailability, HalfPriceSettings, MIN_QUOTA_PERCENT};
use crate::ids::{
    CategoryId, EventId, OrganizationId, ProductId, SeatId, SectionId, SessionId, UserId, VenueId,
};
use crate::locale::{DEFAULT_TIME_ZONE, Language, is_time_zone};
use crate::screen::ScreenCodes;
use crate::seating::{Accessibility, Direction, RowLayout, StagePosition, stage_label};
use crate::text::fold;
use crate::transfers::TransferSettings;
use crate::validation::{FieldErrors, FieldProblem, count, count_in_range, in_range, text};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::OffsetDateTime;

pub const MAX_SECTIONS: usize = 500;
pub const MAX_ROWS_PER_SECTION: usize = 500;
pub const MAX_SEATS_PER_ROW: i64 = 1_000;
pub const MAX_SEATS_PER_VENUE: i64 = 150_000;
pub const MAX_STANDING_CAPACITY: i64 = 500_000;
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
pub const MAX_TAGS: usize = 20;

// ---------------------------------------------------------------------------------------------
// Shared small types

/// ISO 4217 code, upper case. `BRL` when not given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn brl() -> Self {
        Self("BRL".into())
    }

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(raw.to_ascii_uppercase()))
        } else {
            Err(FieldProblem::NotACurrency)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tags are lower case words of letters, digits and dashes; duplicates are dropped.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, FieldProblem> {
    if raw.len() > MAX_TAGS {
        return Err(FieldProblem::TooMany {
            max: count(MAX_TAGS),
        });
    }
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        let len = tag.chars().count();
        if !(1..=40).contains(&len) || !tag.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(FieldProblem::InvalidTag { tag });
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// A price: from nothing (free) to [`MAX_PRICE_CENTS`].
fn price(value: i64) -> Result<i64, FieldProblem> {
    if (0..=MAX_PRICE_CENTS).contains(&value) {
        Ok(value)
    } else {
        Err(FieldProblem::AmountOutOfRange {
            min_cents: 0,
            max_cents: MAX_PRICE_CENTS,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Venues

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueInput {
    /// The organization it belongs to: optional when the caller belongs to exactly one.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(min_length = 1, max_length = 100)]
    pub city: String,
    /// The IANA time zone sessions are shown in (default `America/Sao_Paulo`); a name the
    /// time zone database does not know is refused.
    #[serde(default)]
    #[schema(example = "America/Manaus")]
    pub time_zone: Option<String>,
    /// Where the stage (or field) is drawn on the seat map, above the seats or below them;
    /// the first row of every section is nearest it (default `top`).
    #[serde(default)]
    pub stage_position: Option<StagePosition>,
    /// What the stage is called on the seat map, e.g. "Campo" (default: "Palco"/"Stage").
    #[serde(default)]
    #[schema(max_length = 40)]
    pub stage_label: Option<String>,
    /// 1 to 500 sections with unique names, at most 150,000 seats in all.
    #[schema(min_items = 1, max_items = 500)]
    pub sections: Vec<SectionInput>,
}

/// A seated section lists its `rows`; a standing section gives its `capacity`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A seated section's rows (1 to 500, unique labels); give either `rows` or `capacity`.
    #[schema(min_items = 1, max_items = 500)]
    pub rows: Option<Vec<RowInput>>,
    /// A standing section's places, 1 to 500,000.
    #[schema(minimum = 1, maximum = 500_000)]
    pub capacity: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowInput {
    #[schema(min_length = 1, max_length = 10)]
    pub label: String,
    /// How many seats the row has (1 to 1,000); they are numbered from 1.
    #[schema(minimum = 1, maximum = 1_000)]
    pub seats: i64,
    /// Which way the seats are numbered (default `left_to_right`: seat 1 on the left).
    #[serde(default)]
    pub direction: Direction,
    /// Seat numbers after which the row has an empty place, such as an aisle: `[10]` leaves
    /// one between seats 10 and 11 (each 1 to seats − 1, at most 100).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub gaps: Vec<i64>,
    /// Seat numbers that are wheelchair places (each 1 to seats).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub accessible: Vec<i64>,
    /// Seat numbers kept for companions of wheelchair users (each 1 to seats, none also in
    /// `accessible`).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub companion: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVenue {
    pub name: String,
    pub city: String,
    pub time_zone: String,
    pub stage_position: StagePosition,
    pub stage_label: Option<String>,
    pub sections: Vec<NewSection>,
}

/// A seated section's row as parsed: its label, its seats, how they are laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRow {
    pub label: String,
    pub seats: i64,
    pub layout: RowLayout,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSection {
    pub name: String,
    pub layout: SectionLayout,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionLayout {
    Seated { rows: Vec<NewRow> },
    Standing { capacity: i64 },
}

impl NewSection {
    pub fn capacity(&self) -> i64 {
        match &self.layout {
            SectionLayout::Seated { rows } => rows.iter().map(|row| row.seats).sum(),
            SectionLayout::Standing { capacity } => *capacity,
        }
    }
}

impl VenueInput {
    pub fn parse(self) -> Result<NewVenue, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", text(&self.name, 1, 200));
        let city = errors.check("city", text(&self.city, 1, 100));
        let time_zone = self
            .time_zone
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_TIME_ZONE);
        if !is_time_zone(time_zone) {
            errors.add("time_zone", FieldProblem::NotATimeZone);
        }
        let stage_label = errors.check("stage_label", stage_label(self.stage_label.as_deref()));
        errors.check(
            "sections",
            count_in_range(self.sections.len(), 1, MAX_SECTIONS),
        );
        let mut names = HashSet::new();
        let mut sections = Vec::with_capacity(self.sections.len());
        let mut total_seats = 0i64;
        for (i, section) in self.sections.iter().enumerate() {
            let at = format!("sections[{i}]");
            let name = errors.check(format!("{at}.name"), text(&section.name, 1, 100));
            if let Some(name) = &name
                && !names.insert(name.to_lowercase())
            {
                errors.add(format!("{at}.name"), FieldProblem::Duplicate);
            }
            let layout = match (&section.rows, section.capacity) {
                (Some(rows), None) => {
                    errors.check(
                        format!("{at}.rows"),
                        count_in_range(rows.len(), 1, MAX_ROWS_PER_SECTION),
                    );
                    let mut labels = HashSet::new();
                    let mut parsed = Vec::with_capacity(rows.len());
                    for (j, row) in rows.iter().enumerate() {
                        let label =
                            errors.check(format!("{at}.rows[{j}].label"), text(&row.label, 1, 10));
                        if let Some(label) = &label
                            && !labels.insert(label.clone())
                        {
                            errors.add(format!("{at}.rows[{j}].label"), FieldProblem::Duplicate);
                        }
                        let seats = errors.check(
                            format!("{at}.rows[{j}].seats"),
                            in_range(row.seats, 1, MAX_SEATS_PER_ROW),
                        );
                        total_seats += seats.unwrap_or(0);
                        let layout = RowLayout::parse(
                            &mut errors,
                            &format!("{at}.rows[{j}]"),
                            seats,
                            row.direction,
                            &row.gaps,
                            &row.accessible,
                            &row.companion,
                        );
                        if let (Some(label), Some(seats)) = (label, seats) {
                            parsed.push(NewRow {
                                label,
                                seats,
                                layout,
                            });
                        }
                    }
                    Some(SectionLayout::Seated { rows: parsed })
                }
                (None, Some(capacity)) => errors
                    .check(
                        format!("{at}.capacity"),
                        in_range(capacity, 1, MAX_STANDING_CAPACITY),
                    )
                    .map(|capacity| SectionLayout::Standing { capacity }),
                _ => {
                    errors.add(at.clone(), FieldProblem::RowsOrCapacity);
                    None
                }
            };
            if let (Some(name), Some(layout)) = (name, layout) {
                sections.push(NewSection { name, layout });
            }
        }
        if total_seats > MAX_SEATS_PER_VENUE {
            errors.add(
                "sections",
                FieldProblem::TooManySeats {
                    max: MAX_SEATS_PER_VENUE,
                },
            );
        }
        errors.finish(|| {
            Some(NewVenue {
                name: name?,
                city: city?,
                time_zone: time_zone.to_owned(),
                stage_position: self.stage_position.unwrap_or_default(),
                stage_label: stage_label?,
                sections,
            })
        })
    }
}

impl NewVenue {
    /// Whether `venue` already has this seat map and time zone: a change of its name, city or
    /// stage only, which stays allowed after its sessions have sold.
    pub fn keeps_seat_map_of(&self, venue: &Venue) -> bool {
        self.time_zone == venue.time_zone
            && self.sections.len() == venue.sections.len()
            && self
                .sections
                .iter()
                .zip(&venue.sections)
                .all(|(new, old)| new.same_as(old))
    }
}

impl NewSection {
    fn same_as(&self, section: &Section) -> bool {
        self.name == section.name
            && match &self.layout {
                SectionLayout::Standing { capacity } => {
                    section.kind == SectionKind::Standing && *capacity == section.capacity
                }
                SectionLayout::Seated { rows } => {
                    section.kind == SectionKind::Seated
                        && rows.len() == section.rows.len()
                        && rows.iter().zip(&section.rows).all(|(new, old)| {
                            new.label == old.label
                                && new.seats == old.seats
                                && new.layout == old.layout()
                        })
                }
            }
    }
}

impl Venue {
    /// The venue as a body that would make it again (a copy, the builder's form).
    pub fn to_input(&self) -> VenueInput {
        VenueInput {
            organization_id: Some(self.organization_id),
            name: self.name.clone(),
            city: self.city.clone(),
            time_zone: Some(self.time_zone.clone()),
            stage_position: Some(self.stage_position),
            stage_label: self.stage_label.clone(),
            sections: self
                .sections
                .iter()
                .map(|section| SectionInput {
                    name: section.name.clone(),
                    rows: (section.kind == SectionKind::Seated).then(|| {
                        section
                            .rows
                            .iter()
                            .map(|row| RowInput {
                                label: row.label.clone(),
                                seats: row.seats,
                                direction: row.direction,
                                gaps: row.gaps.clone(),
                                accessible: row.accessible.clone(),
                                companion: row.companion.clone(),
                            })
                            .collect()
                    }),
                    capacity: (section.kind == SectionKind::Standing).then_some(section.capacity),
                })
                .collect(),
        }
    }

    /// How many seats and standing places it has in all.
    pub fn capacity(&self) -> i64 {
        self.sections.iter().map(|s| s.capacity).sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Seated,
    Standing,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Seated => "seated",
            SectionKind::Standing => "standing",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "seated" => Some(SectionKind::Seated),
            "standing" => Some(SectionKind::Standing),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Venue {
    pub id: VenueId,
    pub organization_id: OrganizationId,
    /// Who made it.
    pub owner_id: UserId,
    pub name: String,
    pub city: String,
    pub time_zone: String,
    /// Where the stage (or field) is drawn: `top` or `bottom`.
    pub stage_position: StagePosition,
    /// What the stage is called on the seat map; `null` for the default ("Palco"/"Stage").
    pub stage_label: Option<String>,
    pub sections: Vec<Section>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub id: SectionId,
    pub name: String,
    pub kind: SectionKind,
    pub capacity: i64,
    /// The rows of a seated section, in order; empty for a standing section.
    pub rows: Vec<RowSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowSummary {
    pub label: String,
    pub seats: i64,
    pub direction: Direction,
    /// Seat numbers after which the row has an empty place.
    pub gaps: Vec<i64>,
    /// Wheelchair places.
    pub accessible: Vec<i64>,
    /// Companions' seats.
    pub companion: Vec<i64>,
}

impl RowSummary {
    pub fn new(label: String, seats: i64, layout: RowLayout) -> Self {
        RowSummary {
            label,
            seats,
            direction: layout.direction,
            gaps: layout.gaps,
            accessible: layout.accessible,
            companion: layout.companion,
        }
    }

    pub fn layout(&self) -> RowLayout {
        RowLayout {
            direction: self.direction,
            gaps: self.gaps.clone(),
            accessible: self.accessible.clone(),
            companion: self.companion.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    #[default]
    Draft,
    Published,
    /// Cancelled by its organizer (`POST /events/{id}/cancel`): never stored as a status (the
    /// event keeps `cancelled_at`), never asked for in a body; it sells nothing, and its paid
    /// orders are refunded in the background.
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Draft => "draft",
            EventStatus::Published => "published",
            EventStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(EventStatus::Draft),
            "published" => Some(EventStatus::Published),
            "cancelled" => Some(EventStatus::Cancelled),
            _ => None,
        }
    }
}

/// What kind of event it is: a fixed list, so that filters match and pages can name it in the
/// reader's language. Stored and sent by its code (`music`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Music,
    Theatre,
    Comedy,
    Dance,
    Sports,
    Festival,
    Kids,
    Talks,
    Film,
    Other,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Music,
        Category::Theatre,
        Category::Comedy,
        Category::Dance,
        Category::Sports,
        Category::Festival,
        Category::Kids,
        Category::Talks,
        Category::Film,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Music => "music",
            Category::Theatre => "theatre",
            Category::Comedy => "comedy",
            Category::Dance => "dance",
            Category::Sports => "sports",
            Category::Festival => "festival",
            Category::Kids => "kids",
            Category::Talks => "talks",
            Category::Film => "film",
            Category::Other => "other",
        }
    }

    /// Its name for people. The labels live here, beside the codes, because a filter accepts
    /// either language's label as well as the code.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Category::Music, Language::PtBr) => "Música",
            (Category::Music, Language::En) => "Music",
            (Category::Theatre, Language::PtBr) => "Teatro",
            (Category::Theatre, Language::En) => "Theatre",
            (Category::Comedy, Language::PtBr) => "Comédia",
            (Category::Comedy, Language::En) => "Comedy",
            (Category::Dance, Language::PtBr) => "Dança",
            (Category::Dance, Language::En) => "Dance",
            (Category::Sports, Language::PtBr) => "Esportes",
            (Category::Sports, Language::En) => "Sports",
            (Category::Festival, Language::PtBr) => "Festivais",
            (Category::Festival, Language::En) => "Festivals",
            (Category::Kids, Language::PtBr) => "Infantil",
            (Category::Kids, Language::En) => "Kids",
            (Category::Talks, Language::PtBr) => "Palestras",
            (Category::Talks, Language::En) => "Talks",
            (Category::Film, Language::PtBr) => "Cinema",
            (Category::Film, Language::En) => "Film",
            (Category::Other, Language::PtBr) => "Outros",
            (Category::Other, Language::En) => "Other",
        }
    }

    /// A listing's category filter: none when `raw` is blank, else the category it names.
    pub fn filter(raw: &str) -> Result<Option<Self>, FieldProblem> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        Category::parse(raw)
            .map(Some)
            .ok_or(FieldProblem::UnknownCategory)
    }

    /// The category named by `raw`: its code or its label in either language, accents and
    /// case ignored ("música", "MUSIC", "Musica").
    pub fn parse(raw: &str) -> Option<Self> {
        let wanted = fold(raw.trim());
        Category::ALL.into_iter().find(|category| {
            fold(category.as_str()) == wanted
                || Language::ALL
                    .iter()
                    .any(|lang| fold(category.label(*lang)) == wanted)
        })
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The organization it belongs to: optional when the caller belongs to exactly one.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10_000)]
    pub description: String,
    /// A category's code or its label in either language; one the box office does not know
    /// is kept as `other`.
    #[schema(min_length = 1, max_length = 60)]
    pub category: String,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::tags)]
    pub tags: Vec<String>,
    pub venue_id: VenueId,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::event_status_input)]
    pub status: EventStatus,
}

/// The fields of an event that may change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 10_000)]
    pub description: Option<String>,
    #[schema(min_length = 1, max_length = 60)]
    pub category: Option<String>,
    #[schema(schema_with = crate::openapi::tags_patch)]
    pub tags: Option<Vec<String>>,
    pub venue_id: Option<VenueId>,
    #[schema(schema_with = crate::openapi::event_status_patch)]
    pub status: Option<EventStatus>,
}

/// The validated content of an event, whole: what a create stores and a patch produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFields {
    pub title: String,
    pub description: String,
    pub category: Category,
    pub tags: Vec<String>,
    pub venue_id: VenueId,
    pub status: EventStatus,
}

fn parse_event_fields(
    title: &str,
    description: &str,
    category: &str,
    tags: &[String],
    venue_id: VenueId,
    status: EventStatus,
) -> Result<EventFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = errors.check("title", text(title, 1, 200));
    let description = errors.check("description", text(description, 0, 10_000));
    // A category the box office does not know is kept as `other` rather than refused: clients
    // written before categories were a closed list still create their events.
    let category = errors.check(
        "category",
        text(category, 1, 60).map(|named| Category::parse(&named).unwrap_or(Category::Other)),
    );
    let tags = errors.check("tags", parse_tags(tags));
    // An event is cancelled by its own operation, which refunds its orders, never by a body.
    if status == EventStatus::Cancelled {
        errors.add(
            "status",
            FieldProblem::NotOneOf {
                choices: &["draft", "published"],
            },
        );
    }
    errors.finish(|| {
        Some(EventFields {
            title: title?,
            description: description?,
            category: category?,
            tags: tags?,
            venue_id,
            status,
        })
    })
}

impl EventInput {
    pub fn parse(self) -> Result<EventFields, FieldErrors> {
        parse_event_fields(
            &self.title,
            &self.description,
            &self.category,
            &self.tags,
            self.venue_id,
            self.status,
        )
    }
}

impl EventPatch {
    /// The event as it will be once the patch is applied to `current`.
    pub fn apply_to(self, current: &Event) -> Result<EventFields, FieldErrors> {
        parse_event_fields(
            self.title.as_deref().unwrap_or(&current.title),
            self.description.as_deref().unwrap_or(&current.description),
            self.category
                .as_deref()
                .unwrap_or(current.category.as_str()),
            self.tags.as_deref().unwrap_or(&current.tags),
            self.venue_id.unwrap_or(current.venue_id),
            self.status.unwrap_or(current.status),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: EventId,
    pub organization_id: OrganizationId,
    /// Who made it.
    pub owner_id: UserId,
    pub venue_id: VenueId,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub tags: Vec<String>,
    pub status: EventStatus,
    /// Its poster in each size the pages use, or `null` without one (`PUT /events/{id}/poster`).
    #[serde(serialize_with = "crate::images::serialize_poster")]
    #[schema(value_type = Option<crate::images::PosterUrls>)]
    pub poster: Option<crate::images::ImageHash>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Whether an admin suspended its organization (its sessions sell nothing): read with the
    /// event, so that a hold learns it from the event it reads anyway. Not sent.
    #[serde(skip)]
    pub organization_suspended: bool,
    /// When its organizer cancelled it (then `status` is `cancelled`).
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    /// What its organizer said when cancelling it.
    pub cancel_reason: Option<String>,
    /// Whether it was published (and so stays public once cancelled, to say so). Not sent.
    #[serde(skip)]
    pub published: bool,
}

impl Event {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }
}

/// How far a cancelled event's refunds are: of its orders that were paid, how many are refunded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CancellationProgress {
    pub refunded: i64,
    pub orders: i64,
}

impl CancellationProgress {
    pub fn done(&self) -> bool {
        self.refunded >= self.orders
    }
}

/// `POST /events/{id}/cancel`: why, optionally (shown to buyers and kept in the audit log).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelEventInput {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl CancelEventInput {
    /// The reason, trimmed; none when absent or blank.
    pub fn parse(self) -> Result<Option<String>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let reason = errors.check("reason", text(self.reason.as_deref().unwrap_or(""), 0, 500));
        errors.finish(|| Some(reason.filter(|r| !r.is_empty())))
    }
}

/// Filters of the public event listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Words that must all appear (as prefixes) in the title, description, category or tags,
    /// folded (`text::fold`).
    pub terms: Vec<String>,
    pub category: Option<Category>,
    /// Only events at a venue in this city, folded (accents and case ignored).
    pub city: Option<String>,
    /// Only events with a session starting at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Only events with a session starting before this instant.
    pub to: Option<OffsetDateTime>,
    /// Include drafts (never for the public listing).
    pub include_drafts: bool,
    /// Only the events of this organization.
    pub organization_id: Option<OrganizationId>,
    /// Only events in this status.
    pub status: Option<EventStatus>,
    /// Only these events (a member limited to them).
    pub event_ids: Option<Vec<EventId>>,
}

/// Splits free text into search words: letters and digits only, folded (no accents, lower
/// case), at most 8 words. Everything else is a separator, so no input can inject query syntax
/// into either backend.
pub fn search_terms(q: &str) -> Vec<String> {
    fold(q)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| word.chars().take(40).collect())
        .take(8)
        .collect()
}

/// What is stored for an event's search: its title, description, tags and its category's code
/// and labels in every language, folded as `search_terms` folds a query.
pub fn search_document(event: &EventFields) -> String {
    let mut document = format!(
        "{} {} {} {}",
        event.title,
        event.description,
        event.tags.join(" "),
        event.category.as_str()
    );
    for lang in Language::ALL {
        document.push(' ');
        document.push_str(event.category.label(lang));
    }
    fold(&document)
}

// ---------------------------------------------------------------------------------------------
// Sessions (dated performances of an event)

pub const DEFAULT_MAX_TICKETS_PER_USER: i64 = 2;
pub const DEFAULT_HOLD_SECONDS: i64 = 600;

/// A session's limits, checked the same at its creation and at every change.
fn cap_per_buyer(tickets: i64) -> Result<i64, FieldProblem> {
    in_range(tickets, 1, 50)
}

fn hold_time(seconds: i64) -> Result<i64, FieldProblem> {
    in_range(seconds, 60, 3_600)
}

fn pix_expiry(seconds: i64) -> Result<i64, FieldProblem> {
    in_range(seconds, 60, 86_400)
}
/// How long a Pix payment waits by default before it expires (15 minutes).
pub const DEFAULT_PIX_EXPIRES_AFTER_SECONDS: i64 = 900;
pub const DEFAULT_ADMIT_PER_MINUTE: i64 = 600;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// When sales open; now when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sales_start_at: Option<OffsetDateTime>,
    /// The cap per buyer (C1), 1 to 50 (default 2).
    #[schema(minimum = 1, maximum = 50)]
    pub max_tickets_per_user: Option<i64>,
    /// How long a hold lasts, 60 to 3,600 seconds (default 600).
    #[schema(minimum = 60, maximum = 3_600)]
    pub hold_seconds: Option<i64>,
    pub queue: Option<QueueInput>,
    /// ISO 4217 code (default `BRL`).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    /// 1 to 50 categories with unique names; each section of the venue in at most one.
    #[schema(min_items = 1, max_items = 50)]
    pub categories: Vec<CategoryInput>,
    /// Whether and until when holders may pass tickets on (S10); on until the start by default.
    #[serde(default, deserialize_with = "crate::validation::object_only")]
    pub transfers: Option<TransferSettings>,
    /// `static` (default), `rotating` (phones show a code that changes every 15 s; printed
    /// codes still pass) or `screen_only` (only the rotating code passes; no PDFs).
    #[serde(default)]
    pub screen_codes: Option<ScreenCodes>,
    /// The share of places reserved for half-price buyers (meia-entrada): 40 (the law's
    /// minimum, and the default) to 100.
    #[serde(default)]
    #[schema(minimum = 40, maximum = 100)]
    pub half_price_quota_percent: Option<i64>,
    /// From this moment the unsold half-price reserve is sold at full price too.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub half_price_release_at: Option<OffsetDateTime>,
    /// How long a Pix payment may wait before it expires and the places are released (60 s to
    /// 24 h; 15 minutes by default).
    #[serde(default)]
    #[schema(minimum = 60, maximum = 86_400)]
    pub pix_expires_after_seconds: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    pub enabled: bool,
    /// Buyers admitted per minute, 1 to 1,000,000 (default 600).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub admit_per_minute: Option<i64>,
    /// At most this many admitted buyers at once, up to 10,000,000 (0 or absent: only the
    /// rate limits).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub max_active: Option<i64>,
    /// Leading zero bits of the proof of work a join must carry, up to 24 (0 or absent: none).
    #[schema(minimum = 0, maximum = 24)]
    pub proof_of_work_bits: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// 0 to 100,000,000 centavos.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_cents: i64,
    /// Sections of the event's venue (at least one).
    #[schema(min_items = 1)]
    pub section_ids: Vec<SectionId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub starts_at: OffsetDateTime,
    pub sales_start_at: OffsetDateTime,
    pub max_tickets_per_user: i64,
    pub hold_seconds: i64,
    pub queue: QueueSettings,
    pub currency: Currency,
    pub categories: Vec<NewCategory>,
    pub transfers: TransferSettings,
    pub screen_codes: ScreenCodes,
    /// The secret of the session's rotating codes: random, chosen by the application.
    pub screen_secret: [u8; 32],
    pub half_price: HalfPriceSettings,
    pub pix_expires_after_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCategory {
    pub name: String,
    pub price_cents: i64,
    pub section_ids: Vec<SectionId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QueueSettings {
    pub enabled: bool,
    pub admit_per_minute: i64,
    pub paused: bool,
    pub max_active: i64,
    pub proof_of_work_bits: i64,
}

impl QueueSettings {
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            admit_per_minute: DEFAULT_ADMIT_PER_MINUTE,
            paused: false,
            max_active: 0,
            proof_of_work_bits: 0,
        }
    }
}

/// What an organizer may change while a queue runs.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueuePatch {
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub admit_per_minute: Option<i64>,
    pub paused: Option<bool>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub max_active: Option<i64>,
    #[schema(minimum = 0, maximum = 24)]
    pub proof_of_work_bits: Option<i64>,
}

impl QueuePatch {
    pub fn apply_to(&self, current: &QueueSettings) -> Result<QueueSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let admit_per_minute = errors.check(
            "admit_per_minute",
            in_range(
                self.admit_per_minute.unwrap_or(current.admit_per_minute),
                1,
                1_000_000,
            ),
        );
        let max_active = errors.check(
            "max_active",
            in_range(self.max_active.unwrap_or(current.max_active), 0, 10_000_000),
        );
        let bits = errors.check(
            "proof_of_work_bits",
            in_range(
                self.proof_of_work_bits
                    .unwrap_or(current.proof_of_work_bits),
                0,
                24,
            ),
        );
        errors.finish(|| {
            Some(QueueSettings {
                enabled: current.enabled,
                admit_per_minute: admit_per_minute?,
                paused: self.paused.unwrap_or(current.paused),
                max_active: max_active?,
                proof_of_work_bits: bits?,
            })
        })
    }
}

impl SessionInput {
    /// Validates the session for an event held at `venue`, as of `now`.
    pub fn parse(self, now: OffsetDateTime, venue: &Venue) -> Result<NewSession, FieldErrors> {
        let mut errors = FieldErrors::new();
        let sales_start_at = self.sales_start_at.unwrap_or(now);
        if self.starts_at <= now {
            errors.add("starts_at", FieldProblem::NotInFuture);
        }
        if sales_start_at >= self.starts_at {
            errors.add("sales_start_at", FieldProblem::NotBeforeStart);
        }
        let max_tickets_per_user = errors.check(
            "max_tickets_per_user",
            cap_per_buyer(
                self.max_tickets_per_user
                    .unwrap_or(DEFAULT_MAX_TICKETS_PER_USER),
            ),
        );
        let hold_seconds = errors.check(
            "hold_seconds",
            hold_time(self.hold_seconds.unwrap_or(DEFAULT_HOLD_SECONDS)),
        );
        let queue = match self.queue {
            None => Some(QueueSettings::disabled()),
            Some(queue) => {
                let patch = QueuePatch {
                    admit_per_minute: queue.admit_per_minute,
                    paused: None,
                    max_active: queue.max_active,
                    proof_of_work_bits: queue.proof_of_work_bits,
                };
                let base = QueueSettings {
                    enabled: queue.enabled,
                    ..QueueSettings::disabled()
                };
                match patch.apply_to(&base) {
                    Ok(settings) => Some(settings),
                    Err(field_errors) => {
                        errors.add_under("queue", field_errors);
                        None
                    }
                }
            }
        };
        let transfers = self
            .transfers
            .unwrap_or_default()
            .validate("transfers", &mut errors);
        let currency = match &self.currency {
            None => Some(Currency::brl()),
            Some(raw) => errors.check("currency", Currency::parse(raw)),
        };
        errors.check("categories", count_in_range(self.categories.len(), 1, 50));
        let venue_sections: HashSet<SectionId> = venue.sections.iter().map(|s| s.id).collect();
        let mut mapped = HashSet::new();
        let mut names = HashSet::new();
        let mut categories = Vec::with_capacity(self.categories.len());
        for (i, category) in self.categories.iter().enumerate() {
            let at = format!("categories[{i}]");
            let name = errors.check(format!("{at}.name"), text(&category.name, 1, 60));
            if let Some(name) = &name
                && !names.insert(name.to_lowercase())
            {
                errors.add(format!("{at}.name"), FieldProblem::Duplicate);
            }
            let price_cents =
                errors.check(format!("{at}.price_cents"), price(category.price_cents));
            if category.section_ids.is_empty() {
                errors.add(format!("{at}.section_ids"), FieldProblem::Empty);
            }
            for (j, section_id) in category.section_ids.iter().enumerate() {
                if !venue_sections.contains(section_id) {
                    errors.add(
                        format!("{at}.section_ids[{j}]"),
                        FieldProblem::SectionNotOfVenue {
                            section: section_id.to_string(),
                        },
                    );
                } else if !mapped.insert(*section_id) {
                    errors.add(
                        format!("{at}.section_ids[{j}]"),
                        FieldProblem::SectionInTwoCategories,
                    );
                }
            }
            if let (Some(name), Some(price_cents)) = (name, price_cents) {
                categories.push(NewCategory {
                    name,
                    price_cents,
                    section_ids: category.section_ids.clone(),
                });
            }
        }
        let half_price = HalfPriceSettings {
            quota_percent: self.half_price_quota_percent.unwrap_or(MIN_QUOTA_PERCENT),
            release_at: self.half_price_release_at,
        }
        .validate("half_price", self.starts_at, &mut errors);
        let pix_expires_after_seconds = errors.check(
            "pix_expires_after_seconds",
            pix_expiry(
                self.pix_expires_after_seconds
                    .unwrap_or(DEFAULT_PIX_EXPIRES_AFTER_SECONDS),
            ),
        );
        errors.finish(|| {
            Some(NewSession {
                half_price: half_price?,
                pix_expires_after_seconds: pix_expires_after_seconds?,
                starts_at: self.starts_at,
                sales_start_at,
                max_tickets_per_user: max_tickets_per_user?,
                hold_seconds: hold_seconds?,
                queue: queue?,
                currency: currency?,
                categories,
                transfers: transfers?,
                screen_codes: self.screen_codes.unwrap_or_default(),
                // Replaced by the caller with a random one before the session is stored.
                screen_secret: [0; 32],
            })
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventSession {
    pub id: SessionId,
    pub event_id: EventId,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub sales_start_at: OffsetDateTime,
    pub max_tickets_per_user: i64,
    pub hold_seconds: i64,
    pub queue: QueueSettings,
    pub currency: Currency,
    pub categories: Vec<SeatCategory>,
    pub transfers: TransferSettings,
    pub screen_codes: ScreenCodes,
    /// The share of places reserved for half-price buyers (meia-entrada).
    pub half_price_quota_percent: i64,
    /// When the unsold reserve opens to full-price buyers; never when absent.
    #[serde(with = "time::serde::rfc3339::option")]
    pub half_price_release_at: Option<OffsetDateTime>,
    /// The reserve as it stands (quota, sold, held, available): in session and seat-map answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub half_price: Option<HalfPriceAvailability>,
    pub pix_expires_after_seconds: i64,
    /// Whether its organizer paused sales: holds are refused (`sales_paused`) until resumed.
    pub sales_paused: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `PATCH /sessions/{id}`: what of a session may still change; an absent field stays.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    /// `true` stops selling at once (holds answer 409 `sales_paused`), `false` resumes.
    pub sales_paused: Option<bool>,
    /// When the session begins: in the future, after sales open.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub starts_at: Option<OffsetDateTime>,
    /// When sales open; before the session starts.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sales_start_at: Option<OffsetDateTime>,
    #[schema(minimum = 1, maximum = 50)]
    pub max_tickets_per_user: Option<i64>,
    #[schema(minimum = 60, maximum = 3_600)]
    pub hold_seconds: Option<i64>,
    #[schema(minimum = 60, maximum = 86_400)]
    pub pix_expires_after_seconds: Option<i64>,
    #[serde(default, deserialize_with = "crate::validation::object_only")]
    pub transfers: Option<TransferSettings>,
    #[serde(default)]
    pub screen_codes: Option<ScreenCodes>,
    /// From this moment the unsold half-price reserve is sold at full price too; before the
    /// session starts.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub half_price_release_at: Option<OffsetDateTime>,
    /// Categories renamed or repriced, by id. A price changes only before the session's first
    /// sale (409 `prices_locked` after); a name at any time.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub categories: Option<Vec<CategoryPatch>>,
}

/// One category of a [`SessionPatch`]: an absent field stays.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// One of the session's categories.
    pub id: CategoryId,
    #[schema(min_length = 1, max_length = 60)]
    pub name: Option<String>,
    /// 0 to 100,000,000 centavos.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_cents: Option<i64>,
}

/// A session's settings after a [`SessionPatch`]: what the store writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionSettings {
    pub sales_paused: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub sales_start_at: OffsetDateTime,
    pub max_tickets_per_user: i64,
    pub hold_seconds: i64,
    pub pix_expires_after_seconds: i64,
    pub transfers: TransferSettings,
    pub screen_codes: ScreenCodes,
    #[serde(with = "time::serde::rfc3339::option")]
    pub half_price_release_at: Option<OffsetDateTime>,
    /// Every category as it will be: id, name, price.
    pub categories: Vec<CategorySetting>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategorySetting {
    pub id: CategoryId,
    pub name: String,
    pub price_cents: i64,
}

impl SessionSettings {
    pub fn of(session: &EventSession) -> Self {
        Self {
            sales_paused: session.sales_paused,
            starts_at: session.starts_at,
            sales_start_at: session.sales_start_at,
            max_tickets_per_user: session.max_tickets_per_user,
            hold_seconds: session.hold_seconds,
            pix_expires_after_seconds: session.pix_expires_after_seconds,
            transfers: session.transfers,
            screen_codes: session.screen_codes,
            half_price_release_at: session.half_price_release_at,
            categories: session
                .categories
                .iter()
                .map(|category| CategorySetting {
                    id: category.id,
                    name: category.name.clone(),
                    price_cents: category.price_cents,
                })
                .collect(),
        }
    }

    /// Whether these settings price some category otherwise than `before`.
    pub fn reprices(&self, before: &SessionSettings) -> bool {
        self.categories.iter().any(|after| {
            before
                .categories
                .iter()
                .any(|was| was.id == after.id && was.price_cents != after.price_cents)
        })
    }
}

impl SessionPatch {
    /// The settings of `session` with this patch applied at `now`, checked as at creation.
    pub fn apply_to(
        self,
        session: &EventSession,
        now: OffsetDateTime,
    ) -> Result<SessionSettings, FieldErrors> {
        let current = SessionSettings::of(session);
        let mut errors = FieldErrors::new();
        let starts_at = self.starts_at.unwrap_or(current.starts_at);
        if self.starts_at.is_some() && starts_at <= now {
            errors.add("starts_at", FieldProblem::NotInFuture);
        }
        let sales_start_at = self.sales_start_at.unwrap_or(current.sales_start_at);
        if (self.sales_start_at.is_some() || self.starts_at.is_some())
            && sales_start_at >= starts_at
        {
            errors.add("sales_start_at", FieldProblem::NotBeforeStart);
        }
        let max_tickets_per_user = errors.check(
            "max_tickets_per_user",
            cap_per_buyer(
                self.max_tickets_per_user
                    .unwrap_or(current.max_tickets_per_user),
            ),
        );
        let hold_seconds = errors.check(
            "hold_seconds",
            hold_time(self.hold_seconds.unwrap_or(current.hold_seconds)),
        );
        let pix_expires_after_seconds = errors.check(
            "pix_expires_after_seconds",
            pix_expiry(
                self.pix_expires_after_seconds
                    .unwrap_or(current.pix_expires_after_seconds),
            ),
        );
        let transfers = self
            .transfers
            .unwrap_or(current.transfers)
            .validate("transfers", &mut errors);
        let half_price_release_at = self.half_price_release_at.or(current.half_price_release_at);
        if (self.half_price_release_at.is_some() || self.starts_at.is_some())
            && half_price_release_at.is_some_and(|at| at >= starts_at)
        {
            errors.add("half_price_release_at", FieldProblem::NotBeforeStart);
        }
        let mut categories = current.categories;
        for (i, change) in self.categories.unwrap_or_default().into_iter().enumerate() {
            let at = format!("categories[{i}]");
            let Some(category) = categories.iter_mut().find(|c| c.id == change.id) else {
                errors.add(format!("{at}.id"), FieldProblem::Unknown);
                continue;
            };
            if let Some(name) = change.name
                && let Some(name) = errors.check(format!("{at}.name"), text(&name, 1, 60))
            {
                category.name = name;
            }
            if let Some(cents) = change.price_cents
                && let Some(cents) = errors.check(format!("{at}.price_cents"), price(cents))
            {
                category.price_cents = cents;
            }
        }
        let mut names = HashSet::new();
        for (i, category) in categories.iter().enumerate() {
            if !names.insert(category.name.to_lowercase()) {
                errors.add(format!("categories[{i}].name"), FieldProblem::Duplicate);
            }
        }
        errors.finish(|| {
            Some(SessionSettings {
                sales_paused: self.sales_paused.unwrap_or(current.sales_paused),
                starts_at,
                sales_start_at,
                max_tickets_per_user: max_tickets_per_user?,
                hold_seconds: hold_seconds?,
                pix_expires_after_seconds: pix_expires_after_seconds?,
                transfers: transfers?,
                screen_codes: self.screen_codes.unwrap_or(current.screen_codes),
                half_price_release_at,
                categories,
            })
        })
    }
}

impl EventSession {
    pub fn half_price_settings(&self) -> HalfPriceSettings {
        HalfPriceSettings {
            quota_percent: self.half_price_quota_percent,
            release_at: self.half_price_release_at,
        }
    }
}

/// Where a session stands in its sale window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaleWindow {
    /// Before `sales_start_at`.
    NotOpen,
    Open,
    /// Its organizer paused sales (`sales_paused`) before the session began.
    Paused,
    /// From `starts_at` on: nothing is sold once the session has begun.
    Closed,
}

/// The sale window of a session that starts selling at `sales_start_at` and starts at
/// `starts_at`, at `now`.
pub fn sale_window(
    sales_start_at: OffsetDateTime,
    starts_at: OffsetDateTime,
    now: OffsetDateTime,
) -> SaleWindow {
    if now >= starts_at {
        SaleWindow::Closed
    } else if now < sales_start_at {
        SaleWindow::NotOpen
    } else {
        SaleWindow::Open
    }
}

impl EventSession {
    /// Where the session stands, its organizer's pause included.
    pub fn sale_window(&self, now: OffsetDateTime) -> SaleWindow {
        match sale_window(self.sales_start_at, self.starts_at, now) {
            SaleWindow::Open | SaleWindow::NotOpen if self.sales_paused => SaleWindow::Paused,
            window => window,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatCategory {
    pub id: CategoryId,
    pub name: String,
    pub price_cents: i64,
    pub section_ids: Vec<SectionId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

impl SeatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Available => "available",
            SeatStatus::Held => "held",
            SeatStatus::Sold => "sold",
        }
    }

    /// The status a seat map letter stands for (`a`, `h`, `s`; see the store's seat map).
    pub fn from_letter(letter: u8) -> Option<Self> {
        match letter {
            b'a' => Some(SeatStatus::Available),
            b'h' => Some(SeatStatus::Held),
            b's' => Some(SeatStatus::Sold),
            _ => None,
        }
    }
}

/// The availability map of a session (S1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatMap {
    pub session_id: SessionId,
    pub sections: Vec<SeatMapSection>,
    /// The half-price reserve as it stands (meia-entrada).
    pub half_price: HalfPriceAvailability,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatMapSection {
    pub id: SectionId,
    pub name: String,
    pub kind: SectionKind,
    pub category_id: CategoryId,
    pub price_cents: i64,
    pub capacity: i64,
    pub available: i64,
    /// Tickets of this section on face-value resale (`GET /sessions/{id}/resale` lists them).
    pub resale: ResaleAvailability,
    /// Only for seated sections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<Vec<SeatView>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResaleAvailability {
    pub listed: i64,
    /// The cheapest listing's price.
    pub from_price_cents: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeatView {
    pub id: SeatId,
    pub row: String,
    pub number: i64,
    pub status: SeatStatus,
    /// Where the seat stands in its row, in places from the left (0 first), counting the
    /// row's empty places: what a drawing of the map needs.
    pub position: i64,
    /// A wheelchair place or a companion's seat; absent for any other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<Accessibility>,
}

// ---------------------------------------------------------------------------------------------
// Products (U4, S7)

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// The organization it belongs to: optional when the caller belongs to exactly one.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 10_000)]
    pub description: String,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_cents: i64,
    /// ISO 4217 code (default `BRL`).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub stock: i64,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::tags)]
    pub tags: Vec<String>,
    /// The events it is offered with, at most 100.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub event_ids: Vec<EventId>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 10_000)]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub price_cents: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub stock: Option<i64>,
    #[schema(schema_with = crate::openapi::tags_patch)]
    pub tags: Option<Vec<String>>,
    #[schema(max_items = 100)]
    pub event_ids: Option<Vec<EventId>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductFields {
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: Currency,
    /// The stock to set; `None` (a patch without `stock`) leaves it as sales leave it.
    pub stock: Option<i64>,
    pub tags: Vec<String>,
    pub event_ids: Vec<EventId>,
}

pub const MAX_STOCK: i64 = 10_000_000;

fn parse_product_fields(
    name: &str,
    description: &str,
    price_cents: i64,
    currency: Result<Currency, FieldProblem>,
    stock: Option<i64>,
    tags: &[String],
    event_ids: &[EventId],
) -> Result<ProductFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", text(name, 1, 200));
    let description = errors.check("description", text(description, 0, 10_000));
    let price_cents = errors.check("price_cents", price(price_cents));
    let currency = errors.check("currency", currency);
    let stock = stock.map(|stock| errors.check("stock", in_range(stock, 0, MAX_STOCK)));
    let tags = errors.check("tags", parse_tags(tags));
    let mut unique_events = Vec::with_capacity(event_ids.len());
    for id in event_ids {
        if !unique_events.contains(id) {
            unique_events.push(*id);
        }
    }
    if unique_events.len() > 100 {
        errors.add("event_ids", FieldProblem::TooMany { max: 100 });
    }
    errors.finish(|| {
        Some(ProductFields {
            name: name?,
            description: description?,
            price_cents: price_cents?,
            currency: currency?,
            stock: stock.map_or(Some(None), |stock| stock.map(Some))?,
            tags: tags?,
            event_ids: unique_events,
        })
    })
}

impl ProductInput {
    pub fn parse(self) -> Result<ProductFields, FieldErrors> {
        let currency = self
            .currency
            .as_deref()
            .map_or_else(|| Ok(Currency::brl()), Currency::parse);
        parse_product_fields(
            &self.name,
            &self.description,
            self.price_cents,
            currency,
            Some(self.stock),
            &self.tags,
            &self.event_ids,
        )
    }
}

impl ProductPatch {
    pub fn apply_to(self, current: &Product) -> Result<ProductFields, FieldErrors> {
        parse_product_fields(
            self.name.as_deref().unwrap_or(&current.name),
            self.description.as_deref().unwrap_or(&current.description),
            self.price_cents.unwrap_or(current.price_cents),
            Ok(current.currency.clone()),
            self.stock,
            self.tags.as_deref().unwrap_or(&current.tags),
            self.event_ids.as_deref().unwrap_or(&current.event_ids),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: ProductId,
    pub organization_id: OrganizationId,
    /// Who made it.
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: Currency,
    pub stock: i64,
    pub tags: Vec<String>,
    pub event_ids: Vec<EventId>,
    /// Its image, or `null` without one (`PUT /products/{id}/image`).
    #[serde(serialize_with = "crate::images::serialize_product_image")]
    #[schema(value_type = Option<crate::images::ProductImageUrls>)]
    pub image: Option<crate::images::ImageHash>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests;
