//! A session's borderô in the console (`/organizer/{org}/sessions/{id}/bordero`): the sheet of
//! `app::reports::bordero` as tables (tickets by sector and category, the meia-entrada report,
//! payment methods, products and resale), a link to its PDF and to the exports in both
//! dialects. Owners, managers and finance; the session's page links here for those who may.

use super::{OrgNav, PageResult, Visitor, standing_over};
use crate::api::reports::export_path;
use crate::report_words::{self as words, BorderoWords};
use askama::Template;
use axum::extract::State;
use bilheteria_app::App;
use bilheteria_app::organizations::Standing;
use bilheteria_app::reports::{self, payment_words};
use bilheteria_domain::bordero::{ExportDialect, ExportKind};
use bilheteria_domain::half_price::Eligibility;
use bilheteria_domain::ids::{EventId, OrganizationId, SessionId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::organization::Capability;

use crate::pages::PageIds;

/// A table of the sheet: its caption, its columns, rows and totals, all worded.
pub struct Table {
    pub id: &'static str,
    pub caption: &'static str,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub foot: Option<Vec<String>>,
    pub note: Option<&'static str>,
}

/// A link to one export in one dialect.
pub struct ExportLink {
    pub label: &'static str,
    pub dialect: &'static str,
    pub href: String,
}

/// The links a session's page shows to its reports, for those who may read them.
pub struct ReportLinks {
    pub bordero: Option<String>,
    pub bordero_label: &'static str,
    pub exports: Vec<ExportLink>,
    pub exports_label: &'static str,
    pub exports_note: &'static str,
}

/// The report links of session `id` for the caller's standing (none when they may read none).
pub fn report_links(
    standing: &Standing,
    org: OrganizationId,
    event: EventId,
    id: SessionId,
    lang: Language,
) -> Option<ReportLinks> {
    let w = words::bordero(lang);
    let bordero = standing
        .may(Capability::SeeSales, Some(event))
        .then(|| format!("/organizer/{org}/sessions/{id}/bordero"));
    let exports = if standing.may(Capability::ExportPersonalData, Some(event)) {
        export_links(id, lang, &w)
    } else {
        Vec::new()
    };
    (bordero.is_some() || !exports.is_empty()).then_some(ReportLinks {
        bordero,
        bordero_label: w.title,
        exports,
        exports_label: w.exports,
        exports_note: w.exports_note,
    })
}

fn export_links(id: SessionId, lang: Language, w: &BorderoWords) -> Vec<ExportLink> {
    let mut links = Vec::new();
    for kind in ExportKind::ALL {
        for dialect in [ExportDialect::ExcelBr, ExportDialect::Rfc4180] {
            links.push(ExportLink {
                label: match kind {
                    ExportKind::Orders => w.export_orders,
                    ExportKind::Attendees => w.export_attendees,
                    ExportKind::Checkins => w.export_checkins,
                },
                dialect: match dialect {
                    ExportDialect::ExcelBr => w.excel,
                    ExportDialect::Rfc4180 => w.rfc,
                },
                href: format!("{}&lang={}", export_path(id, kind, dialect), lang.as_str()),
            });
        }
    }
    links
}

#[derive(Template)]
#[template(path = "organizer_bordero.html")]
pub struct BorderoPage {
    c: super::Chrome,
    nav: OrgNav,
    w: BorderoWords,
    heading: String,
    when: String,
    venue: String,
    figures: Vec<(&'static str, String)>,
    tables: Vec<Table>,
    pdf: String,
    exports: Vec<ExportLink>,
    session_link: String,
}

/// `GET /organizer/{org}/sessions/{id}/bordero`.
pub async fn bordero(
    State(app): State<App>,
    visitor: Visitor,
    PageIds(org, id): PageIds<OrganizationId, SessionId>,
) -> PageResult {
    let user = visitor.user()?;
    let view = reports::bordero(&app, user, id).await?;
    let standing = standing_over(&app, user, org, view.event.organization_id).await?;
    let lang = visitor.lang;
    let w = words::bordero(lang);
    let b = &view.bordero;
    let money = |cents: i64| lang.money(cents);
    let zone = &view.venue.time_zone;
    let ticket_head = |first| vec![first, w.sold, w.full, w.half, w.amount];
    let totals = vec![
        w.total.to_owned(),
        b.tickets.sold.to_string(),
        b.tickets.full.to_string(),
        b.tickets.half.to_string(),
        money(b.tickets.face_value_cents),
    ];
    let tables = vec![
        Table {
            id: "by-section",
            caption: w.by_section,
            head: ticket_head(w.sector),
            rows: b
                .by_section
                .iter()
                .map(|s| {
                    vec![
                        match &s.category {
                            Some(category) => format!("{} ({category})", s.name),
                            None => s.name.clone(),
                        },
                        s.sold.to_string(),
                        s.full.to_string(),
                        s.half.to_string(),
                        money(s.face_value_cents),
                    ]
                })
                .collect(),
            foot: Some(totals.clone()),
            note: None,
        },
        Table {
            id: "by-category",
            caption: w.by_category,
            head: ticket_head(w.category),
            rows: b
                .by_category
                .iter()
                .map(|c| {
                    vec![
                        if c.category_id.is_some() {
                            format!("{} ({})", c.name, money(c.price_cents))
                        } else {
                            w.no_category.to_owned()
                        },
                        c.sold.to_string(),
                        c.full.to_string(),
                        c.half.to_string(),
                        money(c.face_value_cents),
                    ]
                })
                .collect(),
            foot: Some(totals),
            note: None,
        },
        Table {
            id: "half-price",
            caption: w.half_price,
            head: vec![w.ground, w.sold],
            rows: Eligibility::ALL
                .into_iter()
                .map(|ground| {
                    vec![
                        words::eligibility(ground, lang).to_owned(),
                        b.tickets.by_eligibility.get(ground).to_string(),
                    ]
                })
                .chain([
                    vec![
                        format!("{} ({} %)", w.quota, b.half_price.quota_percent),
                        b.half_price.quota.to_string(),
                    ],
                    vec![w.in_quota.to_owned(), b.half_price.in_quota.to_string()],
                    vec![w.remaining.to_owned(), b.half_price.remaining.to_string()],
                ])
                .collect(),
            foot: Some(vec![w.half_sold.to_owned(), b.half_price.sold.to_string()]),
            note: Some(w.seniors_note),
        },
        Table {
            id: "by-payment",
            caption: w.by_payment,
            head: vec![w.method, w.orders, w.gross, w.refunded, w.net],
            rows: b
                .by_payment_method
                .iter()
                .map(|p| {
                    vec![
                        payment_words(p.method, p.installments, lang),
                        p.orders.to_string(),
                        money(p.gross_cents),
                        money(p.refunded_cents),
                        money(p.net_cents),
                    ]
                })
                .collect(),
            foot: Some(vec![
                w.total.to_owned(),
                b.by_payment_method
                    .iter()
                    .map(|p| p.orders)
                    .sum::<i64>()
                    .to_string(),
                money(b.gross_cents),
                money(b.refunded_cents),
                money(b.net_cents),
            ]),
            note: None,
        },
        Table {
            id: "products-resale",
            caption: w.products_resale,
            head: vec!["", w.quantity, w.amount],
            rows: vec![
                vec![
                    w.products_sold.to_owned(),
                    b.products.sold.to_string(),
                    money(b.products.gross_cents),
                ],
                vec![
                    w.resales.to_owned(),
                    b.resales.to_string(),
                    money(b.resale_fees_cents),
                ],
                vec![
                    w.order_refunds.to_owned(),
                    String::new(),
                    money(b.refunds.orders_cents),
                ],
                vec![
                    w.payouts.to_owned(),
                    String::new(),
                    money(b.refunds.resale_payouts_cents),
                ],
            ],
            foot: None,
            note: None,
        },
    ];
    let exports = if standing.may(Capability::ExportPersonalData, Some(view.event.id)) {
        export_links(id, lang, &w)
    } else {
        Vec::new()
    };
    let page = BorderoPage {
        c: visitor.chrome(None),
        nav: OrgNav::of(&standing, "events"),
        heading: format!("{} · {}", w.title, view.event.title),
        when: lang.session_time(view.session.starts_at, zone),
        venue: format!("{} — {}", view.venue.name, view.venue.city),
        figures: vec![
            (w.gross, money(b.gross_cents)),
            (w.refunded, money(b.refunded_cents)),
            (w.net, money(b.net_cents)),
            (w.tickets, b.tickets.sold.to_string()),
        ],
        tables,
        pdf: format!("/api/v1/sessions/{id}/bordero.pdf?lang={}", lang.as_str()),
        exports,
        session_link: if standing.may(Capability::EditCatalog, Some(view.event.id)) {
            format!("/organizer/{org}/sessions/{id}")
        } else {
            format!("/organizer/{org}/events/{}", view.event.id)
        },
        w,
    };
    Ok(visitor.page(&page))
}
