//! The console's venues (`/organizer/{org}/venues`): the organization's list, the seat-map
//! builder (a new venue, or one edited: sections, rows with their numbering direction, aisles,
//! wheelchair and companion seats, standing sections; where the stage is), its preview drawn by
//! the buyers' own renderer (`seatmap`), the generator of large venues, and duplicating one.
//! Over the same `bilheteria_app::catalog` operations as the JSON API; a refused form comes
//! back with each complaint beside its field and what was typed kept.

use super::organizer::{Choice, OrgNav, done_notice, posted, refused_form, standing_over};
use super::seatmap::{self, Stage};
use super::{Chrome, PageId, PageIds, PageResult, Visitor, lenient_query, see_other};
use crate::api::error::{ApiError, ProblemCode};
use crate::field_words;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use bilheteria_app::organizations::{self, Standing};
use bilheteria_app::{App, AppError, access, catalog};
use bilheteria_domain::catalog::{RowInput, SectionInput, Venue, VenueInput};
use bilheteria_domain::ids::{OrganizationId, VenueId};
use bilheteria_domain::locale::{DEFAULT_TIME_ZONE as DEFAULT_TIME_ZONE_NAME, Language};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::seating::{Direction, RowLabels, StagePosition, VenueGenerator};
use bilheteria_domain::{FieldErrors, FieldProblem};
use serde::Deserialize;
use std::collections::HashMap;

/// Blank rows offered under each section, and blank sections after the last.
const BLANK_ROWS: usize = 2;

/// Where each section of a venue's body came from in the builder's form, with its rows.
type Origin = Vec<(usize, Vec<usize>)>;

// ---------------------------------------------------------------------------------------------
// The list

struct VenueRow {
    id: VenueId,
    name: String,
    city: String,
    sections: usize,
    places: i64,
}

#[derive(Template)]
#[template(path = "organizer_venues.html")]
struct VenuesPage {
    c: Chrome,
    nav: OrgNav,
    rows: Vec<VenueRow>,
    more: Option<String>,
    may_edit: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    done: Option<String>,
    cursor: Option<String>,
    section: Option<String>,
}

/// `GET /organizer/{org}/venues`: its venues, for whoever may see some of it.
pub async fn list(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, None).await?;
    let query: ListQuery = lenient_query(query);
    let page = organizations::venues(
        &app,
        user,
        org,
        &super::buying::list_page(query.cursor.as_deref()),
    )
    .await?;
    let rows = page
        .items
        .into_iter()
        .map(|venue| VenueRow {
            id: venue.id,
            sections: venue.sections.len(),
            places: venue.capacity(),
            name: venue.name,
            city: venue.city,
        })
        .collect();
    Ok(visitor.page(&VenuesPage {
        c: visitor.chrome(done_notice(&visitor, query.done.as_deref())),
        nav: OrgNav::of(&standing, "venues"),
        rows,
        more: page
            .next_cursor
            .map(|cursor| format!("/organizer/{org}/venues?cursor={}", super::encode(&cursor))),
        may_edit: standing.may(Capability::EditCatalog, None),
    }))
}

// ---------------------------------------------------------------------------------------------
// The builder's form: what was typed, field by field

/// One field of the builder: its form name, what was typed, and the complaint beside it.
pub struct Cell {
    pub name: String,
    pub value: String,
    pub problem: Option<String>,
}

impl Cell {
    fn new(name: String, value: String) -> Self {
        Cell {
            name,
            value,
            problem: None,
        }
    }
}

pub struct RowCells {
    pub label: Cell,
    pub seats: Cell,
    pub direction: Cell,
    pub gaps: Cell,
    pub accessible: Cell,
    pub companion: Cell,
}

pub struct SectionCells {
    pub number: usize,
    pub name: Cell,
    pub kind: Cell,
    pub capacity: Cell,
    /// The rows' own complaint (none, too many).
    pub rows_problem: Option<String>,
    pub rows: Vec<RowCells>,
}

/// What the builder's form holds.
pub struct Typed {
    pub name: Cell,
    pub city: Cell,
    pub time_zone: Cell,
    pub stage_position: Cell,
    pub stage_label: Cell,
    pub sections_problem: Option<String>,
    pub sections: Vec<SectionCells>,
}

