//! Who is looking at a page: their device, their login (from the login cookie, under the same
//! one-session rule as a bearer token), their language, and the CSRF proof of their forms.

use super::words::{self, Words};
use super::{Chrome, Form, PageError, ProblemToShow, encode, problem_page};
use crate::api::error::{ApiError, ProblemCode};
use crate::api::extract::ClientIp;
use crate::cookies;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bilheteria_app::{App, AppError, accounts};
use bilheteria_domain::account::{DeviceId, LoginSession, User};
use bilheteria_domain::images::{ImageRefusal, MAX_IMAGE_BYTES};
use bilheteria_domain::locale::Language;

/// How long the device cookie lives (the login cookie lives as long as its session).
const DEVICE_COOKIE_SECS: i64 = 400 * 24 * 3600;

pub struct Visitor {
    pub user: Option<User>,
    pub login: Option<LoginSession>,
    login_token: Option<String>,
    pub device: DeviceId,
    pub lang: Language,
    pub w: &'static Words,
    pub ip: ClientIp,
    /// The login cookie names a session that ended: the page says why and the cookie goes.
    pub ended: Option<&'static str>,
    /// Whether the header links to the organizer's console (`organizations::has_console`).
    console: bool,
    here: String,
    secure: bool,
}

/// The visitor's language: their choice on the switch, else their account's, else their
/// browser's.
pub fn language_of(headers: &HeaderMap, account: Option<Language>) -> Language {
    cookies::get(headers, cookies::LANGUAGE)
        .and_then(Language::parse)
        .or(account)
        .unwrap_or_else(|| {
            Language::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            )
        })
}

/// The frame of a page for whoever sent a request, logged in or not, when no handler made one
/// (a problem's page, a path that is no page): their name in the header, their language.
pub async fn chrome_for(
    app: &App,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Chrome {
    let mut parts = Request::new(()).into_parts().0;
    parts.method = method;
    parts.uri = uri;
    parts.headers = headers;
    match Visitor::from_request_parts(&mut parts, app).await {
        Ok(visitor) => {
            let mut chrome = visitor.chrome(None);
            if parts.method != axum::http::Method::GET {
                // A form's address is no page to come back to.
                chrome.here = "%2F".to_owned();
            }
            chrome
        }
        Err(_) => Chrome::anonymous(language_of(&parts.headers, None), "/"),
    }
}

/// Gives a browser without a device id one (a login is bound to it), and writes the page of a
/// problem a page ran into in the visitor's language.
pub async fn ensure_device(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let secure = app.settings.secure_cookies;
    let new_device = match cookies::get(req.headers(), cookies::DEVICE).map(DeviceId::parse) {
        Some(Ok(_)) => None,
        _ => bilheteria_app::auth::new_token()
            .ok()
            .map(|token| format!("web-{token}")),
    };
    if let Some(device) = &new_device {
        // The handlers read it as if the browser had sent it.
        if let Ok(value) = HeaderValue::from_str(&format!("{}={device}", cookies::DEVICE)) {
            req.headers_mut().append(header::COOKIE, value);
        }
    }
    // Kept to frame a problem's page for this visitor, with their own header.
    let (method, uri, headers) = (
        req.method().clone(),
        req.uri().clone(),
        req.headers().clone(),
    );
    let mut response = next.run(req).await;
    if let Some(ProblemToShow(problem)) = response.extensions_mut().remove::<ProblemToShow>() {
        let chrome = chrome_for(&app, method, uri, headers).await;
        let lang = Language::parse(chrome.lang).unwrap_or_default();
        let fields: Vec<String> = problem
            .errors
            .iter()
            .map(|error| words::field_error(lang, error))
            .collect();
        let mut page = problem_page(
            chrome,
            problem.status,
            problem.code,
            &problem.detail,
            &fields,
        );
        for (name, value) in response.headers() {
            if name == header::SET_COOKIE || name == header::RETRY_AFTER {
                page.headers_mut().append(name, value.clone());
            }
        }
        super::answer_problem(&mut page, &problem);
        response = page;
    }
    // Pages carry the visitor's CSRF proof and often their name: never kept by a cache.
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(device) = new_device {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(cookies::DEVICE, &device, DEVICE_COOKIE_SECS, secure),
        );
    }
    response
}

impl FromRequestParts<App> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, app)
            .await
            .unwrap_or(ClientIp(None));
        let device = cookies::get(&parts.headers, cookies::DEVICE)
            .and_then(|raw| DeviceId::parse(raw).ok())
            .ok_or_else(|| PageError::Redirect(parts.uri.to_string()))?;
        let mut ended = None;
        let mut found = None;
        let token = cookies::get(&parts.headers, cookies::LOGIN)
            .filter(|t| t.len() <= 128)
            .map(str::to_owned);
        if let Some(token) = &token {
            match accounts::authenticate(app, token).await {
                Ok(found_login) => found = Some(found_login),
                Err(AppError::SessionReplaced) => ended = Some("replaced"),
                Err(AppError::NotAuthenticated(_)) => ended = Some("ended"),
                Err(other) => return Err(other.into()),
            }
        }
        let (user, login) = found.unzip();
        let console = match &user {
            Some(user) => bilheteria_app::organizations::has_console(app, user).await?,
            None => false,
        };
        let lang = language_of(&parts.headers, user.as_ref().map(|u| u.language));
        Ok(Visitor {
            login_token: token.filter(|_| login.is_some()),
            user,
            login,
            device,
            lang,
            w: words::of(lang),
            ip,
            ended,
            console,
            here: parts
                .uri
                .path_and_query()
                .map_or("/".to_owned(), |p| p.as_str().to_owned()),
            secure: app.settings.secure_cookies,
        })
    }
}

