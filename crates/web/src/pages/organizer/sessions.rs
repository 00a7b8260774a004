//! An event's sessions in the console: the list on the event's page, the form that plans a
//! session (times in the venue's zone, the cap, hold and Pix times, the half-price quota,
//! transfers and resale, screen codes, the waiting room, and a category and price per section)
//! and the page that changes one and pauses or resumes its sales. The rules (what may change,
//! prices only until the first sale) are the application's: `catalog::create_session` and
//! `catalog::update_session`, as the JSON API calls them.

use super::{
    Choice, Complaints, Input, OrgNav, PageResult, Visitor, done_notice, refused_form,
    standing_over,
};
use crate::api::error::ApiError;
use crate::pages::{PageIds, lenient_query, parse_reais, see_other, shown_again};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use bilheteria_app::organizations::Standing;
use bilheteria_app::{App, AppError, catalog};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::{
    CategoryInput, CategoryPatch, Event, EventSession, QueueInput, SaleWindow, SessionInput,
    SessionPatch, Venue,
};
use bilheteria_domain::ids::{CategoryId, EventId, OrganizationId, SessionId};
use bilheteria_domain::locale::{from_local_input, to_local_input};
use bilheteria_domain::organization::Capability;
use bilheteria_domain::screen::ScreenCodes;
use bilheteria_domain::text::fold;
use bilheteria_domain::transfers::TransferSettings;
use bilheteria_domain::validation::FieldError;
use bilheteria_domain::{FieldErrors, FieldProblem};

/// A session as the event's page lists it.
pub struct SessionRow {
    pub link: String,
    pub when: String,
    pub state: &'static str,
    pub prices: String,
}

/// The sessions of `event` for its page in the console, earliest first.
pub(super) async fn rows(
    app: &App,
    visitor: &Visitor,
    user: &User,
    org: OrganizationId,
    event: EventId,
) -> PageResult<Vec<SessionRow>> {
    let (event, venue, sessions) =
        catalog::event_schedule(app, user, event, Capability::EditCatalog).await?;
    let now = app.clock.now();
    Ok(sessions
        .iter()
        .map(|session| SessionRow {
            link: format!("/organizer/{org}/sessions/{}", session.id),
            when: visitor.lang.list_time(session.starts_at, &venue.time_zone),
            state: if event.is_cancelled() {
                visitor.w.status_cancelled
            } else {
                state_word(visitor, session.sale_window(now))
            },
            prices: session
                .categories
                .iter()
                .map(|c| format!("{} {}", c.name, visitor.lang.money(c.price_cents)))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect())
}

fn state_word(visitor: &Visitor, window: SaleWindow) -> &'static str {
    let w = visitor.w;
    match window {
        SaleWindow::NotOpen => w.session_not_open,
        SaleWindow::Open => w.on_sale,
        SaleWindow::Paused => w.sales_paused,
        SaleWindow::Closed => w.sales_closed,
    }
}

/// A section of the venue on the new session's form: whether it sells, in which category, at
/// what price.
pub struct SectionLine {
    pub index: usize,
    pub name: String,
    pub capacity: i64,
    pub sell: bool,
    pub category: String,
    pub price: String,
    pub problem: Option<String>,
}

/// A category on the session's page: its name and price as typed.
pub struct CategoryLine {
    pub index: usize,
    pub id: CategoryId,
    pub name: String,
    pub price: String,
    pub sections: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "organizer_session.html")]