fn numbers_text(numbers: &[i64]) -> String {
    numbers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "10, 20" as numbers; `None` when something in it is not a whole number.
fn numbers_of(raw: &str) -> Option<Vec<i64>> {
    raw.split([',', ';', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().ok())
        .collect()
}

impl Typed {
    fn row(s: usize, r: usize, row: Option<&RowInput>) -> RowCells {
        let cell = |field: &str, value: String| Cell::new(format!("s{s}.r{r}.{field}"), value);
        RowCells {
            label: cell("label", row.map(|r| r.label.clone()).unwrap_or_default()),
            seats: cell(
                "seats",
                row.map(|r| r.seats.to_string()).unwrap_or_default(),
            ),
            direction: cell(
                "direction",
                row.map_or(Direction::LeftToRight, |r| r.direction)
                    .as_str()
                    .to_owned(),
            ),
            gaps: cell(
                "gaps",
                row.map(|r| numbers_text(&r.gaps)).unwrap_or_default(),
            ),
            accessible: cell(
                "accessible",
                row.map(|r| numbers_text(&r.accessible)).unwrap_or_default(),
            ),
            companion: cell(
                "companion",
                row.map(|r| numbers_text(&r.companion)).unwrap_or_default(),
            ),
        }
    }

    fn section(s: usize, section: Option<&SectionInput>, blank_rows: usize) -> SectionCells {
        let cell = |field: &str, value: String| Cell::new(format!("s{s}.{field}"), value);
        let rows: Vec<&RowInput> = section
            .and_then(|s| s.rows.as_ref())
            .map(|rows| rows.iter().collect())
            .unwrap_or_default();
        let standing = section.is_some_and(|s| s.capacity.is_some());
        let blank = if standing { 0 } else { blank_rows };
        SectionCells {
            number: s + 1,
            name: cell("name", section.map(|s| s.name.clone()).unwrap_or_default()),
            kind: cell(
                "kind",
                if standing { "standing" } else { "seated" }.to_owned(),
            ),
            capacity: cell(
                "capacity",
                section
                    .and_then(|s| s.capacity)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            ),
            rows_problem: None,
            rows: rows
                .iter()
                .map(|row| Some(*row))
                .chain(std::iter::repeat_n(None, blank))
                .enumerate()
                .map(|(r, row)| Self::row(s, r, row))
                .collect(),
        }
    }

    /// The form of a venue as it is (or a blank one), with blank rows and a blank section to
    /// fill in.
    fn of(venue: Option<&VenueInput>) -> Self {
        let sections: Vec<&SectionInput> = venue
            .map(|v| v.sections.iter().collect())
            .unwrap_or_default();
        let blank_rows = if venue.is_some() { BLANK_ROWS } else { 4 };
        Typed {
            name: Cell::new(
                "name".into(),
                venue.map(|v| v.name.clone()).unwrap_or_default(),
            ),
            city: Cell::new(
                "city".into(),
                venue.map(|v| v.city.clone()).unwrap_or_default(),
            ),
            time_zone: Cell::new(
                "time_zone".into(),
                venue
                    .and_then(|v| v.time_zone.clone())
                    .unwrap_or_else(|| DEFAULT_TIME_ZONE_NAME.to_owned()),
            ),
            stage_position: Cell::new(
                "stage_position".into(),
                venue
                    .and_then(|v| v.stage_position)
                    .unwrap_or_default()
                    .as_str()
                    .to_owned(),
            ),
            stage_label: Cell::new(
                "stage_label".into(),
                venue
                    .and_then(|v| v.stage_label.clone())
                    .unwrap_or_default(),
            ),
            sections_problem: None,
            sections: sections
                .into_iter()
                .map(Some)
                .chain(std::iter::once(None))
                .enumerate()
                .map(|(s, section)| Self::section(s, section, blank_rows))
                .collect(),
        }
    }

    /// What a posted form had typed in it; with `more`, a blank row under every seated
    /// section and a blank section after the last.
    fn from_form(form: &super::Form, more: bool) -> Self {
        let fields: HashMap<&str, &str> = form.pairs().collect();
        let take = |name: &str, max: usize| -> String {
            fields
                .get(name)
                .copied()
                .unwrap_or_default()
                .chars()
                .take(max)
                .collect()
        };
        let mut sections = Vec::new();
        for s in 0.. {
            if !fields.contains_key(format!("s{s}.kind").as_str()) {
                break;
            }
            let cell = |field: &str, max: usize| {
                let name = format!("s{s}.{field}");
                let value = take(&name, max);
                Cell::new(name, value)
            };
            let kind = cell("kind", 20);
            let mut rows = Vec::new();
            for r in 0.. {
                if !fields.contains_key(format!("s{s}.r{r}.label").as_str()) {
                    break;
                }
                let cell = |field: &str, max: usize| {
                    let name = format!("s{s}.r{r}.{field}");
                    let value = take(&name, max);
                    Cell::new(name, value)
                };
                rows.push(RowCells {
                    label: cell("label", 40),
                    seats: cell("seats", 20),
                    direction: cell("direction", 20),
                    gaps: cell("gaps", 2_000),
                    accessible: cell("accessible", 2_000),
                    companion: cell("companion", 2_000),
                });
            }
            if more && kind.value != "standing" {
                rows.push(Self::row(s, rows.len(), None));
            }
            sections.push(SectionCells {
                number: s + 1,
                name: cell("name", 200),
                capacity: cell("capacity", 20),
                kind,
                rows_problem: None,
                rows,
            });
        }
        if more || sections.is_empty() {
            let at = sections.len();
            sections.push(Self::section(at, None, BLANK_ROWS));
        }
        Typed {
            name: Cell::new("name".into(), take("name", 200)),
            city: Cell::new("city".into(), take("city", 100)),
            time_zone: Cell::new("time_zone".into(), take("time_zone", 100)),
            stage_position: Cell::new("stage_position".into(), take("stage_position", 20)),
            stage_label: Cell::new("stage_label".into(), take("stage_label", 60)),
            sections_problem: None,
            sections,
        }
    }

    /// The venue's body from what was typed (blank rows and sections left out), and where
    /// each section and row of the body came from in the form (for its complaints); what is
    /// not a number is refused here, alongside every mistake the body's own rules find.
    fn input(&self, org: OrganizationId) -> (VenueInput, Origin, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut sections = Vec::new();
        let mut origin = Vec::new();
        let number = |errors: &mut FieldErrors, field: String, raw: &str| -> i64 {
            match raw.trim().parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    errors.add(
                        field,
                        if raw.trim().is_empty() {
                            FieldProblem::Empty
                        } else {
                            FieldProblem::NotAWholeNumber
                        },
                    );
                    0
                }
            }
        };
        for section in &self.sections {
            let standing = section.kind.value == "standing";
            let blank_rows = section
                .rows
                .iter()
                .all(|r| r.label.value.trim().is_empty() && r.seats.value.trim().is_empty());
            if section.name.value.trim().is_empty()
                && (if standing {
                    section.capacity.value.trim().is_empty()
                } else {
                    blank_rows
                })
            {
                continue;
            }
            let at = sections.len();
            let mut rows = Vec::new();
            let mut row_origin = Vec::new();
            if !standing {
                for (r, row) in section.rows.iter().enumerate() {
                    if row.label.value.trim().is_empty() && row.seats.value.trim().is_empty() {
                        continue;
                    }
                    let path = format!("sections[{at}].rows[{}]", rows.len());
                    let seats = number(&mut errors, format!("{path}.seats"), &row.seats.value);
                    let mut list = |field: &str, raw: &str| match numbers_of(raw) {
                        Some(numbers) => numbers,
                        None => {
                            errors.add(format!("{path}.{field}"), FieldProblem::NotAWholeNumber);
                            Vec::new()
                        }
                    };
                    let gaps = list("gaps", &row.gaps.value);
                    let accessible = list("accessible", &row.accessible.value);
                    let companion = list("companion", &row.companion.value);
                    rows.push(RowInput {
                        label: row.label.value.clone(),
                        seats,
                        direction: Direction::parse(&row.direction.value).unwrap_or_default(),
                        gaps,
                        accessible,
                        companion,
                    });
                    row_origin.push(r);
                }
            }
            let capacity = standing.then(|| {
                number(
                    &mut errors,
                    format!("sections[{at}].capacity"),
                    &section.capacity.value,
                )
            });
            sections.push(SectionInput {
                name: section.name.value.clone(),
                rows: (!standing).then_some(rows),
                capacity,
            });
            origin.push((section.number - 1, row_origin));
        }
        let input = VenueInput {
            organization_id: Some(org),
            name: self.name.value.clone(),
            city: self.city.value.clone(),
            time_zone: Some(self.time_zone.value.clone()),
            stage_position: Some(
                StagePosition::parse(&self.stage_position.value).unwrap_or_default(),
            ),
            stage_label: Some(self.stage_label.value.clone()),
            sections,
        };
        (input, origin, errors)
    }

    /// Puts each complaint beside its field: the body's `sections[i].rows[j].seats` is the
    /// form's `s{origin}.r{origin}.seats`; what has no field goes above the form.
    fn place(&mut self, lang: Language, problem: &ApiError, origin: &Origin) -> Vec<String> {
        let mut above = Vec::new();
        for error in &problem.errors {
            let message = super::words::sentence(&field_words::message(lang, &error.problem));
            let slot = self.slot(&error.field, origin);
            match slot {
                Some(slot) if slot.is_none() => *slot = Some(message),
                Some(_) => {}
                None => above.push(super::words::field_error(lang, error)),
            }
        }
        above
    }

    fn slot(&mut self, field: &str, origin: &[(usize, Vec<usize>)]) -> Option<&mut Option<String>> {
        let parts: Vec<&str> = field.split('.').collect();
        let index = |part: &str, name: &str| -> Option<usize> {
            part.strip_prefix(name)?
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse()
                .ok()
        };
        match parts.as_slice() {
            ["name"] => Some(&mut self.name.problem),
            ["city"] => Some(&mut self.city.problem),
            ["time_zone"] => Some(&mut self.time_zone.problem),
            ["stage_label"] => Some(&mut self.stage_label.problem),
            ["sections"] => Some(&mut self.sections_problem),
            [section, rest @ ..] => {
                let (s, rows) = origin.get(index(section, "sections")?)?;
                let cells = self.sections.get_mut(*s)?;
                match rest {
                    [] => Some(&mut cells.kind.problem),
                    ["name"] => Some(&mut cells.name.problem),
                    ["capacity"] => Some(&mut cells.capacity.problem),
                    ["rows"] => Some(&mut cells.rows_problem),
                    [row, field] => {
                        let r = rows.get(index(row, "rows")?)?;
                        let row = cells.rows.get_mut(*r)?;
                        Some(match *field {
                            "label" => &mut row.label.problem,
                            "seats" => &mut row.seats.problem,
                            "gaps" => &mut row.gaps.problem,
                            "accessible" => &mut row.accessible.problem,
                            "companion" => &mut row.companion.problem,
                            _ => return None,
                        })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The builder's page

#[derive(Template)]
#[template(path = "organizer_venue.html")]
struct VenuePage {
    c: Chrome,
    nav: OrgNav,
    heading: String,
    /// The venue edited; `None` for a new one.
    venue: Option<VenueId>,
    action: String,
    typed: Typed,
    stages: Vec<Choice>,
    directions: Vec<(&'static str, &'static str)>,
    above: Vec<String>,
    /// The preview: the overview, the sections to pick from, and the seats of the one shown.
    overview: String,
    preview_choices: Vec<Choice>,
    seats: String,
    button: &'static str,
}

/// The section shown in the preview: the one asked for, or the first seated one.
fn shown_section(
    sections: &[bilheteria_domain::catalog::SeatMapSection],
    asked: Option<usize>,
) -> Option<usize> {
    asked
        .filter(|&at| at < sections.len())
        .or_else(|| sections.iter().position(seatmap::is_seated))
}

#[allow(clippy::too_many_arguments)]
fn venue_page(
    visitor: &Visitor,
    standing: &Standing,
    venue: Option<&Venue>,
    mut typed: Typed,
    problem: Option<(&ApiError, &Origin)>,
    preview_at: Option<usize>,
    notice: Option<String>,
) -> VenuePage {
    let w = visitor.w;
    let lang = visitor.lang;
    let org = standing.organization.id;
    let above = match problem {
        Some((problem, origin)) => {
            let mut above = typed.place(lang, problem, origin);
            if problem.code != ProblemCode::ValidationFailed {
                above.extend(super::problem_lines(lang, problem));
            }
            above
        }
        None => Vec::new(),
    };
    // The preview is drawn from what parses of the form: the buyers' renderer, every seat free.
    let (input, _, _) = typed.input(org);
    let stage = Stage {
        position: input.stage_position.unwrap_or_default(),
        label: input
            .stage_label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned),
    };
    let sections = input
        .parse()
        .map(|parsed| seatmap::preview(&parsed))
        .unwrap_or_default();
    let shown = shown_section(&sections, preview_at);
    let link = venue.map(|v| format!("/organizer/{org}/venues/{}?section=", v.id));
    let overview = if sections.is_empty() {
        String::new()
    } else {
        seatmap::overview(
            lang,
            link.as_deref(),
            &stage,
            &sections,
            shown.map(|at| sections[at].id.to_string()).as_deref(),
        )
    };
    let seats = shown
        .map(|at| seatmap::section_seats(lang, &stage, &sections[at], "cat0", "", &[]))
        .unwrap_or_default();
    let preview_choices = sections
        .iter()
        .enumerate()
        .filter(|(_, s)| seatmap::is_seated(s))
        .map(|(at, s)| Choice {
            value: at.to_string(),
            label: s.name.clone(),
            chosen: Some(at) == shown,
        })
        .collect();
    let chosen_stage = StagePosition::parse(&typed.stage_position.value).unwrap_or_default();
    VenuePage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "venues"),
        heading: venue.map_or_else(|| w.new_venue.to_owned(), |v| v.name.clone()),
        venue: venue.map(|v| v.id),
        action: match venue {
            Some(v) => format!("/organizer/{org}/venues/{}", v.id),
            None => format!("/organizer/{org}/venues"),
        },
        typed,
        stages: stage_choices(visitor, chosen_stage),
        directions: vec![
            (Direction::LeftToRight.as_str(), w.direction_ltr),
            (Direction::RightToLeft.as_str(), w.direction_rtl),
        ],
        above,
        overview,
        preview_choices,
        seats,
        button: if venue.is_some() {
            w.save_changes
        } else {
            w.create_venue
        },
    }
}

/// Where the stage may be, `chosen` picked.
fn stage_choices(visitor: &Visitor, chosen: StagePosition) -> Vec<Choice> {
    StagePosition::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.as_str().to_owned(),
            label: match p {
                StagePosition::Top => visitor.w.stage_top,
                StagePosition::Bottom => visitor.w.stage_bottom,
            }
            .to_owned(),
            chosen: p == chosen,
        })
        .collect()
}

/// `GET /organizer/{org}/venues/new`: the builder, blank.
pub async fn new_venue(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, Some(Capability::EditCatalog)).await?;
    let page = venue_page(&visitor, &standing, None, Typed::of(None), None, None, None);
    Ok(visitor.page(&page))
}

