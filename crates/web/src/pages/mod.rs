//! The web box office: server-rendered pages (askama templates in `crates/web/templates/`,
//! compiled into the binary) over the application layer, in Brazilian Portuguese and English.
//! Pages work without JavaScript; `static/app.js` adds the live parts (seat picking on the map,
//! countdowns, the queue, the Pix status). Every write is a form with the visitor's CSRF proof.

mod account;
mod assets;
mod browse;
mod buying;
mod credentials;
pub mod door_words;
mod organizer;
mod queue;
mod resale;
mod seatmap;
mod tickets;
mod venues;
mod visitor;
mod wallet;
pub mod words;

use crate::api::error::{ApiError, ProblemCode};
use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bilheteria_app::{App, AppError};
use bilheteria_domain::locale::Language;
pub use visitor::Visitor;
use words::Words;

/// Every page, with the layers pages need: the device cookie, and friendly error pages.
pub fn routes(state: App) -> Router<App> {
    Router::new()
        .route("/", get(browse::home))
        .route("/events/{id}", get(browse::event))
        .route("/sessions/{id}", get(browse::session))
        .route(
            "/sessions/{id}/hold",
            get(browse::hold_page).post(browse::hold),
        )
        .route("/sessions/{id}/queue", get(queue::room).post(queue::join))
        .route("/sessions/{id}/resale", get(resale::listings))
        .route("/listings/{id}", get(resale::listing).post(resale::buy))
        .route("/checkout/{hold}", get(buying::checkout).post(buying::pay))
        .route("/checkout/{hold}/release", post(buying::release))
        .route("/orders", get(buying::orders))
        .route("/orders/{id}", get(buying::order))
        .route("/orders/{id}/pix", post(buying::pay_pix))
        .route("/orders/{id}/wallet", post(wallet::renew))
        .route("/wallet/{order}/{tag}", get(wallet::open))
        .route(
            "/wallet/{order}/{tag}/{ticket}/qr",
            get(wallet::rotating_qr),
        )
        .route("/tickets", get(tickets::list))
        .route("/tickets/{id}", get(tickets::ticket))
        .route("/tickets/{id}/qr", get(tickets::qr))
        .route("/tickets/{id}/transfer", post(tickets::offer_transfer))
        .route("/tickets/{id}/resale", post(tickets::list_for_resale))
        .route(
            "/tickets/{id}/resale/withdraw",
            post(tickets::withdraw_listing),
        )
        .route("/transfers", get(tickets::transfers))
        .route("/transfers/{id}/{decision}", post(tickets::decide))
        .route("/login", get(account::login_form).post(account::login))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/logout", post(account::logout))
        .route("/account", get(account::account))
        .route("/account/language", post(account::set_language))
        .route("/account/password", post(account::change_password))
        .route("/account/verify-email", post(credentials::resend))
        .route(
            "/password-reset",
            get(credentials::ask_form).post(credentials::ask),
        )
        .route(
            "/password-reset/{token}",
            get(credentials::reset_form).post(credentials::reset),
        )
        .route(
            "/verify-email/{token}",
            get(credentials::verify_form).post(credentials::verify),
        )
        .route(
            "/setup/{token}",
            get(account::setup_form).post(account::setup),
        )
        .route("/organizer", get(organizer::home).post(organizer::found))
        .route("/organizer/{org}", get(organizer::events))
        .route("/organizer/{org}/events", post(organizer::create_event))
        .route("/organizer/{org}/events/new", get(organizer::new_event))
        .route(
            "/organizer/{org}/events/{id}",
            get(organizer::event).post(organizer::update_event),
        )
        .route(
            "/organizer/{org}/events/{id}/publish",
            post(organizer::publish),
        )
        .route(
            "/organizer/{org}/events/{id}/unpublish",
            post(organizer::unpublish),
        )
        .route(
            "/organizer/{org}/events/{id}/sessions",
            post(organizer::sessions::create_session),
        )
        .route(
            "/organizer/{org}/events/{id}/sessions/new",
            get(organizer::sessions::new_session),
        )
        .route(
            "/organizer/{org}/sessions/{id}",
            get(organizer::sessions::session).post(organizer::sessions::update_session),
        )
        .route(
            "/organizer/{org}/sessions/{id}/bordero",
            get(organizer::bordero::bordero),
        )
        .route(
            "/organizer/{org}/sessions/{id}/pause",
            post(organizer::sessions::pause),
        )
        .route(
            "/organizer/{org}/sessions/{id}/resume",
            post(organizer::sessions::resume),
        )
        .route(
            "/organizer/{org}/sessions/{id}/orders",
            get(organizer::orders::orders),
        )
        .route(
            "/organizer/{org}/orders/{id}",
            get(organizer::orders::order),
        )
        .route(
            "/organizer/{org}/orders/{id}/refund",
            post(organizer::orders::refund),
        )
        .route(
            "/organizer/{org}/orders/{id}/resend",
            post(organizer::orders::resend),
        )
        .route(
            "/organizer/{org}/events/{id}/cancel",
            get(organizer::cancel_form).post(organizer::cancel_event),
        )
        .route(
            "/organizer/{org}/team",
            get(organizer::team).post(organizer::set_member),
        )
        .route(
            "/organizer/{org}/team/{user}/remove",
            post(organizer::remove_member),
        )
        .route(
            "/organizer/{org}/venues",
            get(venues::list).post(venues::create),
        )
        .route("/organizer/{org}/venues/new", get(venues::new_venue))
        .route(
            "/organizer/{org}/venues/generate",
            get(venues::generator).post(venues::generate),
        )
        .route(
            "/organizer/{org}/venues/{id}",
            get(venues::venue).post(venues::update),
        )
        .route(
            "/organizer/{org}/venues/{id}/duplicate",
            post(venues::duplicate),
        )
        .route(
            "/organizer/{org}/products",
            get(organizer::products).post(organizer::create_product),
        )
        .route(
            "/organizer/{org}/products/{id}",
            get(organizer::product).post(organizer::update_product),
        )
        .route(
            "/organizer/{org}/products/{id}/image",
            post(organizer::upload_product_image).layer(upload_limit()),
        )
        .route(
            "/organizer/{org}/products/{id}/image/remove",
            post(organizer::remove_product_image),
        )
        .route(
            "/organizer/{org}/events/{id}/poster",
            post(organizer::upload_poster).layer(upload_limit()),
        )
        .route(
            "/organizer/{org}/events/{id}/poster/remove",
            post(organizer::remove_poster),
        )
        .route("/organizer/{org}/door", get(organizer::door::sessions))
        .route(
            "/organizer/{org}/door/{id}",
            get(organizer::door::door_page_get).post(organizer::door::check),
        )
        .route("/door.webmanifest", get(assets::door_manifest))
        .route("/language/{tag}", get(switch_language))
        .route("/static/{file}", get(assets::serve))
        .route("/sw.js", get(assets::service_worker))
        .layer(middleware::from_fn_with_state(
            state,
            visitor::ensure_device,
        ))
}

