//! The organizer's console (`/organizer`): an organization's events, team and products, over
//! the same `bilheteria_app` operations as the JSON API (`organizations`, `catalog`, `access`).
//! Who may see and do what is the application's answer: an anonymous visitor is sent to log in,
//! someone with no console gets the friendly 403 page, an outsider of an organization its 404
//! page, a member whose role may not its 403 page. Every form carries the CSRF proof; a refused
//! one comes back with each complaint beside its field and what was typed kept.

pub mod bordero;
pub mod door;
pub mod orders;
pub mod sessions;

use super::buying::{Cursor, list_page};
use super::words::{self, Words, event_status, member_role};
use super::{
    Chrome, PageId, PageIds, PageResult, Visitor, encode, lenient_query, not_found, parse_reais,
    problem_lines, see_other, shown_again,
};
use crate::api::error::{ApiError, ProblemCode};
use crate::field_words;
use askama::Template;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{RawQuery, State};
use bilheteria_app::organizations::{self, Standing};
use bilheteria_app::{App, AppError, access, authz, catalog, images};
use bilheteria_domain::account::User;
use bilheteria_domain::catalog::{
    CancelEventInput, Category, Event, EventInput, EventPatch, EventQuery, EventStatus, Product,
    ProductInput, ProductPatch, search_terms,
};
use bilheteria_domain::ids::{EventId, OrganizationId, ProductId, UserId, VenueId};
use bilheteria_domain::images::Variant;
use bilheteria_domain::locale::Language;
use bilheteria_domain::organization::{Capability, MemberInput, MemberRole, OrganizationInput};
use bilheteria_domain::page::PageRequest;
use bilheteria_domain::{FieldErrors, FieldProblem};
use serde::Deserialize;

/// As many as a form's choices show (venues, events to tick): the largest page the API gives.
const CHOICES: PageRequest = PageRequest {
    limit: 200,
    after: None,
};

