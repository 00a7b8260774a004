//! The borderô (B4): a session's settlement sheet as a Brazilian producer reads it — tickets by
//! sector and category, inteira and meia, the meia-entrada report (the quota and half-price
//! places by ground), what was charged, refunded and kept, by payment method and installments,
//! products, resale fees — and the exports of the back office (orders, the door list, check-ins)
//! in the Brazilian Excel dialect or RFC 4180.
//!
//! The store counts ([`BorderoFigures`]); [`Bordero::assemble`] puts the counts and the
//! session's categories together, purely, so the API, the page and the PDF show one sheet.

use crate::catalog::{Currency, EventSession};
use crate::half_price::{Eligibility, TicketType};
use crate::ids::{CategoryId, SectionId, SessionId};
use crate::locale::offset_in;
use crate::sales::PaymentMethod;
use crate::validation::FieldProblem;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

// ---------------------------------------------------------------------------------------------
// What the store counts

/// Tickets still sold (not cancelled) of one section, type and ground.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketGroup {
    pub section_id: SectionId,
    pub section_name: String,
    pub ticket_type: TicketType,
    pub eligibility: Option<Eligibility>,
    pub tickets: i64,
    /// What those tickets were sold for (their face values).
    pub face_value_cents: i64,
}

/// The charged orders of one payment method and number of installments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentGroup {
    pub method: PaymentMethod,
    pub installments: i64,
    pub orders: i64,
    pub charged_cents: i64,
    /// Refunds of those orders, and payouts to resale sellers made from their charges.
    pub refunded_cents: i64,
}

/// A session's counts, read by the store in a few queries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BorderoFigures {
    /// Every succeeded charge of the session's orders (resale purchases included).
    pub charged_cents: i64,
    /// Every succeeded refund of the session's orders (whole or partial).
    pub refunded_cents: i64,
    /// Resale sellers paid back from their own charges.
    pub paid_out_cents: i64,
    pub tickets: Vec<TicketGroup>,
    pub payments: Vec<PaymentGroup>,
    /// Products of orders still paid.
    pub products_sold: i64,
    pub products_cents: i64,
    /// Tickets sold on resale and what the organizer kept of their prices.
    pub resales: i64,
    pub resale_fees_cents: i64,
    /// The places of the half-price reserve (the quota).
    pub half_price_quota: i64,
}

// ---------------------------------------------------------------------------------------------
// The sheet

/// Counts per ground of half-price tickets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ByEligibility {
    pub student: i64,
    pub pcd: i64,
    pub pcd_companion: i64,
    pub youth_low_income: i64,
    pub senior: i64,
}

impl ByEligibility {
    pub fn get(&self, ground: Eligibility) -> i64 {
        match ground {
            Eligibility::Student => self.student,
            Eligibility::Pcd => self.pcd,
            Eligibility::PcdCompanion => self.pcd_companion,
            Eligibility::YouthLowIncome => self.youth_low_income,
            Eligibility::Senior => self.senior,
        }
    }

    fn add(&mut self, ground: Eligibility, n: i64) {
        let slot = match ground {
            Eligibility::Student => &mut self.student,
            Eligibility::Pcd => &mut self.pcd,
            Eligibility::PcdCompanion => &mut self.pcd_companion,
            Eligibility::YouthLowIncome => &mut self.youth_low_income,
            Eligibility::Senior => &mut self.senior,
        };
        *slot += n;
    }
}

/// Tickets still sold (refunded and cancelled ones excluded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TicketCounts {
    pub sold: i64,
    /// Inteira.
    pub full: i64,
    /// Meia-entrada.
    pub half: i64,
    /// Half-price tickets by ground.
    pub by_eligibility: ByEligibility,
    /// What the tickets were sold for (face values; a resold ticket's is its resale price).
    pub face_value_cents: i64,
}

impl TicketCounts {
    fn add(&mut self, group: &TicketGroup) {
        self.sold += group.tickets;
        self.face_value_cents += group.face_value_cents;
        match group.ticket_type {
            TicketType::Full => self.full += group.tickets,
            TicketType::Half => {
                self.half += group.tickets;
                if let Some(ground) = group.eligibility {
                    self.by_eligibility.add(ground, group.tickets);
                }
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProductCounts {
    /// Units of products in orders still paid.
    pub sold: i64,
    pub gross_cents: i64,
}

/// A seat category of the session and its sales.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryLine {
    pub category_id: Option<CategoryId>,
    pub name: String,
    /// The full (inteira) price.
    pub price_cents: i64,
    pub sold: i64,
    pub full: i64,
    pub half: i64,
    pub face_value_cents: i64,
}

/// A sector (section of the venue) and its sales.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SectionLine {
    pub section_id: SectionId,
    pub name: String,
    pub category: Option<String>,
    pub sold: i64,
    pub full: i64,
    pub half: i64,
    pub face_value_cents: i64,
}

/// Charged orders of one way of paying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PaymentLine {
    pub method: PaymentMethod,
    /// Card installments (parcelas); `null` for Pix.
    pub installments: Option<i64>,
    pub orders: i64,
    pub gross_cents: i64,
    pub refunded_cents: i64,
    pub net_cents: i64,
}

/// Meia-entrada (Lei 12.933/2013, Decreto 8.537/2015): the reserved quota and what it sold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HalfPriceReport {
    /// Places reserved for half-price buyers of the quota.
    pub quota: i64,
    /// Half-price tickets sold, every ground (seniors' included).
    pub sold: i64,
    /// Of those, the ones counted in the quota (seniors' half price is outside it).
    pub in_quota: i64,
    /// Places of the quota not sold yet.
    pub remaining: i64,
    /// The quota's share of the session's places, in percent.
    pub quota_percent: i64,
}