pub struct SessionPage {
    c: super::Chrome,
    nav: OrgNav,
    heading: String,
    event_link: String,
    /// Its orders in the console (an existing session's, for those who may see its sales).
    orders_link: String,
    zone: String,
    action: String,
    /// On an existing session: its state, and whether its sales are paused.
    existing: Option<(&'static str, bool)>,
    /// Where its pause or resume button posts; none once its event is cancelled.
    pause_action: String,
    fields: Vec<Input>,
    screen_codes: Vec<Choice>,
    transfers_enabled: bool,
    queue_enabled: bool,
    sections: Vec<SectionLine>,
    categories: Vec<CategoryLine>,
    above: Vec<String>,
    /// The submit button's words; none once its event is cancelled.
    button: &'static str,
    /// Links to the session's borderô and exports, for those who may read them.
    reports: Option<super::bordero::ReportLinks>,
}

/// The form's plain fields, in the order shown. Times are typed in the venue's zone; hold and
/// Pix times in minutes.
fn plain_fields(visitor: &Visitor, creating: bool) -> Vec<Input> {
    let w = visitor.w;
    let mut fields = vec![
        Input::new("starts_at", w.session_starts_at, "datetime-local", 16),
        Input::new(
            "sales_start_at",
            w.session_sales_start_at,
            "datetime-local",
            16,
        ),
        Input::new("max_tickets_per_user", w.session_cap, "number", 3),
        Input::new("hold_minutes", w.session_hold_minutes, "number", 3),
        Input::new("pix_minutes", w.session_pix_minutes, "number", 5),
        Input::new(
            "half_price_release_at",
            w.session_half_release,
            "datetime-local",
            16,
        )
        .optional()
        .hint(w.session_half_release_hint),
        Input::new(
            "transfer_cutoff_minutes",
            w.session_transfer_cutoff,
            "number",
            6,
        ),
        Input::new("resale_fee_percent", w.session_resale_fee, "number", 3),
    ];
    if creating {
        // Left blank, a new session's sales open now.
        let sales_start = fields.remove(1).optional().hint(w.session_sales_start_hint);
        fields.insert(1, sales_start);
        fields.insert(
            5,
            Input::new(
                "half_price_quota_percent",
                w.session_half_quota,
                "number",
                3,
            )
            .hint(w.session_half_quota_hint),
        );
        fields.push(Input::new(
            "admit_per_minute",
            w.session_admit_rate,
            "number",
            7,
        ));
    }
    fields
}

fn set(fields: &mut [Input], name: &str, value: String) {
    if let Some(field) = fields.iter_mut().find(|f| f.name == name) {
        field.value = value;
    }
}

fn typed<'f>(fields: &'f [Input], name: &str) -> &'f str {
    fields
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.value.trim())
}

fn screen_choices(visitor: &Visitor, chosen: ScreenCodes) -> Vec<Choice> {
    let w = visitor.w;
    [
        (ScreenCodes::Static, w.screen_codes_static),
        (ScreenCodes::Rotating, w.screen_codes_rotating),
        (ScreenCodes::ScreenOnly, w.screen_codes_screen_only),
    ]
    .into_iter()
    .map(|(codes, label)| Choice {
        value: codes.as_str().to_owned(),
        label: label.to_owned(),
        chosen: codes == chosen,
    })
    .collect()
}

/// What the form's numbers and times say, read one by one: each one not understood is a field
/// error of the form's own field, said with the application's.
struct Reader<'a> {
    fields: &'a [Input],
    zone: &'a str,
    errors: FieldErrors,
}

/// The fields the new session's form and a session's page share, as read.
struct Common {
    starts_at: Option<time::OffsetDateTime>,
    max_tickets_per_user: Option<i64>,
    hold_seconds: Option<i64>,
    pix_expires_after_seconds: Option<i64>,
    half_price_release_at: Option<time::OffsetDateTime>,
    cutoff_minutes: Option<i64>,
    resale_fee_percent: Option<i64>,
}

impl<'a> Reader<'a> {
    fn of(fields: &'a [Input], venue: &'a Venue) -> Self {
        Reader {
            fields,
            zone: &venue.time_zone,
            errors: FieldErrors::new(),
        }
    }

    fn common(&mut self) -> Common {
        Common {
            starts_at: self.time("starts_at"),
            max_tickets_per_user: self.number("max_tickets_per_user"),
            hold_seconds: self.minutes("hold_minutes"),
            pix_expires_after_seconds: self.minutes("pix_minutes"),
            half_price_release_at: self.optional_time("half_price_release_at"),
            cutoff_minutes: self.number("transfer_cutoff_minutes"),
            resale_fee_percent: self.number("resale_fee_percent"),
        }
    }

    fn number(&mut self, name: &str) -> Option<i64> {
        let raw = typed(self.fields, name);
        let read = raw.parse::<i64>().ok();
        if read.is_none() {
            self.errors.add(name, FieldProblem::NotAWholeNumber);
        }
        read
    }