/// A form that sends a picture may be as large as the picture's limit and a little more for
/// its other fields; what passes the picture's limit is said beside its field
/// (`Visitor::upload`).
fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(bilheteria_domain::images::MAX_IMAGE_BYTES + 64 * 1024)
}

/// A page for a request that matched no route, when a browser asked for HTML, in the visitor's
/// own frame; `None` for API clients, who are answered a problem document.
pub async fn not_found_page(app: &App, req: Request) -> Option<Response> {
    let path = req.uri().path();
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html || path.starts_with("/api/") {
        return None;
    }
    let (parts, _) = req.into_parts();
    let chrome = visitor::chrome_for(app, parts.method, parts.uri, parts.headers).await;
    Some(problem_page(
        chrome,
        StatusCode::NOT_FOUND,
        ProblemCode::NotFound,
        "",
        &[],
    ))
}

/// What every page shows around its content: the navigation, the language switch, a notice.
pub struct Chrome {
    pub w: &'static Words,
    pub lang: &'static str,
    pub user_name: Option<String>,
    /// Whether the header links to the organizer's console: the visitor belongs to an
    /// organization, or may found one.
    pub console: bool,
    pub csrf: String,
    /// This page's path and query, for the language switch and the way back after login.
    pub here: String,
    pub other_lang: &'static str,
    pub other_lang_label: &'static str,
    pub notice: Option<String>,
}