/// One field of a console form: what was typed, and the complaint beside it.
pub struct Input {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `email`, `number` or `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub max: usize,
    pub required: bool,
    pub hint: Option<&'static str>,
    pub problem: Option<String>,
}

impl Input {
    pub(super) fn new(
        name: &'static str,
        label: &'static str,
        kind: &'static str,
        max: usize,
    ) -> Self {
        Input {
            name,
            label,
            kind,
            value: String::new(),
            max,
            required: true,
            hint: None,
            problem: None,
        }
    }

    pub(super) fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub(super) fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// With what the form had typed in it.
    pub(super) fn typed(mut self, form: &super::Form) -> Self {
        self.value = form
            .get(self.name)
            .unwrap_or_default()
            .chars()
            .take(self.max)
            .collect();
        self
    }
}

/// The field of the form a field error is about: `event_ids[2]` is the `event_ids` boxes, and
/// a product's `price_cents` the price typed in reais.
fn form_field(field: &str) -> &str {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "price_cents" => "price",
        other => other,
    }
}

/// The complaints of a refused form: each field error beside its field (`beside`, by the
/// form's field name), and above the form what is about none of them (the problem itself
/// when no field error says it).
struct Complaints {
    beside: Vec<(String, String)>,
    above: Vec<String>,
}

impl Complaints {
    fn none() -> Self {
        Complaints {
            beside: Vec::new(),
            above: Vec::new(),
        }
    }

    fn of(lang: Language, problem: &ApiError, fields: &[&str]) -> Self {
        let mut complaints = Complaints::none();
        for error in &problem.errors {
            let field = form_field(&error.field);
            if fields.contains(&field) {
                if !complaints.beside.iter().any(|(name, _)| name == field) {
                    let message = field_words::message(lang, &error.problem);
                    complaints
                        .beside
                        .push((field.to_owned(), words::sentence(&message)));
                }
            } else {
                complaints.above.push(words::field_error(lang, error));
            }
        }
        if complaints.beside.is_empty() && complaints.above.is_empty() {
            complaints.above = problem_lines(lang, problem);
        }
        complaints
    }

    fn about(&self, field: &str) -> Option<String> {
        self.beside
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.clone())
    }

    fn place(&self, inputs: &mut [Input]) {
        for input in inputs {
            input.problem = self.about(input.name);
        }
    }
}

/// A choice of a `<select>` or a box to tick.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

/// The links at the top of every page of an organization.
pub struct OrgNav {
    pub id: OrganizationId,
    pub name: String,
    pub suspended: bool,
    pub team: bool,
    /// Whether the caller's role runs the door (a tab to it).
    pub door: bool,
    /// Which tab this page is: `events`, `venues`, `products` or `team`.
    pub here: &'static str,
}

impl OrgNav {
    pub(super) fn of(standing: &Standing, here: &'static str) -> Self {
        OrgNav {
            id: standing.organization.id,
            name: standing.organization.name.clone(),
            suspended: standing.organization.suspended_at.is_some(),
            team: standing.may(Capability::ManageTeam, None),
            door: standing.may_somewhere(Capability::RunDoor),
            here,
        }
    }
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

/// The notice a page shows after a form succeeded (`?done=...`).
pub(super) fn done_notice(visitor: &Visitor, done: Option<&str>) -> Option<String> {
    let w = visitor.w;
    Some(
        match done? {
            "created" => w.organization_created,
            "event-created" => w.event_created,
            "saved" => w.event_saved,
            "published" => w.event_published,
            "unpublished" => w.event_unpublished,
            "cancelled" => w.event_cancelled_done,
            "team" => w.team_saved,
            "invited" => w.team_invited,
            "removed" => w.member_removed,
            "product" => w.product_created,
            "session-created" => w.session_created,
            "paused" => w.session_paused_done,
            "resumed" => w.session_resumed_done,
            "venue-created" => w.venue_created,
            "venue-saved" => w.venue_saved,
            "venue-duplicated" => w.venue_duplicated,
            "poster" => w.poster_saved,
            "poster-removed" => w.poster_removed,
            "image" => w.image_saved,
            "image-removed" => w.image_removed,
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// The console's first page: the caller's organizations, and founding one

#[derive(Template)]
#[template(path = "organizer.html")]
struct ConsolePage {
    c: Chrome,
    organizations: Vec<(OrganizationId, String, &'static str, bool)>,
    more: Option<String>,
    may_found: bool,
    fields: Vec<Input>,
    above: Vec<String>,
}

fn found_fields(visitor: &Visitor) -> Vec<Input> {
    let w = visitor.w;
    vec![
        Input::new("name", w.organization_name, "text", 200),
        Input::new("document", w.organization_document, "text", 40)
            .hint(w.organization_document_hint),
        Input::new("contact_email", w.contact_email, "email", 254),
    ]
}

async fn console_page(
    app: &App,
    visitor: &Visitor,
    user: &User,
    cursor: Option<&str>,
    fields: Vec<Input>,
    above: Vec<String>,
    notice: Option<String>,
) -> PageResult<ConsolePage> {
    let mine = organizations::console(app, user, &list_page(cursor)).await?;
    Ok(ConsolePage {
        c: visitor.chrome(notice),
        organizations: mine
            .items
            .into_iter()
            .map(|mine| {
                (
                    mine.organization.id,
                    mine.organization.name,
                    member_role(visitor.lang, mine.role),
                    mine.organization.suspended_at.is_some(),
                )
            })
            .collect(),
        more: mine
            .next_cursor
            .map(|cursor| format!("/organizer?cursor={}", encode(&cursor))),
        may_found: authz::require_founder(user).is_ok(),
        fields,
        above,
    })
}

/// `GET /organizer`: the caller's organizations, and the form that founds one.
pub async fn home(
    State(app): State<App>,
    visitor: Visitor,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let query: Cursor = lenient_query(query);
    let page = console_page(
        &app,
        &visitor,
        user,
        query.cursor.as_deref(),
        found_fields(&visitor),
        Vec::new(),
        None,
    )
    .await?;
    Ok(visitor.page(&page))
}

/// `POST /organizer`: founds an organization; its founder is its owner.
pub async fn found(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let mut fields: Vec<Input> = found_fields(&visitor)
        .into_iter()
        .map(|f| f.typed(&form))
        .collect();
    let input = OrganizationInput {
        name: fields[0].value.clone(),
        document: fields[1].value.clone(),
        contact_email: fields[2].value.clone(),
    };
    match organizations::create(&app, user, input, &visitor.audit()).await {
        Ok(created) => Ok(see_other(&format!(
            "/organizer/{}?done=created",
            created.id
        ))),
        Err(error @ AppError::Invalid(_)) => {
            let problem = ApiError::from(error);
            let complaints = Complaints::of(
                visitor.lang,
                &problem,
                &["name", "document", "contact_email"],
            );
            complaints.place(&mut fields);
            let page =
                console_page(&app, &visitor, user, None, fields, complaints.above, None).await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
        Err(error) => Err(error.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// An organization's events

struct EventRow {
    id: EventId,
    title: String,
    status: &'static str,
    category: &'static str,
    editable: bool,
    public: bool,
}

#[derive(Template)]
#[template(path = "organizer_events.html")]
struct EventsPage {
    c: Chrome,
    nav: OrgNav,
    q: String,
    statuses: Vec<Choice>,
    rows: Vec<EventRow>,
    more: Option<String>,
    may_create: bool,
}

/// The statuses an organization's events may be filtered by, `any` first.
fn status_choices(visitor: &Visitor, chosen: Option<EventStatus>) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: String::new(),
        label: visitor.w.any_status.to_owned(),
        chosen: chosen.is_none(),
    }];
    for status in [
        EventStatus::Draft,
        EventStatus::Published,
        EventStatus::Cancelled,
    ] {
        choices.push(Choice {
            value: status.as_str().to_owned(),
            label: event_status(visitor.lang, status).to_owned(),
            chosen: chosen == Some(status),
        });
    }
    choices
}

/// `GET /organizer/{org}`: its events, drafts included, searched and filtered, a page at a
/// time, as the caller may see them (a member limited to some events sees those).
pub async fn events(
    State(app): State<App>,
    visitor: Visitor,
    PageId(id): PageId<OrganizationId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, id, None).await?;
    let query: Done = lenient_query(query);
    let status = EventStatus::parse(&query.status);
    let q: String = query.q.chars().take(200).collect();
    let filter = EventQuery {
        terms: search_terms(&q),
        status,
        ..EventQuery::default()
    };
    let page =
        organizations::events(&app, user, id, filter, &list_page(query.cursor.as_deref())).await?;
    let lang = visitor.lang;
    let rows = page
        .items
        .into_iter()
        .map(|event| EventRow {
            editable: standing.may(Capability::EditCatalog, Some(event.id)),
            public: event.status == EventStatus::Published,
            id: event.id,
            status: event_status(lang, event.status),
            category: event.category.label(lang),
            title: event.title,
        })
        .collect();
    let more = page.next_cursor.map(|cursor| {
        format!(
            "/organizer/{id}?q={}&status={}&cursor={}",
            encode(&q),
            encode(&query.status),
            encode(&cursor)
        )
    });
    Ok(visitor.page(&EventsPage {
        c: visitor.chrome(done_notice(&visitor, query.done.as_deref())),
        nav: OrgNav::of(&standing, "events"),
        statuses: status_choices(&visitor, status),
        q,
        rows,
        more,
        may_create: standing.may(Capability::EditCatalog, None),
    }))
}

// ---------------------------------------------------------------------------------------------
// An event: new, edited, published, unpublished

#[derive(Template)]
#[template(path = "organizer_event.html")]
struct EventPage {
    c: Chrome,
    nav: OrgNav,
    heading: String,
    /// The event being edited; `None` on the new event's form.
    event: Option<(EventId, bool)>,
    /// A cancelled event: what its organizer said, and how far its refunds are.
    cancelled: Option<CancelledView>,
    action: String,
    fields: Vec<Input>,
    categories: Vec<Choice>,
    category_problem: Option<String>,
    venues: Vec<Choice>,
    venue_problem: Option<String>,
    above: Vec<String>,
    button: &'static str,
    /// An existing event's sessions.
    sessions: Vec<sessions::SessionRow>,
    /// The poster's form, on an event that exists.
    poster: Option<UploadForm>,
}

struct CancelledView {
    reason: Option<String>,
    progress: String,
}

/// The form that sends a picture (an event's poster, a product's image), with the picture as
/// it is and the complaint beside the file's field.
pub struct UploadForm {
    /// Where the form posts; `{action}/remove` takes the picture away.
    action: String,
    /// The file's field.
    field: &'static str,
    label: &'static str,
    button: &'static str,
    remove: &'static str,
    /// What is said where there is no picture yet.
    none: &'static str,
    current: Option<String>,
    alt: String,
    problem: Option<String>,
}

impl UploadForm {
    fn poster(w: &Words, org: OrganizationId, event: &Event) -> Self {
        UploadForm {
            action: format!("/organizer/{org}/events/{}/poster", event.id),
            field: "poster",
            label: w.poster_file,
            button: w.upload_poster,
            remove: w.remove_poster,
            none: w.no_poster,
            current: event.poster.as_ref().map(|hash| hash.url(Variant::Card)),
            alt: event.title.clone(),
            problem: None,
        }
    }

    fn product(w: &Words, org: OrganizationId, product: &Product) -> Self {
        UploadForm {
            action: format!("/organizer/{org}/products/{}/image", product.id),
            field: "image",
            label: w.image_file,
            button: w.upload_image,
            remove: w.remove_image,
            none: w.no_image,
            current: product.image.as_ref().map(|hash| hash.url(Variant::Thumb)),
            alt: product.name.clone(),
            problem: None,
        }
    }
}

/// An upload's refusal, when it is about the picture sent (said beside the file's field): its
/// problem and the words for it. Any other refusal is a page of its own.
fn refused_upload(lang: Language, error: AppError) -> PageResult<(ApiError, String)> {
    let problem = ApiError::from(error);
    match problem.code {
        ProblemCode::NotAnImage
        | ProblemCode::ImageFormatUnsupported
        | ProblemCode::ImageTooLarge
        | ProblemCode::ImageDimensionsOutOfRange => {
            let (title, text) = words::problem(lang, problem.code, &problem.detail);
            let said = format!("{title}. {text}");
            Ok((problem, said))
        }
        _ => Err(problem.into()),
    }
}

/// What an event's form had typed in it.
struct EventTyped {
    title: String,
    description: String,
    category: String,
    venue: String,
    tags: String,
}

impl EventTyped {
    fn from_form(form: &super::Form) -> Self {
        let take = |name: &str, max: usize| -> String {
            form.get(name)
                .unwrap_or_default()
                .chars()
                .take(max)
                .collect()
        };
        EventTyped {
            title: take("title", 200),
            description: take("description", 10_000),
            category: take("category", 60),
            venue: take("venue_id", 60),
            tags: take("tags", 2_000),
        }
    }

    fn of(event: &Event) -> Self {
        EventTyped {
            title: event.title.clone(),
            description: event.description.clone(),
            category: event.category.as_str().to_owned(),
            venue: event.venue_id.to_string(),
            tags: event.tags.join(", "),
        }
    }

    fn tags(&self) -> Vec<String> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn event_page(
    app: &App,
    visitor: &Visitor,
    user: &User,
    standing: &Standing,
    event: Option<&Event>,
    typed: &EventTyped,
    problem: Option<&ApiError>,
    notice: Option<String>,
) -> PageResult<EventPage> {
    let w = visitor.w;
    let lang = visitor.lang;
    let org = standing.organization.id;
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(
            lang,
            problem,
            &["title", "description", "category", "venue_id", "tags"],
        )
    });
    let mut fields = vec![
        Input::new("title", w.event_title, "text", 200),
        Input::new("description", w.event_description, "textarea", 10_000).optional(),
        Input::new("tags", w.event_tags, "text", 2_000).optional(),
    ];
    fields[0].value.clone_from(&typed.title);
    fields[1].value.clone_from(&typed.description);
    fields[2].value.clone_from(&typed.tags);
    complaints.place(&mut fields);
    let chosen_category = Category::parse(&typed.category);
    let categories = Category::ALL
        .into_iter()
        .map(|category| Choice {
            value: category.as_str().to_owned(),
            label: category.label(lang).to_owned(),
            chosen: chosen_category == Some(category),
        })
        .collect();
    let venues = organizations::venues(app, user, org, &CHOICES)
        .await?
        .items
        .into_iter()
        .map(|venue| Choice {
            chosen: venue.id.to_string() == typed.venue,
            value: venue.id.to_string(),
            label: format!("{} · {}", venue.name, venue.city),
        })
        .collect();
    let sessions = match event {
        Some(event) => sessions::rows(app, visitor, user, org, event.id).await?,
        None => Vec::new(),
    };
    let cancelled = match event {
        Some(event) if event.is_cancelled() => {
            let progress = catalog::cancellation_progress(app, user, event.id).await?;
            Some(CancelledView {
                reason: event
                    .cancel_reason
                    .as_deref()
                    .map(|reason| words::cancel_reason_said(lang, reason)),
                progress: words::refund_progress(lang, progress.refunded, progress.orders),
            })
        }
        _ => None,
    };
    Ok(EventPage {
        sessions,
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "events"),
        heading: event.map_or_else(|| w.new_event.to_owned(), |e| e.title.clone()),
        event: event.map(|e| (e.id, e.status == EventStatus::Published)),
        cancelled,
        action: match event {
            Some(e) => format!("/organizer/{org}/events/{}", e.id),
            None => format!("/organizer/{org}/events"),
        },
        fields,
        categories,
        category_problem: complaints.about("category"),
        venues,
        venue_problem: complaints.about("venue_id"),
        above: complaints.above,
        button: if event.is_some() {
            w.save_changes
        } else {
            w.create_event
        },
        poster: event.map(|e| UploadForm::poster(w, org, e)),
    })
}

/// `GET /organizer/{org}/events/new`: the new event's form (for whoever may edit the catalog).
pub async fn new_event(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, Some(Capability::EditCatalog)).await?;
    let typed = EventTyped {
        title: String::new(),
        description: String::new(),
        category: String::new(),
        venue: String::new(),
        tags: String::new(),
    };
    let page = event_page(&app, &visitor, user, &standing, None, &typed, None, None).await?;
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/events`: creates the event as a draft.
pub async fn create_event(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    body: Bytes,
) -> PageResult {
    let (form, user, standing) =
        posted(&app, &visitor, &body, org, Capability::EditCatalog).await?;
    let typed = EventTyped::from_form(&form);
    let input = |venue_id: VenueId| EventInput {
        organization_id: Some(org),
        title: typed.title.clone(),
        description: typed.description.clone(),
        category: typed.category.clone(),
        tags: typed.tags(),
        venue_id,
        status: EventStatus::Draft,
    };
    let created = match typed.venue.parse::<VenueId>() {
        Ok(venue) => catalog::create_event(&app, user, input(venue), &visitor.audit()).await,
        // No venue picked: every other mistake is said with it.
        Err(_) => {
            let mut errors = input(VenueId::new())
                .parse()
                .err()
                .unwrap_or_else(FieldErrors::new);
            errors.add("venue_id", FieldProblem::Empty);
            Err(AppError::Invalid(errors))
        }
    };
    match created {
        Ok(event) => Ok(see_other(&format!(
            "/organizer/{org}/events/{}?done=event-created",
            event.id
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = event_page(
                &app,
                &visitor,
                user,
                &standing,
                None,
                &typed,
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// Where `user` stands in `org`, as a page of something of `owner` (an event, a venue, a
/// product of that organization): a thing of another organization is not found under `org`.
pub(super) async fn standing_over(
    app: &App,
    user: &User,
    org: OrganizationId,
    owner: OrganizationId,
) -> PageResult<Standing> {
    if owner != org {
        return Err(not_found());
    }
    Ok(organizations::standing(app, user, org, None).await?)
}

/// The organization's events as boxes to tick, those in `chosen` ticked.
fn event_choices(events: &[Event], chosen: &[String]) -> Vec<Choice> {
    events
        .iter()
        .map(|event| Choice {
            value: event.id.to_string(),
            label: event.title.clone(),
            chosen: chosen.contains(&event.id.to_string()),
        })
        .collect()
}

/// A form posted to a page of `org`, read with its CSRF proof, from a logged-in caller who may
/// `capability` there.
pub(super) async fn posted<'v>(
    app: &App,
    visitor: &'v Visitor,
    body: &[u8],
    org: OrganizationId,
    capability: Capability,
) -> PageResult<(super::Form, &'v User, Standing)> {
    let form = visitor.form(body)?;
    let user = visitor.user()?;
    let standing = organizations::standing(app, user, org, Some(capability)).await?;
    Ok((form, user, standing))
}

/// A refused form's problem, when it is about what was typed (shown beside the form); any
/// other refusal (403, 404, …) is a page of its own.
pub(super) fn refused_form(error: AppError) -> PageResult<ApiError> {
    let problem = ApiError::from(error);
    if matches!(
        problem.code,
        ProblemCode::ValidationFailed | ProblemCode::LastOwner | ProblemCode::PricesLocked
    ) {
        Ok(problem)
    } else {
        Err(problem.into())
    }
}

/// The event `id` of `org`, for a caller who may `capability` on it, with where they stand in
/// its organization; an event of another organization is not found here.
async fn event_of(
    app: &App,
    user: &User,
    org: OrganizationId,
    id: EventId,
    capability: Capability,
) -> PageResult<(Standing, Event)> {
    let event = access::managed_event(app, id, user, capability).await?;
    let standing = standing_over(app, user, org, event.organization_id).await?;
    Ok((standing, event))
}

/// `GET /organizer/{org}/events/{id}`: the event's form, with its publish button.
pub async fn event(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, event) = event_of(&app, user, org, id, Capability::EditCatalog).await?;
    let done: Done = lenient_query(query);
    let notice = done_notice(&visitor, done.done.as_deref());
    let typed = EventTyped::of(&event);
    let page = event_page(
        &app,
        &visitor,
        user,
        &standing,
        Some(&event),
        &typed,
        None,
        notice,
    )
    .await?;
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/events/{id}`: saves the event's changes.
pub async fn update_event(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let (standing, event) = event_of(&app, user, org, id, Capability::EditCatalog).await?;
    let typed = EventTyped::from_form(&form);
    let venue_id = match typed.venue.parse::<VenueId>() {
        Ok(venue) => venue,
        Err(_) => event.venue_id,
    };
    let patch = EventPatch {
        title: Some(typed.title.clone()),
        description: Some(typed.description.clone()),
        category: Some(typed.category.clone()),
        tags: Some(typed.tags()),
        venue_id: Some(venue_id),
        status: None,
    };
    match catalog::update_event(&app, user, id, patch, &visitor.audit()).await {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/events/{id}?done=saved"
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = event_page(
                &app,
                &visitor,
                user,
                &standing,
                Some(&event),
                &typed,
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/events/{id}/publish` and `/unpublish`.
async fn set_status(
    app: &App,
    visitor: &Visitor,
    org: OrganizationId,
    id: EventId,
    body: &[u8],
    status: EventStatus,
) -> PageResult {
    visitor.form(body)?;
    let user = visitor.user()?;
    event_of(app, user, org, id, Capability::EditCatalog).await?;
    let patch = EventPatch {
        status: Some(status),
        ..EventPatch::default()
    };
    catalog::update_event(app, user, id, patch, &visitor.audit()).await?;
    let done = match status {
        EventStatus::Published => "published",
        EventStatus::Draft | EventStatus::Cancelled => "unpublished",
    };
    Ok(see_other(&format!(
        "/organizer/{org}/events/{id}?done={done}"
    )))
}

pub async fn publish(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    set_status(&app, &visitor, org, id, &body, EventStatus::Published).await
}

pub async fn unpublish(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    set_status(&app, &visitor, org, id, &body, EventStatus::Draft).await
}

/// `POST /organizer/{org}/events/{id}/poster`: the event's new poster, from a multipart form
/// (the file in `poster`); a refused picture is said beside the field.
pub async fn upload_poster(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let (_, file) = visitor.upload(multipart, "poster").await?;
    let user = visitor.user()?;
    let (standing, event) = event_of(&app, user, org, id, Capability::EditCatalog).await?;
    let set = match file {
        Ok(bytes) => images::set_event_poster(&app, user, id, bytes, &visitor.audit()).await,
        Err(error) => Err(error),
    };
    match set {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/events/{id}?done=poster"
        ))),
        Err(error) => {
            let (problem, said) = refused_upload(visitor.lang, error)?;
            let typed = EventTyped::of(&event);
            let mut page = event_page(
                &app,
                &visitor,
                user,
                &standing,
                Some(&event),
                &typed,
                None,
                None,
            )
            .await?;
            if let Some(form) = &mut page.poster {
                form.problem = Some(said);
            }
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/events/{id}/poster/remove`.
pub async fn remove_poster(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let user = visitor.user()?;
    event_of(&app, user, org, id, Capability::EditCatalog).await?;
    images::remove_event_poster(&app, user, id, &visitor.audit()).await?;
    Ok(see_other(&format!(
        "/organizer/{org}/events/{id}?done=poster-removed"
    )))
}

// ---------------------------------------------------------------------------------------------
// Cancelling an event

#[derive(Template)]
#[template(path = "organizer_event_cancel.html")]
struct CancelPage {
    c: Chrome,
    nav: OrgNav,
    id: EventId,
    title: String,
    reason: Input,
    above: Vec<String>,
}

fn cancel_page(
    visitor: &Visitor,
    standing: &Standing,
    event: &Event,
    typed: &str,
    problem: Option<&ApiError>,
) -> CancelPage {
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(visitor.lang, problem, &["reason"])
    });
    let mut fields =
        vec![Input::new("reason", visitor.w.cancel_reason, "textarea", 500).optional()];
    fields[0].value = typed.to_owned();
    complaints.place(&mut fields);
    CancelPage {
        c: visitor.chrome(None),
        nav: OrgNav::of(standing, "events"),
        id: event.id,
        title: event.title.clone(),
        reason: fields.remove(0),
        above: complaints.above,
    }
}

/// `GET /organizer/{org}/events/{id}/cancel`: what cancelling does, and the form that does it
/// (a reason, optionally). A cancelled event goes back to its page.
pub async fn cancel_form(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, event) = event_of(&app, user, org, id, Capability::EditCatalog).await?;
    if event.is_cancelled() {
        return Ok(see_other(&format!("/organizer/{org}/events/{id}")));
    }
    Ok(visitor.page(&cancel_page(&visitor, &standing, &event, "", None)))
}

/// `POST /organizer/{org}/events/{id}/cancel`: cancels the event; its refunds go on in the
/// background, and its page shows how far they are.
pub async fn cancel_event(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, EventId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let (standing, event) = event_of(&app, user, org, id, Capability::EditCatalog).await?;
    let typed: String = form
        .get("reason")
        .unwrap_or_default()
        .chars()
        .take(2_000)
        .collect();
    let input = CancelEventInput {
        reason: Some(typed.clone()),
    };
    match catalog::cancel_event(&app, user, id, input, &visitor.audit()).await {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/events/{id}?done=cancelled"
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = cancel_page(&visitor, &standing, &event, &typed, Some(&problem));
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The team

struct MemberRow {
    user_id: UserId,
    name: String,
    email: String,
    role: &'static str,
    roles: Vec<Choice>,
    events: String,
    event_ids: Vec<EventId>,
}

#[derive(Template)]
#[template(path = "organizer_team.html")]
struct TeamPage {
    c: Chrome,
    nav: OrgNav,
    members: Vec<MemberRow>,
    more: Option<String>,
    email: Input,
    roles: Vec<Choice>,
    role_problem: Option<String>,
    events: Vec<Choice>,
    events_problem: Option<String>,
    above: Vec<String>,
}

/// Every role as a choice, `chosen` picked.
fn role_choices(lang: Language, chosen: Option<MemberRole>) -> Vec<Choice> {
    MemberRole::ALL
        .into_iter()
        .map(|role| Choice {
            value: role.as_str().to_owned(),
            label: member_role(lang, role).to_owned(),
            chosen: chosen == Some(role),
        })
        .collect()
}

/// What the add form had typed in it.
#[derive(Default)]
struct MemberTyped {
    email: String,
    role: String,
    events: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn team_page(
    app: &App,
    visitor: &Visitor,
    user: &User,
    standing: &Standing,
    cursor: Option<&str>,
    typed: &MemberTyped,
    problem: Option<&ApiError>,
    notice: Option<String>,
) -> PageResult<TeamPage> {
    let w = visitor.w;
    let lang = visitor.lang;
    let org = standing.organization.id;
    let members = organizations::members(app, user, org, &list_page(cursor)).await?;
    let events = organizations::events(app, user, org, EventQuery::default(), &CHOICES).await?;
    let title_of = |id: &EventId| {
        events
            .items
            .iter()
            .find(|e| e.id == *id)
            .map_or_else(|| id.to_string(), |e| e.title.clone())
    };
    let rows = members
        .items
        .iter()
        .map(|member| MemberRow {
            user_id: member.user_id,
            name: member.name.clone(),
            email: member.email.clone(),
            role: member_role(lang, member.role),
            roles: role_choices(lang, Some(member.role)),
            events: member.event_ids.as_ref().map_or_else(
                || w.every_event.to_owned(),
                |ids| ids.iter().map(title_of).collect::<Vec<_>>().join(", "),
            ),
            event_ids: member.event_ids.clone().unwrap_or_default(),
        })
        .collect();
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(lang, problem, &["email", "role", "event_ids"])
    });
    let mut email = Input::new("email", w.email, "email", 254);
    email.value.clone_from(&typed.email);
    email.problem = complaints.about("email");
    Ok(TeamPage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "team"),
        members: rows,
        more: members
            .next_cursor
            .map(|cursor| format!("/organizer/{org}/team?cursor={}", encode(&cursor))),
        email,
        // Nobody is made an owner by a default: the least a role may is picked first.
        roles: role_choices(
            lang,
            Some(MemberRole::parse(&typed.role).unwrap_or(MemberRole::Viewer)),
        ),
        role_problem: complaints.about("role"),
        events: event_choices(&events.items, &typed.events),
        events_problem: complaints.about("event_ids"),
        above: complaints.above,
    })
}

/// `GET /organizer/{org}/team`: its members and the form that adds one (owners and admins).
pub async fn team(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, Some(Capability::ManageTeam)).await?;
    let query: Done = lenient_query(query);
    let notice = done_notice(&visitor, query.done.as_deref());
    let page = team_page(
        &app,
        &visitor,
        user,
        &standing,
        query.cursor.as_deref(),
        &MemberTyped::default(),
        None,
        notice,
    )
    .await?;
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/team`: adds the account with that address, or changes a member's
/// role (the row's form sends the member's events along, so that they stay).
pub async fn set_member(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    body: Bytes,
) -> PageResult {
    let (form, user, standing) = posted(&app, &visitor, &body, org, Capability::ManageTeam).await?;
    let typed = MemberTyped {
        email: form
            .get("email")
            .unwrap_or_default()
            .chars()
            .take(254)
            .collect(),
        role: form
            .get("role")
            .unwrap_or_default()
            .chars()
            .take(20)
            .collect(),
        events: form.all("event_ids").map(str::to_owned).collect(),
    };
    let mut event_ids = Vec::with_capacity(typed.events.len());
    let mut unknown = false;
    for raw in &typed.events {
        match raw.parse::<EventId>() {
            Ok(id) => event_ids.push(id),
            Err(_) => unknown = true,
        }
    }
    let input = MemberInput {
        email: typed.email.clone(),
        role: typed.role.clone(),
        event_ids: (!typed.events.is_empty()).then_some(event_ids),
    };
    let set = if unknown {
        Err(AppError::Invalid(FieldErrors::single(
            "event_ids",
            FieldProblem::Unknown,
        )))
    } else {
        organizations::set_member(&app, user, org, input, &visitor.audit()).await
    };
    match set {
        Ok(organizations::TeamChange::Invited(_)) => {
            Ok(see_other(&format!("/organizer/{org}/team?done=invited")))
        }
        Ok(organizations::TeamChange::Member(_)) => {
            Ok(see_other(&format!("/organizer/{org}/team?done=team")))
        }
        Err(error) => {
            // The team was checked first: a missing one now is the account of that address.
            let problem = match error {
                AppError::NotFound("user") => {
                    ApiError::invalid_field("email", FieldProblem::Unknown)
                }
                other => refused_form(other)?,
            };
            // A row's role change refused (the last owner) leaves the add form empty.
            let shown = if form.get("change").is_some() {
                MemberTyped::default()
            } else {
                typed
            };
            let page = team_page(
                &app,
                &visitor,
                user,
                &standing,
                None,
                &shown,
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/team/{user}/remove`: takes the member out; the last owner stays.
pub async fn remove_member(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, member): PageIds<OrganizationId, UserId>,
    body: Bytes,
) -> PageResult {
    let (_, user, standing) = posted(&app, &visitor, &body, org, Capability::ManageTeam).await?;
    match organizations::remove_member(&app, user, org, member, &visitor.audit()).await {
        Ok(()) => Ok(see_other(&format!("/organizer/{org}/team?done=removed"))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = team_page(
                &app,
                &visitor,
                user,
                &standing,
                None,
                &MemberTyped::default(),
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Products

struct ProductRow {
    id: ProductId,
    name: String,
    price: String,
    /// What is left, read afresh with the page.
    stock: i64,
    /// What paid orders bought.
    sold: i64,
    events: String,
    thumb: Option<String>,
}

#[derive(Template)]
#[template(path = "organizer_products.html")]
struct ProductsPage {
    c: Chrome,
    nav: OrgNav,
    rows: Vec<ProductRow>,
    more: Option<String>,
    may_create: bool,
    fields: Vec<Input>,
    events: Vec<Choice>,
    events_problem: Option<String>,
    above: Vec<String>,
}

fn product_fields(visitor: &Visitor) -> Vec<Input> {
    let w = visitor.w;
    vec![
        Input::new("name", w.product_name, "text", 200),
        Input::new("price", w.product_price, "text", 40).hint(w.product_price_hint),
        Input::new("stock", w.stock, "number", 12),
    ]
}

#[allow(clippy::too_many_arguments)]
async fn products_page(
    app: &App,
    visitor: &Visitor,
    user: &User,
    standing: &Standing,
    cursor: Option<&str>,
    mut fields: Vec<Input>,
    chosen: &[String],
    problem: Option<&ApiError>,
    notice: Option<String>,
) -> PageResult<ProductsPage> {
    let lang = visitor.lang;
    let org = standing.organization.id;
    let products = organizations::products(app, user, org, &list_page(cursor)).await?;
    let events = organizations::events(app, user, org, EventQuery::default(), &CHOICES).await?;
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(lang, problem, &["name", "price", "stock", "event_ids"])
    });
    complaints.place(&mut fields);
    let sold = catalog::products_sold(app, &products.items).await?;
    let rows = products
        .items
        .into_iter()
        .map(|product| ProductRow {
            id: product.id,
            price: lang.money(product.price_cents),
            stock: product.stock,
            sold: sold.get(&product.id).copied().unwrap_or(0),
            thumb: product.image.as_ref().map(|hash| hash.url(Variant::Thumb)),
            events: product
                .event_ids
                .iter()
                .filter_map(|id| events.items.iter().find(|e| e.id == *id))
                .map(|e| e.title.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            name: product.name,
        })
        .collect();
    Ok(ProductsPage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "products"),
        rows,
        more: products
            .next_cursor
            .map(|cursor| format!("/organizer/{org}/products?cursor={}", encode(&cursor))),
        may_create: standing.may(Capability::EditCatalog, None),
        fields,
        events: event_choices(&events.items, chosen),
        events_problem: complaints.about("event_ids"),
        above: complaints.above,
    })
}

/// `GET /organizer/{org}/products`: its products with their stock, and the form that makes
/// one (for whoever may edit the catalog).
pub async fn products(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let standing = organizations::standing(&app, user, org, None).await?;
    let query: Done = lenient_query(query);
    let notice = done_notice(&visitor, query.done.as_deref());
    let page = products_page(
        &app,
        &visitor,
        user,
        &standing,
        query.cursor.as_deref(),
        product_fields(&visitor),
        &[],
        None,
        notice,
    )
    .await?;
    Ok(visitor.page(&page))
}

/// What a product's form had typed: its fields, the events ticked, and what of them was read
/// (the price in reais, a decimal comma or point); what could not be is in `errors`.
struct ProductForm {
    fields: Vec<Input>,
    chosen: Vec<String>,
    price: Option<i64>,
    stock: Option<i64>,
    event_ids: Vec<EventId>,
    errors: FieldErrors,
}

impl ProductForm {
    fn read(visitor: &Visitor, form: &super::Form) -> Self {
        let fields: Vec<Input> = product_fields(visitor)
            .into_iter()
            .map(|f| f.typed(form))
            .collect();
        let chosen: Vec<String> = form.all("event_ids").map(str::to_owned).collect();
        let mut errors = FieldErrors::new();
        let price = parse_reais(&fields[1].value);
        if price.is_none() {
            errors.add("price_cents", FieldProblem::NotAnAmount);
        }
        let stock = fields[2].value.trim().parse::<i64>().ok();
        if stock.is_none() {
            errors.add("stock", FieldProblem::NotAWholeNumber);
        }
        let mut event_ids = Vec::with_capacity(chosen.len());
        for (i, raw) in chosen.iter().enumerate() {
            match raw.parse::<EventId>() {
                Ok(id) => event_ids.push(id),
                Err(_) => errors.add(format!("event_ids[{i}]"), FieldProblem::Unknown),
            }
        }
        ProductForm {
            fields,
            chosen,
            price,
            stock,
            event_ids,
            errors,
        }
    }

    /// The product the form asks for in `org` (what could not be read as nothing).
    fn input(&self, org: OrganizationId) -> ProductInput {
        ProductInput {
            organization_id: Some(org),
            name: self.fields[0].value.clone(),
            description: String::new(),
            price_cents: self.price.unwrap_or(0),
            currency: None,
            stock: self.stock.unwrap_or(0),
            tags: Vec::new(),
            event_ids: self.event_ids.clone(),
        }
    }

    /// What the form could not read, and every other mistake of `input` said with it.
    fn every_error(&self, input: ProductInput) -> FieldErrors {
        let mut errors = self.errors.clone();
        if let Err(more) = input.parse() {
            for error in more.0 {
                if !errors.0.iter().any(|e| e.field == error.field) {
                    errors.add(error.field, error.problem);
                }
            }
        }
        errors
    }

    /// The form as it stands for `product`.
    fn of(visitor: &Visitor, product: &Product) -> Self {
        let mut fields = product_fields(visitor);
        fields[0].value.clone_from(&product.name);
        fields[1].value = visitor.lang.money(product.price_cents);
        fields[2].value = product.stock.to_string();
        ProductForm {
            fields,
            chosen: product.event_ids.iter().map(ToString::to_string).collect(),
            price: Some(product.price_cents),
            stock: Some(product.stock),
            event_ids: product.event_ids.clone(),
            errors: FieldErrors::new(),
        }
    }
}

/// `POST /organizer/{org}/products`: makes a product (the price in reais, a decimal comma or
/// point), offered with the events ticked.
pub async fn create_product(
    State(app): State<App>,
    visitor: Visitor,
    PageId(org): PageId<OrganizationId>,
    body: Bytes,
) -> PageResult {
    let (form, user, standing) =
        posted(&app, &visitor, &body, org, Capability::EditCatalog).await?;
    let typed = ProductForm::read(&visitor, &form);
    let input = typed.input(org);
    let created = if typed.errors.0.is_empty() {
        catalog::create_product(&app, user, input, &visitor.audit()).await
    } else {
        Err(AppError::Invalid(typed.every_error(input)))
    };
    match created {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/products?done=product"
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = products_page(
                &app,
                &visitor,
                user,
                &standing,
                None,
                typed.fields,
                &typed.chosen,
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A product: its stock and sales, and its image

#[derive(Template)]
#[template(path = "organizer_product.html")]
struct ProductPage {
    c: Chrome,
    nav: OrgNav,
    name: String,
    price: String,
    stock: i64,
    sold: i64,
    /// The events it is offered with, by name.
    offered: String,
    upload: UploadForm,
    /// Where the product's form posts.
    edit_action: String,
    fields: Vec<Input>,
    events: Vec<Choice>,
    events_problem: Option<String>,
    above: Vec<String>,
}

/// The product `id` of `org`, for a caller who may edit it, with where they stand in its
/// organization; a product of another organization is not found here.
async fn product_of(
    app: &App,
    user: &User,
    org: OrganizationId,
    id: ProductId,
) -> PageResult<(Standing, Product)> {
    let product = access::managed_product(app, id, user).await?;
    let standing = standing_over(app, user, org, product.organization_id).await?;
    Ok((standing, product))
}

async fn product_page(
    app: &App,
    visitor: &Visitor,
    user: &User,
    (standing, product): (&Standing, &Product),
    mut form: ProductForm,
    problem: Option<&ApiError>,
    notice: Option<String>,
) -> PageResult<ProductPage> {
    let org = standing.organization.id;
    let sold = catalog::products_sold(app, std::slice::from_ref(product)).await?;
    let events = organizations::events(app, user, org, EventQuery::default(), &CHOICES).await?;
    let complaints = problem.map_or_else(Complaints::none, |problem| {
        Complaints::of(
            visitor.lang,
            problem,
            &["name", "price", "stock", "event_ids"],
        )
    });
    complaints.place(&mut form.fields);
    Ok(ProductPage {
        c: visitor.chrome(notice),
        nav: OrgNav::of(standing, "products"),
        name: product.name.clone(),
        price: visitor.lang.money(product.price_cents),
        stock: product.stock,
        sold: sold.get(&product.id).copied().unwrap_or(0),
        offered: product
            .event_ids
            .iter()
            .filter_map(|id| events.items.iter().find(|e| e.id == *id))
            .map(|e| e.title.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        upload: UploadForm::product(visitor.w, org, product),
        edit_action: format!("/organizer/{org}/products/{}", product.id),
        fields: form.fields,
        events: event_choices(&events.items, &form.chosen),
        events_problem: complaints.about("event_ids"),
        above: complaints.above,
    })
}

/// `GET /organizer/{org}/products/{id}`: the product's stock and sales as they stand, and its
/// image's form (for whoever may edit the catalog).
pub async fn product(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, ProductId>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let user = visitor.user()?;
    let (standing, product) = product_of(&app, user, org, id).await?;
    let done: Done = lenient_query(query);
    let notice = done_notice(&visitor, done.done.as_deref());
    let form = ProductForm::of(&visitor, &product);
    let page = product_page(
        &app,
        &visitor,
        user,
        (&standing, &product),
        form,
        None,
        notice,
    )
    .await?;
    Ok(visitor.page(&page))
}

/// `POST /organizer/{org}/products/{id}`: saves the product's name, price, stock and events.
pub async fn update_product(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, ProductId>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let user = visitor.user()?;
    let (standing, product) = product_of(&app, user, org, id).await?;
    let typed = ProductForm::read(&visitor, &form);
    let saved = if typed.errors.0.is_empty() {
        let patch = ProductPatch {
            name: Some(typed.fields[0].value.clone()),
            price_cents: typed.price,
            stock: typed.stock,
            event_ids: Some(typed.event_ids.clone()),
            ..ProductPatch::default()
        };
        catalog::update_product(&app, user, id, patch, &visitor.audit()).await
    } else {
        Err(AppError::Invalid(typed.every_error(typed.input(org))))
    };
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/products/{id}?done=saved"
        ))),
        Err(error) => {
            let problem = refused_form(error)?;
            let page = product_page(
                &app,
                &visitor,
                user,
                (&standing, &product),
                typed,
                Some(&problem),
                None,
            )
            .await?;
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/products/{id}/image`: the product's new image (the file in `image`).
pub async fn upload_product_image(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, ProductId>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    let (_, file) = visitor.upload(multipart, "image").await?;
    let user = visitor.user()?;
    let (standing, product) = product_of(&app, user, org, id).await?;
    let set = match file {
        Ok(bytes) => images::set_product_image(&app, user, id, bytes, &visitor.audit()).await,
        Err(error) => Err(error),
    };
    match set {
        Ok(_) => Ok(see_other(&format!(
            "/organizer/{org}/products/{id}?done=image"
        ))),
        Err(error) => {
            let (problem, said) = refused_upload(visitor.lang, error)?;
            let form = ProductForm::of(&visitor, &product);
            let mut page = product_page(
                &app,
                &visitor,
                user,
                (&standing, &product),
                form,
                None,
                None,
            )
            .await?;
            page.upload.problem = Some(said);
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `POST /organizer/{org}/products/{id}/image/remove`.
pub async fn remove_product_image(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, ProductId>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let user = visitor.user()?;
    product_of(&app, user, org, id).await?;
    images::remove_product_image(&app, user, id, &visitor.audit()).await?;
    Ok(see_other(&format!(
        "/organizer/{org}/products/{id}?done=image-removed"
    )))
}