    fn minutes(&mut self, name: &str) -> Option<i64> {
        self.number(name).map(|minutes| minutes.saturating_mul(60))
    }

    fn time(&mut self, name: &str) -> Option<time::OffsetDateTime> {
        let raw = typed(self.fields, name);
        let read = from_local_input(raw, self.zone);
        if read.is_none() {
            let problem = if raw.is_empty() {
                FieldProblem::Empty
            } else {
                FieldProblem::NotAnInstant
            };
            self.errors.add(name, problem);
        }
        read
    }

    fn optional_time(&mut self, name: &str) -> Option<time::OffsetDateTime> {
        if typed(self.fields, name).is_empty() {
            None
        } else {
            self.time(name)
        }
    }
}

/// The application's field errors said about the form's fields: seconds become the minutes
/// typed, a category's fields the section line (or category line) it was typed on.
fn on_form(mut problem: ApiError, line_of_category: &[usize], line: &str) -> ApiError {
    problem.errors = problem
        .errors
        .into_iter()
        .map(|error| {
            let (field, problem) = form_error(&error, line_of_category, line);
            FieldError { field, problem }
        })
        .collect();
    problem
}

fn form_error(
    error: &FieldError,
    line_of_category: &[usize],
    line: &str,
) -> (String, FieldProblem) {
    let in_minutes = |problem: &FieldProblem| match problem {
        FieldProblem::OutOfRange { min, max } => FieldProblem::OutOfRange {
            min: min / 60,
            max: max / 60,
        },
        other => other.clone(),
    };
    let field = error.field.as_str();
    match field {
        "hold_seconds" => ("hold_minutes".to_owned(), in_minutes(&error.problem)),
        "pix_expires_after_seconds" => ("pix_minutes".to_owned(), in_minutes(&error.problem)),
        "transfers.cutoff_minutes" => ("transfer_cutoff_minutes".to_owned(), error.problem.clone()),
        "transfers.resale_fee_percent" => ("resale_fee_percent".to_owned(), error.problem.clone()),
        "queue.admit_per_minute" => ("admit_per_minute".to_owned(), error.problem.clone()),
        _ => {
            let category = field
                .strip_prefix("categories[")
                .and_then(|rest| rest.split_once(']'))
                .and_then(|(index, _)| index.parse::<usize>().ok());
            match category.and_then(|k| line_of_category.get(k)) {
                Some(at) => (format!("{line}_{at}"), error.problem.clone()),
                None => (error.field.clone(), error.problem.clone()),
            }
        }
    }
}

/// The names of the fields a complaint may stand beside.
fn field_names(fields: &[Input], lines: usize, line: &str) -> Vec<String> {
    fields
        .iter()
        .map(|f| f.name.to_owned())
        .chain((0..lines).map(|i| format!("{line}_{i}")))
        .collect()
}

fn complaints(
    visitor: &Visitor,
    problem: Option<&ApiError>,
    names: &[String],
    fields: &mut [Input],
) -> Complaints {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(visitor.lang, problem, &names)
    });
    complaints.place(fields);
    complaints
}

/// The event of `org` whose session is planned, with the caller's standing.
async fn schedule_of(
    app: &App,
    user: &User,
    org: OrganizationId,
    id: EventId,
) -> PageResult<(Standing, Event, Venue)> {
    let (event, venue, _) = catalog::event_schedule(app, user, id, Capability::EditCatalog).await?;
    let standing = standing_over(app, user, org, event.organization_id).await?;
    Ok((standing, event, venue))
}

// ---------------------------------------------------------------------------------------------
// A new session

struct NewSessionForm {
    fields: Vec<Input>,
    screen_codes: ScreenCodes,
    transfers_enabled: bool,
    queue_enabled: bool,
    sections: Vec<SectionLine>,
}