impl Visitor {
    /// Who made a change, for the audit log.
    pub fn audit(&self) -> bilheteria_domain::audit::AuditContext {
        bilheteria_domain::audit::AuditContext {
            actor_id: self.user.as_ref().map(|u| u.id),
            ip: self.ip.to_option_string(),
        }
    }

    /// The CSRF proof the visitor's forms carry.
    pub fn csrf(&self) -> String {
        cookies::csrf_proof(self.csrf_secret())
    }

    fn csrf_secret(&self) -> &str {
        self.login_token
            .as_deref()
            .unwrap_or_else(|| self.device.as_str())
    }

    /// The form of a `POST`, refused without the visitor's CSRF proof: another site's form
    /// cannot make one.
    pub fn form(&self, body: &[u8]) -> Result<Form, PageError> {
        let form = Form::parse(body);
        if cookies::csrf_matches(self.csrf_secret(), form.get("csrf").unwrap_or_default()) {
            Ok(form)
        } else {
            Err(PageError::Problem(
                crate::api::error::ApiError::csrf_failed(),
            ))
        }
    }

    /// A form sent as `multipart/form-data` with one file in field `file_field` (a poster, a
    /// product's image), refused without the visitor's CSRF proof like any form. The file is
    /// read up to the picture's limit: a larger one is answered `Err(image_too_large)`, for the
    /// form to say beside its field, as is a body cut at the route's limit once the file had
    /// passed it.
    pub async fn upload(
        &self,
        multipart: Result<Multipart, MultipartRejection>,
        file_field: &str,
    ) -> Result<(Form, Result<Vec<u8>, AppError>), PageError> {
        let unreadable = || {
            PageError::Problem(ApiError::new(
                StatusCode::BAD_REQUEST,
                ProblemCode::MalformedBody,
                "the form could not be read",
            ))
        };
        let mut multipart = multipart.map_err(|_| unreadable())?;
        let mut fields = Vec::new();
        let mut file = Vec::new();
        let mut too_large = false;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) if too_large => break,
                Err(_) => return Err(unreadable()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == file_field {
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if file.len() + chunk.len() > MAX_IMAGE_BYTES {
                                too_large = true;
                                file = Vec::new();
                            } else if !too_large {
                                file.extend_from_slice(&chunk);
                            }
                        }
                        Ok(None) => break,
                        Err(_) if too_large => break,
                        Err(_) => return Err(unreadable()),
                    }
                }
                if too_large {
                    break;
                }
            } else {
                let value = field.text().await.map_err(|_| unreadable())?;
                fields.push((name, value));
            }
        }
        let form = Form(fields);
        if !cookies::csrf_matches(self.csrf_secret(), form.get("csrf").unwrap_or_default()) {
            return Err(PageError::Problem(ApiError::csrf_failed()));
        }
        let file = if too_large {
            Err(AppError::Image(ImageRefusal::TooLarge {
                max_bytes: MAX_IMAGE_BYTES,
            }))
        } else {
            Ok(file)
        };
        Ok((form, file))
    }

    /// The logged-in buyer, or the way to the login page and back here.
    pub fn user(&self) -> Result<&User, PageError> {
        self.user.as_ref().ok_or_else(|| self.to_log_in(&self.here))
    }

    /// The way to the login page, and from there to `back` (saying why the last login ended).
    pub fn to_log_in(&self, back: &str) -> PageError {
        let reason = self.ended.map_or(String::new(), |r| format!("&ended={r}"));
        PageError::Redirect(format!("/login?next={}{reason}", encode(back)))
    }

    /// Sets a cookie of this box office on `response`.
    pub fn set_cookie(&self, response: &mut Response, name: &str, value: &str, max_age_secs: i64) {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(name, value, max_age_secs, self.secure),
        );
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The frame of a page for this visitor, with a notice on top when there is one to give.
    pub fn chrome(&self, notice: Option<String>) -> Chrome {
        let other = words::other(self.lang);
        let ended = self.ended.map(|why| {
            match why {
                "replaced" => self.w.session_replaced,
                _ => self.w.session_ended,
            }
            .to_owned()
        });
        Chrome {
            w: self.w,
            lang: self.lang.as_str(),
            user_name: self.user.as_ref().map(|u| u.name.clone()),
            console: self.console,
            csrf: self.csrf(),
            here: encode(&self.here),
            other_lang: other.as_str(),
            other_lang_label: words::of(other).language_name,
            notice: notice.or(ended),
        }
    }

    /// A page for this visitor: the login cookie of an ended session is forgotten with it.
    pub fn page(&self, page: &impl askama::Template) -> Response {
        let mut response = super::render(page);
        if self.ended.is_some() {
            response.headers_mut().append(
                header::SET_COOKIE,
                cookies::clear(cookies::LOGIN, self.secure),
            );
        }
        response
    }
}