/// A failed page: shown as a friendly page in the visitor's language, or a redirect (to the
/// login page, say).
pub enum PageError {
    Redirect(String),
    Problem(ApiError),
}

pub type PageResult<T = Response> = Result<T, PageError>;

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError::Problem(error.into())
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Problem(error)
    }
}

impl From<bilheteria_domain::FieldErrors> for PageError {
    fn from(errors: bilheteria_domain::FieldErrors) -> Self {
        PageError::Problem(errors.into())
    }
}

impl From<bilheteria_store::StoreError> for PageError {
    fn from(error: bilheteria_store::StoreError) -> Self {
        PageError::Problem(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => see_other(&to),
            // Rendered in the visitor's language by `visitor::ensure_device`, which knows it.
            PageError::Problem(problem) => {
                let mut response = problem.status.into_response();
                response.extensions_mut().insert(ProblemToShow(problem));
                response
            }
        }
    }
}

/// A problem a page ran into, carried to the layer that writes its page.
#[derive(Clone)]
struct ProblemToShow(ApiError);

/// After a form: "303 See Other" to the page that shows its outcome.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Gives a page that shows `problem` the problem's status and, when it has one (rate limited,
/// overloaded), its `Retry-After`: the browser (and the buyer) may come back after that. Set
/// last, so that the page says it once.
pub fn answer_problem(response: &mut Response, problem: &ApiError) {
    *response.status_mut() = problem.status;
    if let Some(secs) = problem.retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// Renders a page; a template that fails (it cannot, short of a bug) is a 500 page.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            error_page(
                Language::default(),
                StatusCode::INTERNAL_SERVER_ERROR,
                ProblemCode::Internal,
                "",
                &[],
            )
        }
    }
}

/// A page about something that moved on (a ticket given away, a hold that became an order):
/// what became of it, and the way to where it is now.
#[derive(Template)]
#[template(path = "moved.html")]
pub struct MovedPage {
    pub c: Chrome,
    pub heading: &'static str,
    pub text: String,
    pub link: String,
    pub link_label: &'static str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    status: u16,
    title: &'a str,
    text: String,
    fields: &'a [String],
}

/// The friendly page of a problem: a title and an explanation of what to do, in `lang`.
pub fn error_page(
    lang: Language,
    status: StatusCode,
    code: ProblemCode,
    detail: &str,
    fields: &[String],
) -> Response {
    problem_page(Chrome::anonymous(lang, "/"), status, code, detail, fields)
}

/// The friendly page of a problem inside `c`, the frame of whoever ran into it.
fn problem_page(
    c: Chrome,
    status: StatusCode,
    code: ProblemCode,
    detail: &str,
    fields: &[String],
) -> Response {
    let lang = Language::parse(c.lang).unwrap_or_default();
    let (title, text) = words::problem(lang, code, detail);
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        title,
        text,
        fields,
    };
    let mut response = match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => "error".into_response(),
    };
    *response.status_mut() = status;
    response
}

impl Chrome {
    /// The frame of a page shown without knowing the visitor (an error page).
    fn anonymous(lang: Language, here: &str) -> Self {
        let w = words::of(lang);
        let other = words::other(lang);
        Chrome {
            w,
            lang: lang.as_str(),
            user_name: None,
            console: false,
            csrf: String::new(),
            here: here.to_owned(),
            other_lang: other.as_str(),
            other_lang_label: words::of(other).language_name,
            notice: None,
        }
    }
}