/// The venue `id` of `org` for someone who may change it; of another organization, not found.
async fn venue_of(
    app: &App,
    visitor: &Visitor,
    org: OrganizationId,
    id: VenueId,
) -> PageResult<(Standing, Venue)> {
    let user = visitor.user()?;
    let venue = access::managed_venue(app, id, user).await?;
    let standing = standing_over(app, user, org, venue.organization_id).await?;
    Ok((standing, venue))
}

/// `GET /organizer/{org}/venues/{id}`: the builder with the venue as it is, and its preview.
pub async fn venue(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, VenueId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let (standing, venue) = venue_of(&app, &visitor, org, id).await?;
    let query: ListQuery = lenient_query(query);
    // The overview's tiles link to `?section=` with the preview's section id: its position.
    let preview_at = query
        .section
        .as_deref()
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .and_then(|id| usize::try_from(id.as_u128()).ok());
    let notice = done_notice(&visitor, query.done.as_deref());
    let typed = Typed::of(Some(&venue.to_input()));
    let page = venue_page(
        &visitor,
        &standing,
        Some(&venue),
        typed,
        None,
        preview_at,
        notice,
    );
    Ok(visitor.page(&page))
}

/// What the builder's buttons ask: more rows, a preview, or saving.
fn asked(form: &super::Form) -> (&str, Option<usize>) {
    (
        form.get("action").unwrap_or("save"),
        form.get("preview_section").and_then(|at| at.parse().ok()),
    )
}