/// Where refunded money went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Refunds {
    /// Orders refunded, whole or in part.
    pub orders_cents: i64,
    /// Resale sellers paid back from their own charges.
    pub resale_payouts_cents: i64,
}

/// `GET /sessions/{id}/bordero`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Bordero {
    pub session_id: SessionId,
    pub currency: Currency,
    /// Every charge (resale purchases included).
    pub gross_cents: i64,
    /// Every sum given back: refunds and resale sellers' payouts.
    pub refunded_cents: i64,
    /// `gross_cents - refunded_cents`.
    pub net_cents: i64,
    pub refunds: Refunds,
    pub tickets: TicketCounts,
    pub products: ProductCounts,
    pub by_category: Vec<CategoryLine>,
    pub by_section: Vec<SectionLine>,
    pub by_payment_method: Vec<PaymentLine>,
    /// Tickets sold on resale.
    pub resales: i64,
    /// What the organizer kept of resale prices.
    pub resale_fees_cents: i64,
    pub half_price: HalfPriceReport,
}

impl Bordero {
    /// The sheet of `session` from the store's counts: every category of the session listed
    /// (unsold ones with zeros), sections in the order of their categories, then by name.
    pub fn assemble(session: &EventSession, figures: BorderoFigures) -> Self {
        let mut tickets = TicketCounts::default();
        let mut by_category: Vec<CategoryLine> = session
            .categories
            .iter()
            .map(|c| CategoryLine {
                category_id: Some(c.id),
                name: c.name.clone(),
                price_cents: c.price_cents,
                sold: 0,
                full: 0,
                half: 0,
                face_value_cents: 0,
            })
            .collect();
        let mut by_section: Vec<SectionLine> = Vec::new();
        for group in &figures.tickets {
            tickets.add(group);
            let (full, half) = match group.ticket_type {
                TicketType::Full => (group.tickets, 0),
                TicketType::Half => (0, group.tickets),
            };
            let category = session
                .categories
                .iter()
                .position(|c| c.section_ids.contains(&group.section_id));
            let line = match category {
                Some(i) => &mut by_category[i],
                None => {
                    // A section no category names any more: said apart, not lost.
                    if by_category.last().is_none_or(|l| l.category_id.is_some()) {
                        by_category.push(CategoryLine {
                            category_id: None,
                            name: String::new(),
                            price_cents: 0,
                            sold: 0,
                            full: 0,
                            half: 0,
                            face_value_cents: 0,
                        });
                    }
                    let last = by_category.len() - 1;
                    &mut by_category[last]
                }
            };
            line.sold += group.tickets;
            line.full += full;
            line.half += half;
            line.face_value_cents += group.face_value_cents;
            let section = match by_section
                .iter()
                .position(|s| s.section_id == group.section_id)
            {
                Some(i) => &mut by_section[i],
                None => {
                    by_section.push(SectionLine {
                        section_id: group.section_id,
                        name: group.section_name.clone(),
                        category: category.map(|i| session.categories[i].name.clone()),
                        sold: 0,
                        full: 0,
                        half: 0,
                        face_value_cents: 0,
                    });
                    let last = by_section.len() - 1;
                    &mut by_section[last]
                }
            };
            section.sold += group.tickets;
            section.full += full;
            section.half += half;
            section.face_value_cents += group.face_value_cents;
        }
        let category_rank = |line: &SectionLine| {
            session
                .categories
                .iter()
                .position(|c| c.section_ids.contains(&line.section_id))
                .unwrap_or(usize::MAX)
        };
        by_section.sort_by(|a, b| {
            category_rank(a)
                .cmp(&category_rank(b))
                .then_with(|| a.name.cmp(&b.name))
        });
        let by_payment_method = figures
            .payments
            .iter()
            .map(|p| PaymentLine {
                method: p.method,
                installments: (p.method == PaymentMethod::Card).then_some(p.installments),
                orders: p.orders,
                gross_cents: p.charged_cents,
                refunded_cents: p.refunded_cents,
                net_cents: p.charged_cents - p.refunded_cents,
            })
            .collect();
        let in_quota = Eligibility::ALL
            .into_iter()
            .filter(|ground| ground.in_quota())
            .map(|ground| tickets.by_eligibility.get(ground))
            .sum::<i64>();
        let refunded_cents = figures.refunded_cents + figures.paid_out_cents;
        Bordero {
            session_id: session.id,
            currency: session.currency.clone(),
            gross_cents: figures.charged_cents,
            refunded_cents,
            net_cents: figures.charged_cents - refunded_cents,
            refunds: Refunds {
                orders_cents: figures.refunded_cents,
                resale_payouts_cents: figures.paid_out_cents,
            },
            half_price: HalfPriceReport {
                quota: figures.half_price_quota,
                sold: tickets.half,
                in_quota,
                remaining: (figures.half_price_quota - in_quota).max(0),
                quota_percent: session.half_price_quota_percent,
            },
            tickets,
            products: ProductCounts {
                sold: figures.products_sold,
                gross_cents: figures.products_cents,
            },
            by_category,
            by_section,
            by_payment_method,
            resales: figures.resales,
            resale_fees_cents: figures.resale_fees_cents,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Exports

/// How an export writes its file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportDialect {
    /// What Excel opens as it is in Brazil: UTF-8 with a BOM, `;` between fields, money with a
    /// decimal comma (`1234,56`), times `dd/mm/aaaa HH:MM` in the venue's zone.
    #[default]
    ExcelBr,
    /// RFC 4180: `,` between fields, money with a decimal point, times in ISO 8601 (UTC).
    Rfc4180,
}

impl ExportDialect {
    pub const CODES: &'static [&'static str] = &["excel-br", "rfc4180"];

    pub fn parse(raw: &str) -> Result<Self, FieldProblem> {
        match raw {
            "excel-br" => Ok(ExportDialect::ExcelBr),
            "rfc4180" => Ok(ExportDialect::Rfc4180),
            _ => Err(FieldProblem::NotOneOf {
                choices: Self::CODES,
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportDialect::ExcelBr => "excel-br",
            ExportDialect::Rfc4180 => "rfc4180",
        }
    }

    pub fn delimiter(self) -> u8 {
        match self {
            ExportDialect::ExcelBr => b';',
            ExportDialect::Rfc4180 => b',',
        }
    }

    /// What the file starts with: the byte order mark Excel needs to read UTF-8.
    pub fn preamble(self) -> &'static [u8] {
        match self {
            ExportDialect::ExcelBr => "\u{feff}".as_bytes(),
            ExportDialect::Rfc4180 => b"",
        }
    }

    /// An amount as a plain number of reais: `1234,56` or `1234.56` (no thousands separator,
    /// so a spreadsheet reads it as a number).
    pub fn money(self, cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let point = match self {
            ExportDialect::ExcelBr => ',',
            ExportDialect::Rfc4180 => '.',
        };
        format!("{sign}{}{point}{:02}", abs / 100, abs % 100)
    }

    /// An instant: `06/03/2027 20:00` in the venue's zone, or `2027-03-06T23:00:00Z`.
    pub fn time(self, at: OffsetDateTime, zone: &str) -> String {
        match self {
            ExportDialect::ExcelBr => {
                let local = at.to_offset(offset_in(zone, at));
                format!(
                    "{:02}/{:02}/{:04} {:02}:{:02}",
                    local.day(),
                    u8::from(local.month()),
                    local.year(),
                    local.hour(),
                    local.minute()
                )
            }
            ExportDialect::Rfc4180 => at
                .to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .unwrap_or(at)
                .format(&Rfc3339)
                .unwrap_or_default(),
        }
    }
}

/// The exports of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Orders,
    /// The door list: every ticket with its holder, place, category and type.
    Attendees,
    Checkins,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [
        ExportKind::Orders,
        ExportKind::Attendees,
        ExportKind::Checkins,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Attendees => "attendees",
            ExportKind::Checkins => "checkins",
        }
    }

