//! The audit log (S14): append-only entries, each carrying the SHA-256 of its predecessor's hash
//! and its own content, so that editing, inserting or deleting an entry breaks the chain.

use crate::ids::{AuditEntryId, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// The `prev_hash` of the very first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// What the caller knows about who acts and from where; the store adds the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub actor_id: Option<UserId>,
    pub ip: Option<String>,
}

/// One entry as stored, hash fields included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: i64,
    pub id: AuditEntryId,
    pub at_micros: i64,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    /// JSON text of the target before the change, exactly as hashed.
    pub before: Option<String>,
    /// JSON text of the target after the change, exactly as hashed.
    pub after: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

fn put(hasher: &mut Sha256, field: Option<&[u8]>) {
    match field {
        None => hasher.update([0u8]),
        Some(bytes) => {
            hasher.update([1u8]);
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    }
}

/// The hash of `record` chained to `prev_hash`. Every field is length-prefixed, so no two
/// different entries can serialise to the same bytes.
pub fn entry_hash(prev_hash: &[u8], record: &AuditRecord) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"bilheteria-audit-v1");
    put(&mut hasher, Some(prev_hash));
    put(&mut hasher, Some(&record.seq.to_be_bytes()));
    put(&mut hasher, Some(record.id.0.as_bytes()));
    put(&mut hasher, Some(&record.at_micros.to_be_bytes()));
    put(
        &mut hasher,
        record
            .actor_id
            .as_ref()
            .map(|id| id.0.as_bytes().as_slice()),
    );
    put(&mut hasher, Some(record.action.as_bytes()));
    put(&mut hasher, Some(record.target_type.as_bytes()));
    put(&mut hasher, Some(record.target_id.as_bytes()));
    put(&mut hasher, record.ip.as_deref().map(str::as_bytes));
    put(&mut hasher, record.before.as_deref().map(str::as_bytes));
    put(&mut hasher, record.after.as_deref().map(str::as_bytes));
    hasher.finalize().into()
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    /// How many entries were checked.
    pub entries: i64,
    /// The sequence number where the chain first breaks, if it does.
    pub first_bad: Option<i64>,
}

/// Walks entries in sequence order and finds the first that does not belong to the chain: a
/// changed entry (its hash no longer matches), a removed one (a gap in `seq`, or a `prev_hash`
/// that points elsewhere), or a removed tail (the head no longer matches the last entry).
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: Vec<u8>,
    checked: i64,
    first_bad: Option<i64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_vec(),
            checked: 0,
            first_bad: None,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, record: &AuditRecord) {
        self.checked += 1;
        if self.first_bad.is_some() {
            return;
        }
        let intact = record.seq == self.expected_seq
            && record.prev_hash == self.prev_hash
            && entry_hash(&record.prev_hash, record).as_slice() == record.hash.as_slice();
        if intact {
            self.expected_seq += 1;
            self.prev_hash = record.hash.clone();
        } else {
            self.first_bad = Some(record.seq.min(self.expected_seq));
        }
    }

    /// Compares the end of the walk with the recorded head (`seq` and `hash` of the last entry
    /// ever appended).
    pub fn finish(mut self, head_seq: i64, head_hash: &[u8]) -> AuditVerification {
        if self.first_bad.is_none()
            && (head_seq != self.expected_seq - 1 || head_hash != self.prev_hash)
        {
            self.first_bad = Some(self.expected_seq);
        }
        AuditVerification {
            ok: self.first_bad.is_none(),
            entries: self.checked,
            first_bad: self.first_bad,
        }
    }
}

/// An entry as shown to admins.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: AuditEntryId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// Hex SHA-256 of this entry, chained to the previous one.
    pub hash: String,
}

impl From<&AuditRecord> for AuditEntry {
    fn from(record: &AuditRecord) -> Self {
        let json =
            |text: &Option<String>| text.as_deref().and_then(|t| serde_json::from_str(t).ok());
        Self {
            seq: record.seq,
            id: record.id,
            at: crate::clock::from_micros(record.at_micros),
            actor_id: record.actor_id,
            action: record.action.clone(),
            target_type: record.target_type.clone(),
            target_id: record.target_id.clone(),
            ip: record.ip.clone(),
            before: json(&record.before),
            after: json(&record.after),
            hash: record.hash.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor_id: Option<UserId>,
    pub action: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_vec();
        (1..=n)
            .map(|seq| {
                let mut record = AuditRecord {
                    seq,
                    id: AuditEntryId::new(),
                    at_micros: 1_000 * seq,
                    actor_id: Some(UserId::new()),
                    action: "event.created".into(),
                    target_type: "event".into(),
                    target_id: format!("target-{seq}"),
                    ip: Some("127.0.0.1".into()),
                    before: None,
                    after: Some(format!(r#"{{"n":{seq}}}"#)),
                    prev_hash: prev.clone(),
                    hash: vec![],
                };
                record.hash = entry_hash(&prev, &record).to_vec();
                prev = record.hash.clone();
                record
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], head_seq: i64, head_hash: &[u8]) -> AuditVerification {
        let mut verifier = ChainVerifier::default();
        records.iter().for_each(|r| verifier.check(r));
        verifier.finish(head_seq, head_hash)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let records = chain(5);
        let head = records[4].hash.clone();
        assert_eq!(
            verify(&records, 5, &head),
            AuditVerification {
                ok: true,
                entries: 5,
                first_bad: None
            }
        );
        assert!(verify(&[], 0, &GENESIS_HASH).ok);
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut records = chain(5);
        let head = records[4].hash.clone();
        records[2].after = Some(r#"{"n":999}"#.into());
        assert_eq!(verify(&records, 5, &head).first_bad, Some(3));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut records = chain(5);
        let head = records[4].hash.clone();
        records.remove(1);
        assert_eq!(verify(&records, 5, &head).first_bad, Some(2));
    }

    #[test]
    fn a_deleted_tail_is_found() {
        let mut records = chain(5);
        let head = records[4].hash.clone();
        records.pop();
        assert_eq!(verify(&records, 5, &head).first_bad, Some(5));
    }

    #[test]
    fn a_rehashed_entry_still_breaks_the_link_to_its_successor() {
        let mut records = chain(4);
        let head = records[3].hash.clone();
        records[1].action = "user.roles_changed".into();
        records[1].hash = entry_hash(&records[1].prev_hash.clone(), &records[1]).to_vec();
        assert_eq!(verify(&records, 4, &head).first_bad, Some(3));
    }

    #[test]
    fn absent_and_empty_fields_hash_differently() {
        let mut a = chain(1).remove(0);
        a.ip = None;
        let mut b = a.clone();
        b.ip = Some(String::new());
        assert_ne!(entry_hash(&GENESIS_HASH, &a), entry_hash(&GENESIS_HASH, &b));
    }
}
