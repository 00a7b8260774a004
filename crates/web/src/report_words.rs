//! The words of the back office's reports, in pt-BR and English side by side: the exports'
//! column headings and cells, and what the borderô page says. The API's exports and the console
//! both word reports through these (a missing translation does not compile).

use bilheteria_domain::bordero::ExportKind;
use bilheteria_domain::half_price::{Eligibility, TicketType};
use bilheteria_domain::locale::Language;
use bilheteria_domain::sales::{OrderStatus, PaymentMethod};
use bilheteria_domain::tickets::TicketStatus;
use bilheteria_store::ScanResult;

fn pick(lang: Language, pt: &'static str, en: &'static str) -> &'static str {
    match lang {
        Language::PtBr => pt,
        Language::En => en,
    }
}

/// The column headings of an export, in `lang`.
pub fn headings(kind: ExportKind, lang: Language) -> Vec<&'static str> {
    let columns: &[(&str, &str)] = match kind {
        ExportKind::Orders => &[
            ("Pedido", "Order"),
            ("Data", "Date"),
            ("Comprador", "Buyer"),
            ("E-mail", "Email"),
            ("Situação", "Status"),
            ("Pagamento", "Payment"),
            ("Parcelas", "Installments"),
            ("Ingressos", "Tickets"),
            ("Produtos", "Products"),
            ("Total", "Total"),
            ("Reembolsado", "Refunded"),
            ("Moeda", "Currency"),
            ("Revenda", "Resale"),
        ],
        ExportKind::Attendees => &[
            ("Ingresso", "Ticket"),
            ("Pedido", "Order"),
            ("Titular", "Holder"),
            ("E-mail", "Email"),
            ("Setor", "Sector"),
            ("Fila", "Row"),
            ("Assento", "Seat"),
            ("Categoria", "Category"),
            ("Tipo", "Type"),
            ("Meia-entrada por", "Half price as"),
            ("Documento a apresentar", "Document to show"),
            ("Situação", "Status"),
            ("Valor", "Price"),
        ],
        ExportKind::Checkins => &[
            ("Data e hora", "Time"),
            ("Ingresso", "Ticket"),
            ("Titular", "Holder"),
            ("Portão", "Gate"),
            ("Resultado", "Result"),
            ("Equipe", "Staff"),
        ],
    };
    columns.iter().map(|(pt, en)| pick(lang, pt, en)).collect()
}

pub fn order_status(status: OrderStatus, lang: Language) -> &'static str {
    match status {
        OrderStatus::AwaitingPayment => pick(lang, "aguardando pagamento", "awaiting payment"),
        OrderStatus::PaymentPending => pick(lang, "pagamento pendente", "payment pending"),
        OrderStatus::Paid => pick(lang, "pago", "paid"),
        OrderStatus::Failed => pick(lang, "não concluído", "failed"),
        OrderStatus::Refunded => pick(lang, "reembolsado", "refunded"),
    }
}

pub fn ticket_status(status: TicketStatus, lang: Language) -> &'static str {
    match status {
        TicketStatus::Valid => pick(lang, "válido", "valid"),
        TicketStatus::Used => pick(lang, "utilizado", "used"),
        TicketStatus::Cancelled => pick(lang, "cancelado", "cancelled"),
    }
}

pub fn ticket_type(kind: TicketType, lang: Language) -> &'static str {
    match kind {
        TicketType::Full => pick(lang, "inteira", "full price"),
        TicketType::Half => pick(lang, "meia-entrada", "half price"),
    }
}

pub fn eligibility(ground: Eligibility, lang: Language) -> &'static str {
    match lang {
        Language::PtBr => ground.label_pt(),
        Language::En => ground.label_en(),
    }
}

pub fn document(ground: Eligibility, lang: Language) -> &'static str {
    match lang {
        Language::PtBr => ground.document_pt(),
        Language::En => ground.document_en(),
    }
}

pub fn scan_result(result: ScanResult, lang: Language) -> &'static str {
    match result {
        ScanResult::Admitted => pick(lang, "entrada liberada", "admitted"),
        ScanResult::TicketUsed => pick(lang, "já utilizado", "already used"),
        ScanResult::TicketRevoked => pick(lang, "código revogado", "code revoked"),
    }
}

pub fn payment(method: PaymentMethod, lang: Language) -> &'static str {
    match method {
        PaymentMethod::Card => pick(lang, "cartão", "card"),
        PaymentMethod::Pix => "Pix",
    }
}

pub fn yes_no(yes: bool, lang: Language) -> &'static str {
    match yes {
        true => pick(lang, "sim", "yes"),
        false => pick(lang, "não", "no"),
    }
}