/// A problem as the lines shown beside the form it came from, in `lang`: what happened and
/// what to do, then each field's complaint.
pub fn problem_lines(lang: Language, problem: &ApiError) -> Vec<String> {
    let (title, text) = words::problem(lang, problem.code, &problem.detail);
    std::iter::once(format!("{title}. {text}"))
        .chain(
            problem
                .errors
                .iter()
                .map(|error| words::field_error(lang, error)),
        )
        .collect()
}

/// A form's page shown again with `problem` beside the form: answered with the problem's status
/// (and its `Retry-After`), so that the browser's history and any client see what it was.
pub fn shown_again(visitor: &Visitor, page: &impl Template, problem: &ApiError) -> Response {
    let mut response = visitor.page(page);
    *response.status_mut() = problem.status;
    if let Some(secs) = problem.retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    }
    response
}

/// How long the language chosen with the switch is remembered.
pub const ONE_YEAR: i64 = 365 * 24 * 3600;

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// `GET /language/{tag}?back=/path`: remembers the visitor's language and goes back.
async fn switch_language(
    visitor: Visitor,
    axum::extract::Path(tag): axum::extract::Path<String>,
    axum::extract::Query(back): axum::extract::Query<Back>,
) -> Response {
    let Some(lang) = Language::parse(&tag) else {
        return not_found().into_response();
    };
    let mut response = see_other(&local_path(back.back.as_deref()));
    visitor.set_cookie(
        &mut response,
        crate::cookies::LANGUAGE,
        lang.as_str(),
        ONE_YEAR,
    );
    response
}

/// The one check of every redirect target taken from input (the language switch's `back`, a
/// login's or sign-up's `next`): a path of this site, or else the home page. It is read as a
/// browser reads a link (WHATWG URL), since that is what the browser will follow: leading and
/// trailing spaces and controls trimmed, tabs and newlines removed anywhere, and a `\` before
/// the query taken for `/`; what is left must start with one `/` (`//host` is another site) and
/// hold no control character (which no `Location` header may carry). The normalised path is
/// what is answered, so the browser follows exactly what was checked.
pub fn local_path(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return "/".to_owned();
    };
    let mut in_path = true;
    let path: String = raw
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| {
            in_path &= !matches!(c, '?' | '#');
            if in_path && c == '\\' { '/' } else { c }
        })
        .collect();
    let same_site =
        path.starts_with('/') && !path.starts_with("//") && !path.chars().any(char::is_control);
    if same_site { path } else { "/".to_owned() }
}

