//! The gate (check-in): what a scan must carry to be looked at.

use crate::ids::SessionId;
use crate::validation::{FieldErrors, text};
use serde::Deserialize;

/// Longer than any code this system signs (119 characters today), short enough that a scanner's
/// garbage is refused before any work.
pub const MAX_CODE_CHARS: usize = 512;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// What the QR encodes.
    #[schema(max_length = 512)]
    pub code: String,
    /// The gate's name, as staff call it ("Portão A").
    #[schema(min_length = 1, max_length = 64)]
    pub gate: String,
    /// Chosen by the gate for this scan; a retry sends the same (8 to 64 of `A-Za-z0-9_.:-`).
    #[schema(min_length = 8, max_length = 64)]
    pub nonce: String,
    /// The session this gate lets in; a ticket of another is `ticket_wrong_session`.
    #[serde(default)]
    pub session_id: Option<SessionId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    pub code: String,
    pub gate: String,
    pub nonce: String,
    pub session_id: Option<SessionId>,
}

impl ScanInput {
    pub fn parse(self) -> Result<Scan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = self.code.trim().to_owned();
        if code.is_empty() || code.chars().count() > MAX_CODE_CHARS {
            errors.add("code", format!("must be 1 to {MAX_CODE_CHARS} characters"));
        }
        let gate = errors.check("gate", text(&self.gate, 1, 64));
        let nonce_ok = (8..=64).contains(&self.nonce.len())
            && self
                .nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if !nonce_ok {
            errors.add("nonce", "must be 8 to 64 of letters, digits and - _ . :");
        }
        errors.finish(|| {
            Some(Scan {
                code,
                gate: gate?,
                nonce: self.nonce,
                session_id: self.session_id,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str, gate: &str, nonce: &str) -> ScanInput {
        ScanInput {
            code: code.into(),
            gate: gate.into(),
            nonce: nonce.into(),
            session_id: None,
        }
    }

    #[test]
    fn a_scan_needs_a_code_a_gate_and_a_nonce() {
        let scan = input(" abc ", "Portão A", "scan-0001").parse();
        assert_eq!(
            scan.map(|s| (s.code, s.gate)),
            Ok(("abc".to_owned(), "Portão A".to_owned()))
        );
        let bad = input(&"x".repeat(5_000), "", "short").parse().unwrap_err();
        let fields: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "gate", "nonce"]);
        assert!(input("abc", "A", "bad nonce!").parse().is_err());
    }
}