impl NewSessionForm {
    /// The form as first shown: the defaults, every section for sale in a category of its
    /// own name.
    fn blank(visitor: &Visitor, venue: &Venue) -> Self {
        let mut fields = plain_fields(visitor, true);
        for (name, value) in [
            ("max_tickets_per_user", "2"),
            ("hold_minutes", "10"),
            ("pix_minutes", "15"),
            ("half_price_quota_percent", "40"),
            ("transfer_cutoff_minutes", "0"),
            ("resale_fee_percent", "0"),
            ("admit_per_minute", "600"),
        ] {
            set(&mut fields, name, value.to_owned());
        }
        NewSessionForm {
            fields,
            screen_codes: ScreenCodes::Static,
            transfers_enabled: true,
            queue_enabled: false,
            sections: venue
                .sections
                .iter()
                .enumerate()
                .map(|(index, section)| SectionLine {
                    index,
                    name: section.name.clone(),
                    capacity: section.capacity,
                    sell: true,
                    category: section.name.clone(),
                    price: String::new(),
                    problem: None,
                })
                .collect(),
        }
    }

    fn typed(visitor: &Visitor, venue: &Venue, form: &crate::pages::Form) -> Self {
        let mut typed = Self::blank(visitor, venue);
        typed.fields = plain_fields(visitor, true)
            .into_iter()
            .map(|f| f.typed(form))
            .collect();
        typed.screen_codes = form
            .get("screen_codes")
            .and_then(ScreenCodes::parse)
            .unwrap_or_default();
        typed.transfers_enabled = form.get("transfers_enabled").is_some();
        typed.queue_enabled = form.get("queue_enabled").is_some();
        for line in &mut typed.sections {
            let i = line.index;
            line.sell = form.get(&format!("sell_{i}")).is_some();
            line.category = form
                .get(&format!("category_{i}"))
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            line.price = form
                .get(&format!("price_{i}"))
                .unwrap_or_default()
                .chars()
                .take(20)
                .collect();
        }
        typed
    }

    /// The session the form asks for, and which section line each category was first typed
    /// on; or every mistake found.
    fn input(&self, venue: &Venue) -> (SessionInput, Vec<usize>, FieldErrors) {
        let mut read = Reader::of(&self.fields, venue);
        let common = read.common();
        let sales_start_at = read.optional_time("sales_start_at");
        let half_price_quota_percent = read.number("half_price_quota_percent");
        let admit_per_minute = read.number("admit_per_minute");
        let mut errors = read.errors;
        // Sections sold under one name are one category, at one price.
        let mut categories: Vec<CategoryInput> = Vec::new();
        let mut line_of_category = Vec::new();
        for line in self.sections.iter().filter(|line| line.sell) {
            let field = format!("price_{}", line.index);
            let price = parse_reais(&line.price);
            if price.is_none() {
                errors.add(field.clone(), FieldProblem::NotAnAmount);
            }
            let name = match line.category.trim() {
                "" => line.name.clone(),
                named => named.to_owned(),
            };
            let section = venue.sections[line.index].id;
            match categories.iter_mut().find(|c| fold(&c.name) == fold(&name)) {
                Some(category) => {
                    if price.is_some_and(|p| p != category.price_cents) {
                        errors.add(field, FieldProblem::PriceDiffersInCategory);
                    }
                    category.section_ids.push(section);
                }
                None => {
                    line_of_category.push(line.index);
                    categories.push(CategoryInput {
                        name,
                        price_cents: price.unwrap_or(0),
                        section_ids: vec![section],
                    });
                }
            }
        }
        let input = SessionInput {
            starts_at: common.starts_at.unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            sales_start_at,
            max_tickets_per_user: common.max_tickets_per_user,
            hold_seconds: common.hold_seconds,
            queue: Some(QueueInput {
                enabled: self.queue_enabled,
                admit_per_minute,
                max_active: None,
                proof_of_work_bits: None,
            }),
            currency: None,
            categories,
            transfers: Some(TransferSettings {
                enabled: self.transfers_enabled,
                cutoff_minutes: common.cutoff_minutes.unwrap_or(0),
                resale_fee_percent: common.resale_fee_percent.unwrap_or(0),
            }),
            screen_codes: Some(self.screen_codes),
            half_price_quota_percent,
            half_price_release_at: common.half_price_release_at,
            pix_expires_after_seconds: common.pix_expires_after_seconds,
        };
        (input, line_of_category, errors)
    }
}

