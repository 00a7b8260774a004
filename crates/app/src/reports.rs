//! The back office's reports of a session: the borderô (its settlement sheet, with the
//! meia-entrada report), as figures and as a printable PDF, and the exports of personal data
//! (orders, the door list, check-ins), read in pages so that any size is written as it is read.
//!
//! Who may: the borderô is money (`SeeSales`: owners, managers, finance); exports are personal
//! data (`ExportPersonalData`: the same roles), and every export is audited before its first
//! row is read. Door staff (`checkin`) and `viewer`s get `Forbidden`; outsiders `NotFound`.

use crate::App;
use crate::access::{managed_session, session_event_venue};
use crate::error::{AppError, AppResult};
use crate::printing::Printed;
use bilheteria_domain::account::User;
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::bordero::{Bordero, ExportDialect, ExportKind};
use bilheteria_domain::catalog::{Event, EventSession, Venue};
use bilheteria_domain::half_price::Eligibility;
use bilheteria_domain::ids::{OrderId, SessionId, TicketId};
use bilheteria_domain::locale::Language;
use bilheteria_domain::organization::Capability;
use bilheteria_domain::sales::PaymentMethod;
use bilheteria_print::{ReportSheet, ReportTable, render_report};
use bilheteria_store::{AttendeeExportRow, CheckinExportRow, OrderExportRow};
use uuid::Uuid;

/// Rows read per page of an export: a page's rows are all that is held in memory at once.
pub const EXPORT_PAGE: i64 = 1_000;

/// The borderô with what the page and the PDF say around it.
#[derive(Clone, Debug)]
pub struct BorderoView {
    pub bordero: Bordero,
    pub session: EventSession,
    pub event: Event,
    pub venue: Venue,
}

/// `GET /sessions/{id}/bordero`: the session's settlement sheet, for whoever may see its sales.
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn bordero(app: &App, user: &User, id: SessionId) -> AppResult<BorderoView> {
    let (session, event) = managed_session(app, id, user, Capability::SeeSales).await?;
    let (session, event, venue) = session_event_venue(app, session.id, event.id).await?;
    let figures = app.store.bordero_figures(id).await?;
    Ok(BorderoView {
        bordero: Bordero::assemble(&session, figures),
        session,
        event,
        venue,
    })
}

/// `GET /sessions/{id}/bordero.pdf`: the borderô as an A4 PDF in `lang`.
#[tracing::instrument(skip_all, fields(session = %id))]
pub async fn bordero_pdf(
    app: &App,
    user: &User,
    id: SessionId,
    lang: Language,
) -> AppResult<Printed> {
    let view = bordero(app, user, id).await?;
    let sheet = bordero_sheet(&view, lang, app.clock.now());
    let pdf = tokio::task::spawn_blocking(move || render_report(&sheet))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok(Printed {
        file_name: format!("bordero-{id}.pdf"),
        pdf,
    })
}

/// What a page of an export holds.
#[derive(Clone, Debug)]
pub enum ExportRows {
    Orders(Vec<OrderExportRow>),
    Attendees(Vec<AttendeeExportRow>),
    Checkins(Vec<CheckinExportRow>),
}