/// The words of the borderô page.
pub struct BorderoWords {
    pub title: &'static str,
    pub gross: &'static str,
    pub refunded: &'static str,
    pub net: &'static str,
    pub tickets: &'static str,
    pub by_section: &'static str,
    pub by_category: &'static str,
    pub sector: &'static str,
    pub category: &'static str,
    pub sold: &'static str,
    pub full: &'static str,
    pub half: &'static str,
    pub amount: &'static str,
    pub total: &'static str,
    pub no_category: &'static str,
    pub half_price: &'static str,
    pub ground: &'static str,
    pub quota: &'static str,
    pub in_quota: &'static str,
    pub remaining: &'static str,
    pub half_sold: &'static str,
    pub seniors_note: &'static str,
    pub by_payment: &'static str,
    pub method: &'static str,
    pub orders: &'static str,
    pub products_resale: &'static str,
    pub products_sold: &'static str,
    pub resales: &'static str,
    pub order_refunds: &'static str,
    pub payouts: &'static str,
    pub quantity: &'static str,
    pub pdf: &'static str,
    pub exports: &'static str,
    pub exports_note: &'static str,
    pub excel: &'static str,
    pub rfc: &'static str,
    pub export_orders: &'static str,
    pub export_attendees: &'static str,
    pub export_checkins: &'static str,
    pub back: &'static str,
}

pub fn bordero(lang: Language) -> BorderoWords {
    let p = |pt, en| pick(lang, pt, en);
    BorderoWords {
        title: p("Borderô", "Box office statement (borderô)"),
        gross: p("Bruto", "Gross"),
        refunded: p("Devolvido", "Refunded"),
        net: p("Líquido", "Net"),
        tickets: p("Ingressos vendidos", "Tickets sold"),
        by_section: p("Ingressos por setor", "Tickets by sector"),
        by_category: p("Ingressos por categoria", "Tickets by category"),
        sector: p("Setor", "Sector"),
        category: p("Categoria (preço da inteira)", "Category (full price)"),
        sold: p("Vendidos", "Sold"),
        full: p("Inteira", "Full"),
        half: p("Meia", "Half"),
        amount: p("Valor", "Amount"),
        total: p("Total", "Total"),
        no_category: p("Sem categoria", "No category"),
        half_price: p(
            "Meia-entrada (Lei 12.933/2013, Decreto 8.537/2015)",
            "Half price (Lei 12.933/2013, Decreto 8.537/2015)",
        ),
        ground: p("Fundamento", "Ground"),
        quota: p("Cota reservada", "Reserved quota"),
        in_quota: p("Vendidas na cota", "Sold in the quota"),
        remaining: p("Restantes na cota", "Left in the quota"),
        half_sold: p("Meias vendidas", "Half-price sold"),
        seniors_note: p(
            "A meia-entrada de pessoas idosas (Estatuto da Pessoa Idosa) não conta na cota.",
            "Seniors' half price (Estatuto da Pessoa Idosa) is outside the quota.",
        ),
        by_payment: p("Por forma de pagamento", "By payment method"),
        method: p("Forma", "Method"),
        orders: p("Pedidos", "Orders"),
        products_resale: p("Produtos e revenda", "Products and resale"),
        products_sold: p("Produtos vendidos", "Products sold"),
        resales: p("Revendas (taxa retida)", "Resales (fee kept)"),
        order_refunds: p("Reembolsos de pedidos", "Order refunds"),
        payouts: p("Repasses a revendedores", "Paid out to resellers"),
        quantity: p("Quantidade", "Quantity"),
        pdf: p("Baixar o borderô em PDF", "Download the statement as PDF"),
        exports: p("Exportações", "Exports"),
        exports_note: p(
            "Dados pessoais: cada exportação fica registrada no log de auditoria.",
            "Personal data: every export is recorded in the audit log.",
        ),
        excel: p("Excel (Brasil)", "Excel (Brazil)"),
        rfc: p("CSV (RFC 4180)", "CSV (RFC 4180)"),
        export_orders: p("Pedidos", "Orders"),
        export_attendees: p("Lista da portaria", "Door list"),
        export_checkins: p("Entradas", "Check-ins"),
        back: p("Voltar à sessão", "Back to the session"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_heading_and_word_is_said_in_both_languages() {
        for kind in ExportKind::ALL {
            let pt = headings(kind, Language::PtBr);
            let en = headings(kind, Language::En);
            assert_eq!(pt.len(), en.len());
            assert!(pt.iter().chain(&en).all(|w| !w.is_empty()));
        }
        for status in [
            OrderStatus::Paid,
            OrderStatus::Refunded,
            OrderStatus::Failed,
        ] {
            assert_ne!(
                order_status(status, Language::PtBr),
                order_status(status, Language::En)
            );
        }
        let (pt, en) = (bordero(Language::PtBr), bordero(Language::En));
        assert_ne!(pt.title, en.title);
        assert_ne!(pt.net, en.net);
    }
}
