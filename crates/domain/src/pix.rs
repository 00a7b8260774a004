//! Pix (B2): the "copia e cola" payload of a Pix charge, a BR Code in the EMV merchant-presented
//! format of the Banco Central do Brasil: TLV fields (two-digit id, two-digit length, value)
//! closed by a CRC16 (CCITT, polynomial 0x1021, start 0xFFFF) over everything before it,
//! `6304` included. Providers make the code; the simulators make it here, and anyone can check
//! one.

use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use time::OffsetDateTime;

/// The failure code of an order whose Pix expired unpaid.
pub const PIX_EXPIRED_CODE: &str = "pix_expired";

/// CRC16/CCITT-FALSE, as BR Codes are closed with.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in data {
        crc ^= u16::from(*byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn field(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.len())
}

/// Keeps what a BR Code field may carry: ASCII letters, digits and spaces, at most `max`.
fn plain(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// What a Pix charge's code says.
pub struct PixRequest<'a> {
    /// The receiver's Pix key (an email, a phone, a CNPJ or a random key).
    pub key: &'a str,
    pub merchant_name: &'a str,
    pub merchant_city: &'a str,
    pub amount_cents: i64,
    /// The charge's id, letters and digits (at most 25 are kept).
    pub txid: &'a str,
}

/// The "copia e cola" of a one-time Pix charge.
pub fn br_code(request: &PixRequest<'_>) -> String {
    let account = field("00", "br.gov.bcb.pix") + &field("01", request.key);
    let amount = format!(
        "{}.{:02}",
        request.amount_cents / 100,
        request.amount_cents % 100
    );
    let txid = plain(request.txid, 25);
    let mut code = [
        field("00", "01"),
        field("01", "12"),
        field("26", &account),
        field("52", "0000"),
        field("53", "986"),
        field("54", &amount),
        field("58", "BR"),
        field("59", &plain(request.merchant_name, 25)),
        field("60", &plain(request.merchant_city, 15)),
        field(
            "62",
            &field("05", if txid.is_empty() { "***" } else { &txid }),
        ),
    ]
    .concat();
    code.push_str("6304");
    let crc = crc16(code.as_bytes());
    code.push_str(&format!("{crc:04X}"));
    code
}

/// The top-level fields of a BR Code, if it is one: well-formed TLV ending in a CRC that
/// matches.
pub fn read_br_code(code: &str) -> Option<Vec<(String, String)>> {
    let (body, crc) = code.split_at_checked(code.len().checked_sub(4)?)?;
    if !body.ends_with("6304") || u16::from_str_radix(crc, 16).ok()? != crc16(body.as_bytes()) {
        return None;
    }
    let mut fields = Vec::new();
    let mut rest = code;
    while !rest.is_empty() {
        let id = rest.get(..2)?;
        let len: usize = rest.get(2..4)?.parse().ok()?;
        let value = rest.get(4..4 + len)?;
        fields.push((id.to_owned(), value.to_owned()));
        rest = &rest[4 + len..];
    }
    (fields.first()? == &("00".to_owned(), "01".to_owned())).then_some(fields)
}

/// The QR of `data` as an SVG image (dark modules on white, with its quiet zone).
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
    )
}

/// [`qr_svg`], drawn once per code: a pending Pix order is answered again and again while its
/// buyer's bank pays (its page asks every few seconds), and drawing the QR costs more than all
/// the rest of the answer. Deterministic, so a memo changes nothing but the cost; bounded (it
/// starts over past a few thousand codes, far more than are pending at once).
pub fn shared_qr_svg(data: &str) -> Option<Arc<str>> {
    static DRAWN: LazyLock<Mutex<HashMap<String, Arc<str>>>> = LazyLock::new(Mutex::default);
    const KEPT: usize = 4_096;
    if let Some(svg) = DRAWN.lock().unwrap_or_else(|p| p.into_inner()).get(data) {
        return Some(svg.clone());
    }
    let svg: Arc<str> = qr_svg(data)?.into();
    let mut drawn = DRAWN.lock().unwrap_or_else(|p| p.into_inner());
    if drawn.len() >= KEPT {
        drawn.clear();
    }
    drawn.insert(data.to_owned(), svg.clone());
    Some(svg)
}

/// A Pix charge awaiting the buyer's bank: the code to copy and paste or scan, until it
/// expires.
#[derive(Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct PixCharge {
    pub copy_paste: String,
    pub expires_at: OffsetDateTime,
}

impl Serialize for PixCharge {
    /// `{copy_paste, qr_svg, expires_at}`: the QR is drawn from the code when answered.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("PixCharge", 3)?;
        out.serialize_field("copy_paste", &self.copy_paste)?;
        out.serialize_field("qr_svg", &shared_qr_svg(&self.copy_paste).as_deref())?;
        let expires = self
            .expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        out.serialize_field("expires_at", &expires)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_is_ccitt_false() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn a_br_code_reads_back_and_its_crc_catches_a_change() {
        let code = br_code(&PixRequest {
            key: "pix@bilheteria.dev",
            merchant_name: "Bilheteria Demonstração",
            merchant_city: "São Paulo",
            amount_cents: 123_456,
            txid: "pi_sim_000000000042",
        });
        let fields = read_br_code(&code).expect("a valid BR Code");
        let get = |id: &str| {
            fields
                .iter()
                .find(|(f, _)| f == id)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("53"), Some("986"), "in reais");
        assert_eq!(get("54"), Some("1234.56"));
        assert_eq!(get("58"), Some("BR"));
        assert_eq!(get("59"), Some("Bilheteria Demonstrao"), "plain ASCII");
        assert_eq!(get("60"), Some("So Paulo"));
        assert_eq!(get("62"), Some("0517pisim000000000042"));
        assert!(get("26").unwrap().starts_with("0014br.gov.bcb.pix"));
        let tampered = code.replacen("1234.56", "1234.57", 1);
        assert_eq!(read_br_code(&tampered), None);
        assert_eq!(read_br_code("not a code"), None);
        assert!(qr_svg(&code).unwrap().starts_with("<?xml"));
        // Drawn once, then shared: the same image, not drawn again.
        let first = shared_qr_svg(&code).unwrap();
        assert_eq!(*first, qr_svg(&code).unwrap());
        assert!(Arc::ptr_eq(&first, &shared_qr_svg(&code).unwrap()));
    }
}