impl ExportRows {
    pub fn len(&self) -> usize {
        match self {
            ExportRows::Orders(rows) => rows.len(),
            ExportRows::Attendees(rows) => rows.len(),
            ExportRows::Checkins(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

enum Cursor {
    Start,
    Order(OrderId),
    Ticket(TicketId),
    Checkin(Uuid),
}

/// An export under way: its pages, read one at a time.
pub struct ExportPages {
    app: App,
    session: SessionId,
    pub kind: ExportKind,
    pub dialect: ExportDialect,
    /// The venue's IANA zone, in which the Brazilian dialect writes times.
    pub time_zone: String,
    cursor: Cursor,
    done: bool,
}

/// Starts an export of `kind` of session `id`: checks who may, records it in the audit log,
/// and answers its pages to read.
#[tracing::instrument(skip_all, fields(session = %id, kind = kind.as_str()))]
pub async fn start_export(
    app: &App,
    user: &User,
    id: SessionId,
    kind: ExportKind,
    dialect: ExportDialect,
    audit: &AuditContext,
) -> AppResult<ExportPages> {
    let (session, event) = managed_session(app, id, user, Capability::ExportPersonalData).await?;
    let (_, _, venue) = session_event_venue(app, session.id, event.id).await?;
    app.store
        .record_report_read(
            id,
            kind.audit_action(),
            serde_json::json!({"kind": kind.as_str(), "dialect": dialect.as_str(), "event_id": event.id}),
            app.clock.now(),
            audit,
        )
        .await?;
    metrics::counter!("exports_total", "kind" => kind.as_str()).increment(1);
    Ok(ExportPages {
        app: app.clone(),
        session: id,
        kind,
        dialect,
        time_zone: venue.time_zone,
        cursor: Cursor::Start,
        done: false,
    })
}

impl ExportPages {
    /// The next page of rows, `None` once every row was read.
    pub async fn next_page(&mut self) -> AppResult<Option<ExportRows>> {
        if self.done {
            return Ok(None);
        }
        let store = &self.app.store;
        let rows = match (self.kind, &self.cursor) {
            (ExportKind::Orders, cursor) => {
                let after = match cursor {
                    Cursor::Order(id) => Some(*id),
                    _ => None,
                };
                let rows = store
                    .export_orders(self.session, after, EXPORT_PAGE)
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Order(last.id);
                }
                ExportRows::Orders(rows)
            }
            (ExportKind::Attendees, cursor) => {
                let after = match cursor {
                    Cursor::Ticket(id) => Some(*id),
                    _ => None,
                };
                let rows = store
                    .export_attendees(self.session, after, EXPORT_PAGE)
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Ticket(last.ticket_id);
                }
                ExportRows::Attendees(rows)
            }
            (ExportKind::Checkins, cursor) => {
                let after = match cursor {
                    Cursor::Checkin(id) => Some(*id),
                    _ => None,
                };
                let rows = store
                    .export_checkins(self.session, after, EXPORT_PAGE)
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Checkin(last.id);
                }
                ExportRows::Checkins(rows)
            }
        };
        if (rows.len() as i64) < EXPORT_PAGE {
            self.done = true;
        }
        if rows.is_empty() {
            Ok(None)
        } else {
            Ok(Some(rows))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The PDF's words

fn eligibility_words(ground: Eligibility, lang: Language) -> &'static str {
    match lang {
        Language::PtBr => ground.label_pt(),
        Language::En => ground.label_en(),
    }
}

/// "Cartão, 3×" / "Card, 3 installments" / "Pix".
pub fn payment_words(method: PaymentMethod, installments: Option<i64>, lang: Language) -> String {
    match (method, installments, lang) {
        (PaymentMethod::Pix, _, _) => "Pix".to_owned(),
        (PaymentMethod::Card, Some(n), Language::PtBr) if n > 1 => format!("Cartão, {n}×"),
        (PaymentMethod::Card, _, Language::PtBr) => "Cartão, à vista".to_owned(),
        (PaymentMethod::Card, Some(n), Language::En) if n > 1 => {
            format!("Card, {n} installments")
        }
        (PaymentMethod::Card, _, Language::En) => "Card, one payment".to_owned(),
    }
}

fn bordero_sheet(view: &BorderoView, lang: Language, now: time::OffsetDateTime) -> ReportSheet {
    let b = &view.bordero;
    let pt = lang == Language::PtBr;
    let w = |pt_words: &str, en_words: &str| if pt { pt_words } else { en_words }.to_owned();
    let money = |cents: i64| lang.money(cents);
    let zone = &view.venue.time_zone;
    let tickets_columns = vec![
        String::new(),
        w("Vendidos", "Sold"),
        w("Inteira", "Full"),
        w("Meia", "Half"),
        w("Valor", "Amount"),
    ];
    let mut sections = ReportTable {
        heading: w("Ingressos por setor", "Tickets by sector"),
        columns: tickets_columns.clone(),
        ..ReportTable::default()
    };
    sections.columns[0] = w("Setor", "Sector");
    sections.rows = b
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
        .collect();
    let totals = vec![
        w("Total", "Total"),
        b.tickets.sold.to_string(),
        b.tickets.full.to_string(),
        b.tickets.half.to_string(),
        money(b.tickets.face_value_cents),
    ];
    sections.totals = Some(totals.clone());
    let mut categories = ReportTable {
        heading: w("Ingressos por categoria", "Tickets by category"),
        columns: tickets_columns,
        ..ReportTable::default()
    };
    categories.columns[0] = w("Categoria (preço da inteira)", "Category (full price)");
    categories.rows = b
        .by_category
        .iter()
        .map(|c| {
            vec![
                if c.category_id.is_some() {
                    format!("{} ({})", c.name, money(c.price_cents))
                } else {
                    w("Sem categoria", "No category")
                },
                c.sold.to_string(),
                c.full.to_string(),
                c.half.to_string(),
                money(c.face_value_cents),
            ]
        })
        .collect();
    categories.totals = Some(totals);
    let half_price = ReportTable {
        heading: w(
            "Meia-entrada (Lei 12.933/2013, Decreto 8.537/2015)",
            "Half price (Lei 12.933/2013, Decreto 8.537/2015)",
        ),
        columns: vec![w("Fundamento", "Ground"), w("Vendidas", "Sold")],
        rows: Eligibility::ALL
            .into_iter()
            .map(|ground| {
                vec![
                    eligibility_words(ground, lang).to_owned(),
                    b.tickets.by_eligibility.get(ground).to_string(),
                ]
            })
            .chain([
                vec![
                    if pt {
                        format!(
                            "Cota reservada ({} % dos lugares)",
                            b.half_price.quota_percent
                        )
                    } else {
                        format!(
                            "Reserved quota ({} % of places)",
                            b.half_price.quota_percent
                        )
                    },
                    b.half_price.quota.to_string(),
                ],
                vec![
                    w("Vendidas na cota", "Sold in the quota"),
                    b.half_price.in_quota.to_string(),
                ],
                vec![
                    w("Restantes na cota", "Left in the quota"),
                    b.half_price.remaining.to_string(),
                ],
            ])
            .collect(),
        totals: Some(vec![
            w("Meias vendidas", "Half-price sold"),
            b.half_price.sold.to_string(),
        ]),
        note: Some(w(
            "A meia-entrada de pessoas idosas (Estatuto da Pessoa Idosa) não conta na cota.",
            "Seniors' half price (Estatuto da Pessoa Idosa) is outside the quota.",
        )),
    };
    let payments = ReportTable {
        heading: w("Por forma de pagamento", "By payment method"),
        columns: vec![
            w("Forma", "Method"),
            w("Pedidos", "Orders"),
            w("Bruto", "Gross"),
            w("Devolvido", "Refunded"),
            w("Líquido", "Net"),
        ],
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
        totals: Some(vec![
            w("Total", "Total"),
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
    };
    let other = ReportTable {
        heading: w("Produtos e revenda", "Products and resale"),
        columns: vec![
            String::new(),
            w("Quantidade", "Quantity"),
            w("Valor", "Amount"),
        ],
        rows: vec![
            vec![
                w("Produtos vendidos", "Products sold"),
                b.products.sold.to_string(),
                money(b.products.gross_cents),
            ],
            vec![
                w("Revendas (taxa retida)", "Resales (fee kept)"),
                b.resales.to_string(),
                money(b.resale_fees_cents),
            ],
            vec![
                w("Reembolsos de pedidos", "Order refunds"),
                String::new(),
                money(b.refunds.orders_cents),
            ],
            vec![
                w("Repasses a revendedores", "Paid out to resellers"),
                String::new(),
                money(b.refunds.resale_payouts_cents),
            ],
        ],
        totals: None,
        note: None,
    };
    ReportSheet {
        kind: w(
            "bilheteria · BORDERÔ",
            "bilheteria · BOX OFFICE STATEMENT (BORDERÔ)",
        ),
        title: view.event.title.clone(),
        facts: vec![
            lang.session_time(view.session.starts_at, zone),
            format!("{} — {}", view.venue.name, view.venue.city),
            format!("{}: {}", w("Sessão", "Session"), view.session.id),
        ],
        figures: vec![
            (w("BRUTO", "GROSS"), money(b.gross_cents)),
            (w("DEVOLVIDO", "REFUNDED"), money(b.refunded_cents)),
            (w("LÍQUIDO", "NET"), money(b.net_cents)),
            (w("INGRESSOS", "TICKETS"), b.tickets.sold.to_string()),
        ],
        tables: vec![sections, categories, half_price, payments, other],
        footer: format!(
            "{} {}",
            w("Emitido em", "Issued on"),
            lang.local_time(now, zone)
        ),
        language: lang.as_str().to_owned(),
    }
}