/// `value` for a query string.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A form as sent (a field may repeat: `seat_ids`), once its CSRF proof was checked
/// (`Visitor::form`).
pub struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of field `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// An amount of reais as people type it ("1.234,56", "45,50", "45.50", "45", "R$ 45"; a minus
/// sign kept, for the field's own rule to refuse) in centavos; `None` when it is no amount.
pub fn parse_reais(raw: &str) -> Option<i64> {
    let raw = raw.trim().trim_start_matches("R$").trim();
    let (negative, raw) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, raw),
    };
    let (whole, cents) = match raw.rsplit_once([',', '.']) {
        // "1.234": a dot before three digits and no comma groups thousands.
        Some((_, last)) if last.len() == 3 && !raw.contains(',') => (raw.replace('.', ""), ""),
        Some((whole, cents)) if cents.len() <= 2 => (whole.replace(['.', ','], ""), cents),
        Some(_) => return None,
        None => (raw.to_owned(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && cents.is_empty()) || !digits(&whole) || !digits(cents) {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    let amount = whole.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -amount } else { amount })
}

/// An id from the path; a malformed one names nothing, so it is the friendly 404 page.
pub struct PageId<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> axum::extract::FromRequestParts<S> for PageId<T> {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| not_found())?;
        raw.parse().map(PageId).map_err(|_| not_found())
    }
}

/// Two ids from the path (`/organizer/{org}/events/{id}`); a malformed one is the friendly 404.
pub struct PageIds<A, B>(pub A, pub B);

impl<S: Send + Sync, A: std::str::FromStr, B: std::str::FromStr> axum::extract::FromRequestParts<S>
    for PageIds<A, B>
{
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| not_found())?;
        match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => Ok(PageIds(a, b)),
            _ => Err(not_found()),
        }
    }
}

/// The venue of `event` (every page of an event shows where it is).
pub async fn venue_of(
    app: &App,
    event: &bilheteria_domain::catalog::Event,
) -> PageResult<bilheteria_domain::catalog::Venue> {
    app.store
        .get_venue(event.venue_id)
        .await?
        .ok_or_else(not_found)
}

/// A session the viewer may see, with its event and venue.
pub async fn session_at_venue(
    app: &App,
    id: bilheteria_domain::ids::SessionId,
    viewer: Option<&bilheteria_domain::account::User>,
) -> PageResult<(
    bilheteria_domain::catalog::EventSession,
    bilheteria_domain::catalog::Event,
    bilheteria_domain::catalog::Venue,
)> {
    let (session, event) = bilheteria_app::access::visible_session(app, id, viewer).await?;
    let venue = venue_of(app, &event).await?;
    Ok((session, event, venue))
}

/// The friendly page of something that is not there.
pub fn not_found() -> PageError {
    PageError::Problem(ApiError::not_found("page"))
}

/// The query of a page, read leniently: a parameter a person mangled is as if absent.
pub fn lenient_query<T: serde::de::DeserializeOwned + Default>(raw: Option<String>) -> T {
    raw.and_then(|raw| serde_urlencoded::from_str(&raw).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local_path(Some("/events/1?x=2")), "/events/1?x=2");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
        // What browsers strip or turn into slashes before they follow a link.
        assert_eq!(local_path(Some("/\t/evil.example/phish")), "/");
        assert_eq!(local_path(Some("/\n/evil.example")), "/");
        assert_eq!(local_path(Some(" \u{1}//evil.example")), "/");
        assert_eq!(local_path(Some("\\\\evil.example")), "/");
        assert_eq!(local_path(Some("\\/evil.example")), "/");
        assert_eq!(local_path(Some("/ok\r\n?x=1")), "/ok?x=1");
        assert_eq!(local_path(Some("/a\\b?q=c\\d")), "/a/b?q=c\\d");
        assert_eq!(local_path(Some("/ok\u{7f}")), "/");
        assert_eq!(local_path(Some("/música")), "/música");
    }

    #[test]
    fn reais_are_read_as_people_type_them() {
        for (raw, cents) in [
            ("45,50", Some(4550)),
            ("45.50", Some(4550)),
            ("45", Some(4500)),
            ("R$ 1.234,56", Some(123_456)),
            ("1.234", Some(123_400)),
            ("0,5", Some(50)),
            ("-0,50", Some(-50)),
            ("-12", Some(-1200)),
            ("", None),
            ("abc", None),
            ("1,234", None),
            ("+5", None),
            ("4 5", None),
        ] {
            assert_eq!(parse_reais(raw), cents, "{raw}");
        }
    }

    proptest::proptest! {
        /// Whatever is asked for, the answer is a redirect axum can write (no panic) that a
        /// WHATWG URL parser resolves to this very host.
        #[test]
        fn any_back_is_a_same_site_redirect(raw in "[/\\\\:a-z.\t\n\r \u{0}-\u{1f}%?#\u{80}-\u{ff}]{0,12}") {
            let path = local_path(Some(&raw));
            let response = see_other(&path);
            proptest::prop_assert!(response.status().is_redirection());
            let base = url::Url::parse("https://box.example/here").unwrap();
            let followed = base.join(&path).unwrap();
            proptest::prop_assert_eq!(followed.host_str(), Some("box.example"), "{:?} -> {:?}", raw, path);
            proptest::prop_assert_eq!(followed.scheme(), "https");
        }
    }
}
