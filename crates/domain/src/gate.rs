//! The gate (check-in): what a scan must carry to be looked at.

use crate::clock::{from_micros, to_micros};
use crate::ids::SessionId;
use crate::validation::{FieldErrors, FieldProblem, count, count_in_range, text, token};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

/// Longer than any code this system signs (119 characters today), short enough that a scanner's
/// garbage is refused before any work.
pub const MAX_CODE_CHARS: usize = 512;

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// What the QR encodes.
    #[schema(min_length = 1, max_length = 512)]
    pub code: String,
    /// The gate's name, as staff call it ("Portão A").
    #[schema(min_length = 1, max_length = 64)]
    pub gate: String,
    /// Chosen by the gate for this scan; a retry sends the same (8 to 64 of `A-Za-z0-9_.:-`).
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{8,64}$")]
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
        if code.is_empty() {
            errors.add("code", FieldProblem::Empty);
        } else if code.chars().count() > MAX_CODE_CHARS {
            errors.add(
                "code",
                FieldProblem::TooLong {
                    max: count(MAX_CODE_CHARS),
                },
            );
        }
        let gate = errors.check("gate", text(&self.gate, 1, 64));
        errors.check("nonce", token(&self.nonce, 8, 64));
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

/// Scans per sync request: a station syncs often, so a backlog arrives in a few requests.
pub const MAX_SYNC_SCANS: usize = 500;

/// A scan made while the gate had no network, sent later.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineScanInput {
    #[schema(min_length = 1, max_length = 512)]
    pub code: String,
    #[schema(min_length = 1, max_length = 64)]
    pub gate: String,
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{8,64}$")]
    pub nonce: String,
    /// When the gate scanned it.
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    #[schema(min_items = 1, max_items = 500)]
    pub scans: Vec<OfflineScanInput>,
}

impl SyncInput {
    /// The scans, earliest first; none may be dated after `now` (with a minute of clock skew).
    pub fn parse(self, now: OffsetDateTime) -> Result<Vec<(Scan, OffsetDateTime)>, FieldErrors> {
        let mut errors = FieldErrors::new();
        errors.check("scans", count_in_range(self.scans.len(), 1, MAX_SYNC_SCANS));
        let mut scans = Vec::with_capacity(self.scans.len());
        for (i, offline) in self.scans.into_iter().take(MAX_SYNC_SCANS).enumerate() {
            if offline.scanned_at > now + Duration::minutes(1) {
                errors.add(format!("scans[{i}].scanned_at"), FieldProblem::InFuture);
            }
            let input = ScanInput {
                code: offline.code,
                gate: offline.gate,
                nonce: offline.nonce,
                session_id: None,
            };
            match input.parse() {
                // Kept to the microsecond, as stored: a retry then answers the very same instant.
                Ok(scan) => scans.push((scan, from_micros(to_micros(offline.scanned_at)))),
                Err(field_errors) => errors.add_under(&format!("scans[{i}]"), field_errors),
            }
        }
        scans.sort_by_key(|(_, at)| *at);
        errors.finish(|| Some(scans))
    }
}

/// What the door tells its staff of one scan: the online answer, an offline verdict of a phone
/// or a station, and what a sync came to, each said as one of these. The wire word is the
/// problem code (or `admitted`, `check_document`) the API answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoorOutcome {
    /// Let in.
    Admitted,
    /// Let in on a half-price (meia-entrada) ticket: see the document that entitles to it.
    CheckDocument,
    /// Let in before (when, and at which gate).
    #[serde(rename = "ticket_used")]
    AlreadyUsed,
    /// Cancelled, or a code replaced by a transfer or a resale.
    #[serde(rename = "ticket_revoked")]
    Revoked,
    /// A ticket of another session.
    #[serde(rename = "ticket_wrong_session")]
    WrongSession,
    /// Not a ticket of ours.
    #[serde(rename = "invalid_ticket")]
    Invalid,
    /// The session takes only the live code on the ticket's screen.
    #[serde(rename = "screen_code_required")]
    ScreenRequired,
    /// An on-screen code of another moment: a screenshot.
    #[serde(rename = "screen_code_expired")]
    ScreenExpired,
}

impl DoorOutcome {
    pub const ALL: [DoorOutcome; 8] = [
        DoorOutcome::Admitted,
        DoorOutcome::CheckDocument,
        DoorOutcome::AlreadyUsed,
        DoorOutcome::Revoked,
        DoorOutcome::WrongSession,
        DoorOutcome::Invalid,
        DoorOutcome::ScreenRequired,
        DoorOutcome::ScreenExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DoorOutcome::Admitted => "admitted",
            DoorOutcome::CheckDocument => "check_document",
            DoorOutcome::AlreadyUsed => "ticket_used",
            DoorOutcome::Revoked => "ticket_revoked",
            DoorOutcome::WrongSession => "ticket_wrong_session",
            DoorOutcome::Invalid => "invalid_ticket",
            DoorOutcome::ScreenRequired => "screen_code_required",
            DoorOutcome::ScreenExpired => "screen_code_expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == raw)
    }

    /// Whether the holder goes in (a half-price one once the document is seen).
    pub fn lets_in(self) -> bool {
        matches!(self, DoorOutcome::Admitted | DoorOutcome::CheckDocument)
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

    #[test]
    fn a_sync_is_sorted_by_scan_time_and_refuses_the_future() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let offline = |nonce: &str, at: OffsetDateTime| OfflineScanInput {
            code: "abc".into(),
            gate: "A".into(),
            nonce: nonce.into(),
            scanned_at: at,
        };
        let sync = SyncInput {
            scans: vec![
                offline("scan-0002", now - Duration::minutes(1)),
                offline("scan-0001", now - Duration::minutes(5)),
            ],
        };
        let nonces: Vec<String> = sync
            .parse(now)
            .unwrap()
            .into_iter()
            .map(|(scan, _)| scan.nonce)
            .collect();
        assert_eq!(nonces, ["scan-0001", "scan-0002"]);
        let future = SyncInput {
            scans: vec![
                offline("scan-0001", now + Duration::minutes(5)),
                offline("bad", now),
            ],
        };
        let fields: Vec<String> = future
            .parse(now)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["scans[0].scanned_at", "scans[1].nonce"]);
        assert!(SyncInput { scans: vec![] }.parse(now).is_err());
    }

    #[test]
    fn door_outcomes_read_back_from_their_wire_words() {
        for outcome in DoorOutcome::ALL {
            assert_eq!(DoorOutcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                serde_json::Value::String(outcome.as_str().to_owned())
            );
        }
        assert_eq!(DoorOutcome::parse("duplicate"), None);
        assert!(DoorOutcome::CheckDocument.lets_in());
        assert!(!DoorOutcome::AlreadyUsed.lets_in());
    }
}