fn new_session_page(
    visitor: &Visitor,
    standing: &Standing,
    event: &Event,
    venue: &Venue,
    mut form: NewSessionForm,
    problem: Option<&ApiError>,
) -> SessionPage {
    let w = visitor.w;
    let org = standing.organization.id;
    let names = field_names(&form.fields, form.sections.len(), "price");
    let complaints = complaints(visitor, problem, &names, &mut form.fields);
    for line in &mut form.sections {
        line.problem = complaints.about(&format!("price_{}", line.index));
    }
    SessionPage {
        c: visitor.chrome(None),
        nav: OrgNav::of(standing, "events"),
        heading: format!("{} · {}", w.new_session, event.title),
        event_link: format!("/organizer/{org}/events/{}", event.id),
        orders_link: String::new(),
        zone: venue.time_zone.clone(),
        action: format!("/organizer/{org}/events/{}/sessions", event.id),
        existing: None,
        pause_action: String::new(),
        fields: form.fields,
        screen_codes: screen_choices(visitor, form.screen_codes),
        transfers_enabled: form.transfers_enabled,
        queue_enabled: form.queue_enabled,
        sections: form.sections,
        categories: Vec::new(),
        above: complaints.above,
        button: w.create_session,
        reports: None,
    }
}

/// `GET /organizer/{org}/events/{id}/sessions/new`: the form that plans a session.
pub async fn new_session(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, event, venue) = schedule_of(&app, user, org, id).await?;
    let form = NewSessionForm::blank(&visitor, &venue);
    Ok(visitor.page(&new_session_page(
        &visitor, &standing, &event, &venue, form, None,
    )))
}