    /// The file's name: `orders.csv`.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.as_str())
    }

    /// The audit log's action for an export of this kind.
    pub fn audit_action(self) -> &'static str {
        match self {
            ExportKind::Orders => "export.orders",
            ExportKind::Attendees => "export.attendees",
            ExportKind::Checkins => "export.checkins",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dialects_write_money_and_time_their_way() {
        let br = ExportDialect::ExcelBr;
        let rfc = ExportDialect::Rfc4180;
        assert_eq!(br.money(123_456), "1234,56");
        assert_eq!(rfc.money(123_456), "1234.56");
        assert_eq!(br.money(5), "0,05");
        assert_eq!(br.money(-1_050), "-10,50");
        let at = datetime!(2027-03-06 23:00:30.5 UTC);
        assert_eq!(br.time(at, "America/Sao_Paulo"), "06/03/2027 20:00");
        assert_eq!(br.time(at, "America/Manaus"), "06/03/2027 19:00");
        assert_eq!(rfc.time(at, "America/Sao_Paulo"), "2027-03-06T23:00:30Z");
        assert_eq!(br.preamble(), b"\xef\xbb\xbf");
        assert!(rfc.preamble().is_empty());
        assert_eq!(ExportDialect::parse("rfc4180"), Ok(rfc));
        assert!(ExportDialect::parse("excel").is_err());
    }
}
