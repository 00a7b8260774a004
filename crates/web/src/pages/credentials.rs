//! Passwords and addresses in the browser, over the same app
//! operations as the API: asking for a reset link, choosing a new password through it, changing
//! the password on the account page, and confirming an address through its mailed link.
//!
//! A confirmation link opens a page with a button rather than confirming on `GET`, so that a
//! mail scanner following the link does not spend it.

use super::{Chrome, MovedPage, PageResult, Visitor, see_other, shown_again};
use crate::api::error::ApiError;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use bilheteria_app::{App, AppError, credentials};

/// One field of a form, with its complaint beside it. A password is never shown again.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub problem: Option<&'static str>,
}

impl Field {
    fn email(visitor: &Visitor, typed: &str) -> Self {
        Field {
            name: "email",
            label: visitor.w.email,
            kind: "email",
            autocomplete: "email",
            value: typed.to_owned(),
            problem: None,
        }
    }

    pub fn new_password(visitor: &Visitor) -> Self {
        Field {
            name: "new_password",
            label: visitor.w.new_password,
            kind: "password",
            autocomplete: "new-password",
            value: String::new(),
            problem: None,
        }
    }

    pub fn current_password(visitor: &Visitor) -> Self {
        Field {
            name: "current_password",
            label: visitor.w.current_password,
            kind: "password",
            autocomplete: "current-password",
            value: String::new(),
            problem: None,
        }
    }
}

/// The fields with the complaints of `problem` beside them, in the visitor's words; `false`
/// when the problem is about none of them (it is then a page of its own).
pub fn complain(visitor: &Visitor, fields: &mut [Field], problem: &ApiError) -> bool {
    let mut placed = false;
    for field in fields.iter_mut() {
        if problem.errors.iter().any(|e| e.field == field.name) {
            field.problem = Some(match field.name {
                "current_password" => visitor.w.wrong_current_password,
                _ => visitor.w.weak_password,
            });
            placed = true;
        }
    }
    placed
}

#[derive(Template)]
#[template(path = "credential.html")]
struct CredentialPage {
    c: Chrome,
    heading: &'static str,
    intro: &'static str,
    action: String,
    fields: Vec<Field>,
    button: &'static str,
}

fn ask_page(visitor: &Visitor, email: &str, notice: Option<String>) -> CredentialPage {
    let w = visitor.w;
    CredentialPage {
        c: visitor.chrome(notice),
        heading: w.reset_ask_title,
        intro: w.reset_ask_intro,
        action: "/password-reset".to_owned(),
        fields: vec![Field::email(visitor, email)],
        button: w.reset_ask_button,
    }
}

/// `GET /password-reset`: the form that asks for a reset link.
pub async fn ask_form(visitor: Visitor) -> Response {
    visitor.page(&ask_page(&visitor, "", None))
}

/// `POST /password-reset`: answered the same whether or not the address has an account.
pub async fn ask(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    let form = visitor.form(&body)?;
    let email = form.get("email").unwrap_or_default();
    let ip = visitor.ip.to_option_string();
    credentials::request_password_reset(&app, email, ip.as_deref()).await?;
    let notice = Some(visitor.w.reset_ask_sent.to_owned());
    Ok(visitor.page(&ask_page(&visitor, email, notice)))
}

fn reset_page(visitor: &Visitor, token: &str) -> CredentialPage {
    let w = visitor.w;
    CredentialPage {
        c: visitor.chrome(None),
        heading: w.reset_title,
        intro: w.reset_intro,
        action: format!("/password-reset/{}", super::encode(token)),
        fields: vec![Field::new_password(visitor)],
        button: w.reset_title,
    }
}

/// `GET /password-reset/{token}`: the form for the new password.
pub async fn reset_form(visitor: Visitor, Path(token): Path<String>) -> Response {
    visitor.page(&reset_page(&visitor, &token))
}

/// A link that was used, has expired or is unknown: what to do instead, answered `410 Gone`.
fn link_gone(visitor: &Visitor, text: &str, link: &str, link_label: &'static str) -> Response {
    let mut response = visitor.page(&MovedPage {
        c: visitor.chrome(None),
        heading: visitor.w.link_invalid_title,
        text: text.to_owned(),
        link: link.to_owned(),
        link_label,
    });
    *response.status_mut() = axum::http::StatusCode::GONE;
    response
}

/// `POST /password-reset/{token}`: every session of the account ends, and the login page says
/// the password changed.
pub async fn reset(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
    body: Bytes,
) -> PageResult {
    let form = visitor.form(&body)?;
    let new = form.get("new_password").unwrap_or_default();
    match credentials::reset_password(&app, &token, new).await {
        Ok(_) => Ok(see_other("/login?reset=done")),
        Err(AppError::InvalidToken) => Ok(link_gone(
            &visitor,
            visitor.w.reset_link_invalid,
            "/password-reset",
            visitor.w.ask_again,
        )),
        Err(error) => {
            let problem = ApiError::from(error);
            let mut page = reset_page(&visitor, &token);
            if !complain(&visitor, &mut page.fields, &problem) {
                return Err(problem.into());
            }
            Ok(shown_again(&visitor, &page, &problem))
        }
    }
}

/// `GET /verify-email/{token}`: a button that confirms the address.
pub async fn verify_form(visitor: Visitor, Path(token): Path<String>) -> Response {
    let w = visitor.w;
    visitor.page(&CredentialPage {
        c: visitor.chrome(None),
        heading: w.verify_title,
        intro: w.verify_intro,
        action: format!("/verify-email/{}", super::encode(&token)),
        fields: Vec::new(),
        button: w.verify_button,
    })
}

/// `POST /verify-email/{token}`: the address is confirmed.
pub async fn verify(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
    body: Bytes,
) -> PageResult {
    visitor.form(&body)?;
    let w = visitor.w;
    match credentials::verify_email(&app, &token).await {
        Ok(_) => Ok(visitor.page(&MovedPage {
            c: visitor.chrome(None),
            heading: w.verified_title,
            text: w.verified_text.to_owned(),
            link: "/account".to_owned(),
            link_label: w.go_to_account,
        })),
        Err(AppError::InvalidToken) => Ok(link_gone(
            &visitor,
            w.verify_link_invalid,
            "/account",
            w.go_to_account,
        )),
        Err(error) => Err(error.into()),
    }
}

/// `POST /account/verify-email`: mails the logged-in user a new confirmation link.
pub async fn resend(State(app): State<App>, visitor: Visitor, body: Bytes) -> PageResult {
    visitor.form(&body)?;
    let user = visitor.user()?;
    let ip = visitor.ip.to_option_string();
    credentials::send_verification(&app, user, ip.as_deref()).await?;
    Ok(see_other("/account?verification=sent"))
}