/// `POST /organizer/{org}/events/{id}/sessions`: plans the session.
pub async fn create_session(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let (standing, event, venue) = schedule_of(&app, user, org, id).await?;
    let typed = NewSessionForm::typed(&visitor, &venue, &form);
    let (input, line_of_category, mut errors) = typed.input(&venue);
    let created = if errors.0.is_empty() {
        catalog::create_session(&app, user, id, input, &visitor.audit()).await
    } else {
        // Every other mistake is said with those the form found itself.
        if let Err(more) = input.parse(app.clock.now(), &venue) {
            for error in more.0 {
                let (field, _) = form_error(&error, &line_of_category, "price");
                if !errors.0.iter().any(|e| e.field == field) {
                    errors.0.push(error);
                }
            }
        }
        Err(AppError::Invalid(errors))
    };
    match created {
        Ok(session) => Ok(see_other(&format!(
            "/organizer/{org}/sessions/{}?done=session-created",
            session.id
        ))),
        Err(error) => {
            let problem = on_form(refused_form(error)?, &line_of_category, "price");
            let page = new_session_page(&visitor, &standing, &event, &venue, typed, Some(&problem));
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A session's page: what may still change, and pausing its sales

/// A session being managed: where the caller stands, the session, its event and venue.
type Managed = (Standing, EventSession, Event, Venue);

/// The session `id` of `org`, for a caller who may edit the catalog on its event.
async fn session_of(
    app: &App,
    user: &User,
    org: OrganizationId,
    id: SessionId,
) -> PageResult<Managed> {
    let (session, event, venue) =
        catalog::managed_session_venue(app, user, id, Capability::EditCatalog).await?;
    let standing = standing_over(app, user, org, event.organization_id).await?;
    Ok((standing, session, event, venue))
}

struct EditForm {
    fields: Vec<Input>,
    screen_codes: ScreenCodes,
    transfers_enabled: bool,
    categories: Vec<CategoryLine>,
}

impl EditForm {
    fn of(visitor: &Visitor, session: &EventSession, venue: &Venue) -> Self {
        let zone = &venue.time_zone;
        let mut fields = plain_fields(visitor, false);
        let minutes = |seconds: i64| (seconds / 60).to_string();
        for (name, value) in [
            ("starts_at", to_local_input(session.starts_at, zone)),
            (
                "sales_start_at",
                to_local_input(session.sales_start_at, zone),
            ),
            (
                "max_tickets_per_user",
                session.max_tickets_per_user.to_string(),
            ),
            ("hold_minutes", minutes(session.hold_seconds)),
            ("pix_minutes", minutes(session.pix_expires_after_seconds)),
            (
                "half_price_release_at",
                session
                    .half_price_release_at
                    .map(|at| to_local_input(at, zone))
                    .unwrap_or_default(),
            ),
            (
                "transfer_cutoff_minutes",
                session.transfers.cutoff_minutes.to_string(),
            ),
            (
                "resale_fee_percent",
                session.transfers.resale_fee_percent.to_string(),
            ),
        ] {
            set(&mut fields, name, value);
        }
        let section_names = |category: &bilheteria_domain::catalog::SeatCategory| {
            category
                .section_ids
                .iter()
                .filter_map(|id| venue.sections.iter().find(|s| s.id == *id))
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        EditForm {
            fields,
            screen_codes: session.screen_codes,
            transfers_enabled: session.transfers.enabled,
            categories: session
                .categories
                .iter()
                .enumerate()
                .map(|(index, category)| CategoryLine {
                    index,
                    id: category.id,
                    name: category.name.clone(),
                    price: visitor.lang.money(category.price_cents),
                    sections: section_names(category),
                    problem: None,
                })
                .collect(),
        }
    }

    fn typed(
        visitor: &Visitor,
        session: &EventSession,
        venue: &Venue,
        form: &crate::pages::Form,
    ) -> Self {
        let mut typed = Self::of(visitor, session, venue);
        typed.fields = plain_fields(visitor, false)
            .into_iter()
            .map(|f| f.typed(form))
            .collect();
        typed.screen_codes = form
            .get("screen_codes")
            .and_then(ScreenCodes::parse)
            .unwrap_or(session.screen_codes);
        typed.transfers_enabled = form.get("transfers_enabled").is_some();
        for line in &mut typed.categories {
            let i = line.index;
            if let Some(name) = form.get(&format!("category_{i}")) {
                line.name = name.chars().take(60).collect();
            }
            if let Some(price) = form.get(&format!("price_{i}")) {
                line.price = price.chars().take(20).collect();
            }
        }
        typed
    }

    /// The change the form asks for: every field, as typed.
    fn patch(&self, session: &EventSession, venue: &Venue) -> (SessionPatch, FieldErrors) {
        let mut read = Reader::of(&self.fields, venue);
        let common = read.common();
        let sales_start_at = read.time("sales_start_at");
        let mut errors = read.errors;
        let categories = self
            .categories
            .iter()
            .map(|line| {
                let price = parse_reais(&line.price);
                if price.is_none() {
                    errors.add(format!("price_{}", line.index), FieldProblem::NotAnAmount);
                }
                CategoryPatch {
                    id: line.id,
                    name: Some(line.name.clone()),
                    price_cents: price,
                }
            })
            .collect();
        let patch = SessionPatch {
            sales_paused: None,
            starts_at: common.starts_at,
            sales_start_at,
            max_tickets_per_user: common.max_tickets_per_user,
            hold_seconds: common.hold_seconds,
            pix_expires_after_seconds: common.pix_expires_after_seconds,
            transfers: Some(TransferSettings {
                enabled: self.transfers_enabled,
                cutoff_minutes: common
                    .cutoff_minutes
                    .unwrap_or(session.transfers.cutoff_minutes),
                resale_fee_percent: common
                    .resale_fee_percent
                    .unwrap_or(session.transfers.resale_fee_percent),
            }),
            screen_codes: Some(self.screen_codes),
            half_price_release_at: common.half_price_release_at,
            categories: Some(categories),
        };
        (patch, errors)
    }
}

fn session_page(
    app: &App,
    visitor: &Visitor,
    (standing, session, event, venue): &Managed,
    mut form: EditForm,
    problem: Option<&ApiError>,
    notice: Option<String>,
) -> SessionPage {
    let w = visitor.w;
    let org = standing.organization.id;
    let names = field_names(&form.fields, form.categories.len(), "price");
    let complaints = complaints(visitor, problem, &names, &mut form.fields);
    for line in &mut form.categories {
        line.problem = complaints.about(&format!("price_{}", line.index));
    }
    // A cancelled event's sessions change no more.
    let open = !event.is_cancelled();
    let state = if open {
        state_word(visitor, session.sale_window(app.clock.now()))
    } else {
        w.status_cancelled
    };
    SessionPage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "events"),
        heading: format!(
            "{} · {}",
            event.title,
            visitor.lang.list_time(session.starts_at, &venue.time_zone)
        ),
        event_link: format!("/organizer/{org}/events/{}", event.id),
        orders_link: if standing.may(Capability::SeeSales, Some(event.id)) {
            format!("/organizer/{org}/sessions/{}/orders", session.id)
        } else {
            String::new()
        },
        zone: venue.time_zone.clone(),
        action: format!("/organizer/{org}/sessions/{}", session.id),
        existing: Some((state, session.sales_paused)),
        pause_action: if open {
            let action = if session.sales_paused {
                "resume"
            } else {
                "pause"
            };
            format!("/organizer/{org}/sessions/{}/{action}", session.id)
        } else {
            String::new()
        },
        fields: form.fields,
        screen_codes: screen_choices(visitor, form.screen_codes),
        transfers_enabled: form.transfers_enabled,
        queue_enabled: session.queue.enabled,
        sections: Vec::new(),
        categories: form.categories,
        above: complaints.above,
        button: if open { w.save_changes } else { "" },
        reports: super::bordero::report_links(standing, org, event.id, session.id, visitor.lang),
    }
}

/// `GET /organizer/{org}/sessions/{id}`: the session's settings, and its pause button.
pub async fn session(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let managed = session_of(&app, user, org, id).await?;
    let done: super::Done = lenient_query(query);
    let notice = done_notice(&visitor, done.done.as_deref());
    let form = EditForm::of(&visitor, &managed.1, &managed.3);
    let page = session_page(&app, &visitor, &managed, form, None, notice);
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/sessions/{id}`: saves what may still change.
pub async fn update_session(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let managed = session_of(&app, user, org, id).await?;
    let (_, session, _, venue) = &managed;
    let typed = EditForm::typed(&visitor, session, venue, &form);
    let (patch, errors) = typed.patch(session, venue);
    let updated = if errors.0.is_empty() {
        catalog::update_session(&app, user, id, patch, &visitor.audit()).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match updated {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/sessions/{id}?done=saved"
        ))),
        Err(error) => {
            let lines: Vec<usize> = (0..typed.categories.len()).collect();
            let problem = on_form(refused_form(error)?, &lines, "price");
            let page = session_page(&app, &visitor, &managed, typed, Some(&problem), None);
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

async fn set_paused(
    app: &App,
    visitor: &Visitor,
    org: OrganizationId,
    id: SessionId,
    body: &[u8],
    paused: bool,
) -> PageResult {
    visitor.form(body)?;
    let user = visitor.user()?;
    session_of(app, user, org, id).await?;
    let patch = SessionPatch {
        sales_paused: Some(paused),
        ..SessionPatch::default()
    };
    catalog::update_session(app, user, id, patch, &visitor.audit()).await?;
    let done = if paused { "paused" } else { "resumed" };
    Ok(see_other(&format!(
        "/organizer/{org}/sessions/{id}?done={done}"
    )))
}

/// `POST /organizer/{org}/sessions/{id}/pause`: stops its sales at once.
pub async fn pause(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
    body: Bytes,
) -> PageResult {
    set_paused(&app, &visitor, org, id, &body, true).await
}

/// `POST /organizer/{org}/sessions/{id}/resume`.
pub async fn resume(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
    body: Bytes,
) -> PageResult {
    set_paused(&app, &visitor, org, id, &body, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_categorys_field_errors_stand_beside_the_line_it_was_typed_on() {
        let error = |field: &str, problem| FieldError {
            field: field.to_owned(),
            problem,
        };
        let lines = [0, 3];
        assert_eq!(
            form_error(
                &error("categories[1].price_cents", FieldProblem::NotAnAmount),
                &lines,
                "price"
            ),
            ("price_3".to_owned(), FieldProblem::NotAnAmount)
        );
        assert_eq!(
            form_error(
                &error(
                    "hold_seconds",
                    FieldProblem::OutOfRange {
                        min: 60,
                        max: 3_600
                    }
                ),
                &lines,
                "price"
            ),
            (
                "hold_minutes".to_owned(),
                FieldProblem::OutOfRange { min: 1, max: 60 }
            )
        );
        assert_eq!(
            form_error(
                &error("starts_at", FieldProblem::NotInFuture),
                &lines,
                "price"
            )
            .0,
            "starts_at"
        );
    }
}