/// `POST /organizer/{org}/venues`: creates the venue (or shows more rows, or the preview).
pub async fn create(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    body: Bytes,
) -> PageResult {
    let (form, user, standing) =
        posted(&app, &visitor, &body, org, Capability::EditCatalog).await?;
    let (action, preview_at) = asked(&form);
    let typed = Typed::from_form(&form, action == "more");
    if action != "save" {
        let page = venue_page(&visitor, &standing, None, typed, None, preview_at, None);
        return Ok(visitor.page(&page));
    }
    let (input, origin, errors) = typed.input(org);
    let created = if errors.is_empty() {
        catalog::create_venue(&app, user, input, &visitor.audit()).await
    } else {
        Err(invalid_with(errors, input))
    };
    match created {
        Ok(venue) => Ok(see_other(&format!(
            "/organizer/{org}/venues/{}?done=venue-created",
            venue.id
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = venue_page(
                &visitor,
                &standing,
                None,
                typed,
                Some((&problem, &origin)),
                preview_at,
                None,
            );
            Ok(super::shown_again(&visitor, &page, &problem))
        }
    }
}

/// The form's own mistakes (what is not a number) with every one the body's rules find.
fn invalid_with(mut errors: FieldErrors, input: VenueInput) -> AppError {
    if let Err(more) = input.parse() {
        for error in more.0 {
            if !errors.0.iter().any(|e| e.field == error.field) {
                errors.0.push(error);
            }
        }
    }
    AppError::Invalid(errors)
}

/// `POST /organizer/{org}/venues/{id}`: saves the venue's changes (or shows more rows, or the
/// preview). A seat map that can no longer change is said above the form, what was typed kept.
pub async fn update(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, VenueId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let (standing, venue) = venue_of(&app, &visitor, org, id).await?;
    let user = visitor.user()?;
    let (action, preview_at) = asked(&form);
    let typed = Typed::from_form(&form, action == "more");
    if action != "save" {
        let page = venue_page(
            &visitor,
            &standing,
            Some(&venue),
            typed,
            None,
            preview_at,
            None,
        );
        return Ok(visitor.page(&page));
    }
    let (input, origin, errors) = typed.input(org);
    let saved = if errors.is_empty() {
        catalog::update_venue(&app, user, id, input, &visitor.audit()).await
    } else {
        Err(invalid_with(errors, input))
    };
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/venues/{id}?done=venue-saved"
        ))),
        Err(error) => {
            let problem = ApiError::from(error);
            if problem.code != ProblemCode::ValidationFailed
                && problem.code != ProblemCode::VenueHasSales
            {
                return Err(problem.into());
            }
            let page = venue_page(
                &visitor,
                &standing,
                Some(&venue),
                typed,
                Some((&problem, &origin)),
                preview_at,
                None,
            );
            Ok(super::shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/venues/{id}/duplicate`: a copy, then its builder.
pub async fn duplicate(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, VenueId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    venue_of(&app, &visitor, org, id).await?;
    let user = visitor.user()?;
    let copy = catalog::duplicate_venue(&app, user, id, None, &visitor.audit()).await?;
    Ok(see_other(&format!(
        "/organizer/{org}/venues/{}?done=venue-duplicated",
        copy.id
    )))
}

// ---------------------------------------------------------------------------------------------
// The generator

#[derive(Template)]
#[template(path = "organizer_generate.html")]
struct GeneratePage {
    c: Chrome,
    nav: OrgNav,
    fields: Vec<super::organizer::Input>,
    stages: Vec<Choice>,
    labels: Vec<Choice>,
    above: Vec<String>,
}

fn generate_fields(visitor: &Visitor) -> Vec<super::organizer::Input> {
    use super::organizer::Input;
    let w = visitor.w;
    vec![
        Input::new("name", w.venue_name, "text", 200),
        Input::new("city", w.venue_city, "text", 100),
        Input::new("time_zone", w.venue_time_zone, "text", 100).hint(w.venue_time_zone_hint),
        Input::new("stage_label", w.stage_label_field, "text", 40)
            .optional()
            .hint(w.stage_label_hint),
        Input::new("section_prefix", w.generator_prefix, "text", 90).optional(),
        Input::new("sections", w.generator_sections, "number", 10),
        Input::new("rows", w.generator_rows, "number", 10),
        Input::new("seats", w.generator_seats, "number", 10),
        Input::new("aisle_every", w.aisle_every, "number", 10).optional(),
    ]
}

fn generate_page(
    visitor: &Visitor,
    standing: &Standing,
    mut fields: Vec<super::organizer::Input>,
    stage: StagePosition,
    labels: RowLabels,
    above: Vec<String>,
) -> GeneratePage {
    let w = visitor.w;
    if fields[2].value.is_empty() {
        fields[2].value = DEFAULT_TIME_ZONE_NAME.to_owned();
    }
    if fields[4].value.is_empty() {
        fields[4].value = w.section_word.to_owned();
    }
    GeneratePage {
        c: visitor.chrome(None),
        nav: OrgNav::of(standing, "venues"),
        fields,
        stages: stage_choices(visitor, stage),
        labels: RowLabels::ALL
            .into_iter()
            .map(|l| Choice {
                value: l.as_str().to_owned(),
                label: match l {
                    RowLabels::Letters => w.labels_letters,
                    RowLabels::Numbers => w.labels_numbers,
                }
                .to_owned(),
                chosen: l == labels,
            })
            .collect(),
        above,
    }
}

/// `GET /organizer/{org}/venues/generate`: the generator's form.
pub async fn generator(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, Some(Capability::EditCatalog)).await?;
    let page = generate_page(
        &visitor,
        &standing,
        generate_fields(&visitor),
        StagePosition::Top,
        RowLabels::Letters,
        Vec::new(),
    );
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/venues/generate`: makes the venue, then opens its builder.
pub async fn generate(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    body: Bytes,
) -> PageResult {
    let (form, user, standing) =
        posted(&app, &visitor, &body, org, Capability::EditCatalog).await?;
    let mut fields: Vec<_> = generate_fields(&visitor)
        .into_iter()
        .map(|f| f.typed(&form))
        .collect();
    let stage =
        StagePosition::parse(form.get("stage_position").unwrap_or_default()).unwrap_or_default();
    let labels = RowLabels::parse(form.get("row_labels").unwrap_or_default()).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let mut number = |at: usize, optional: bool| -> Option<i64> {
        let raw = fields[at].value.trim();
        if raw.is_empty() && optional {
            return None;
        }
        match raw.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(
                    fields[at].name,
                    if raw.is_empty() {
                        FieldProblem::Empty
                    } else {
                        FieldProblem::NotAWholeNumber
                    },
                );
                Some(0)
            }
        }
    };
    let generator = VenueGenerator {
        organization_id: Some(org),
        sections: number(5, false).unwrap_or(0),
        rows: number(6, false).unwrap_or(0),
        seats: number(7, false).unwrap_or(0),
        aisle_every: number(8, true),
        name: fields[0].value.clone(),
        city: fields[1].value.clone(),
        time_zone: Some(fields[2].value.clone()),
        stage_position: Some(stage),
        stage_label: Some(fields[3].value.clone()),
        section_prefix: Some(fields[4].value.clone()),
        row_labels: labels,
    };
    let made = if errors.is_empty() {
        catalog::generate_venue(&app, user, generator, &visitor.audit()).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match made {
        Ok(venue) => Ok(see_other(&format!(
            "/organizer/{org}/venues/{}?done=venue-created",
            venue.id
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let mut above = Vec::new();
            for error in &problem.errors {
                match fields.iter_mut().find(|f| f.name == error.field) {
                    Some(field) if field.problem.is_none() => {
                        field.problem = Some(super::words::sentence(&field_words::message(
                            visitor.lang,
                            &error.problem,
                        )));
                    }
                    Some(_) => {}
                    None => above.push(super::words::field_error(visitor.lang, error)),
                }
            }
            let page = generate_page(&visitor, &standing, fields, stage, labels, above);
            Ok(super::shown_again(&visitor, &page, &problem))
        }
    }
}

impl SectionCells {
    pub fn standing(&self) -> bool {
        self.kind.value == "standing"
    }
}
