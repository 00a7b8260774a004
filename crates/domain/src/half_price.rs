//! Meia-entrada (B1): half-price tickets by law. Lei 12.933/2013 and Decreto 8.537/2015 give
//! students, people with disabilities (and, when needed, one companion) and low-income youth the
//! right to half the price charged to the public, and assure them a share of the places on sale
//! (at least 40 %, the session's quota). Seniors (60+) pay half by the Estatuto do Idoso
//! (Lei 10.741/2003), outside that quota. A session's places are kept in two pools: the reserve,
//! for half-price buyers of the quota, and the open places, for everyone else; an organizer may
//! open the unsold reserve to everyone from a chosen moment.

use crate::validation::{FieldErrors, FieldProblem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The least share of a session's places reserved for half-price buyers, by law.
pub const MIN_QUOTA_PERCENT: i64 = 40;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    #[default]
    Full,
    Half,
}

impl TicketType {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketType::Full => "full",
            TicketType::Half => "half",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "full" => Some(TicketType::Full),
            "half" => Some(TicketType::Half),
            _ => None,
        }
    }

    /// The unit price of this type for a category priced `full_price_cents`.
    pub fn price_cents(self, full_price_cents: i64) -> i64 {
        match self {
            TicketType::Full => full_price_cents,
            TicketType::Half => half_price_cents(full_price_cents),
        }
    }
}

/// Half of a price, rounded down to the centavo: the buyer never pays more than half
/// (R$ 45,55 → R$ 22,77).
pub fn half_price_cents(full_price_cents: i64) -> i64 {
    full_price_cents.max(0) / 2
}

/// Why a buyer may pay half, and so which document is shown when buying and at the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Students with the national student ID (CIE/DNE).
    Student,
    /// People with disabilities.
    Pcd,
    /// The companion of a person with disabilities, when needed.
    PcdCompanion,
    /// Low-income youth aged 15 to 29 with the ID Jovem.
    YouthLowIncome,
    /// People aged 60 or more (Estatuto do Idoso): half price outside the quota.
    Senior,
}

impl Eligibility {
    pub const ALL: [Eligibility; 5] = [
        Eligibility::Student,
        Eligibility::Pcd,
        Eligibility::PcdCompanion,
        Eligibility::YouthLowIncome,
        Eligibility::Senior,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Eligibility::Student => "student",
            Eligibility::Pcd => "pcd",
            Eligibility::PcdCompanion => "pcd_companion",
            Eligibility::YouthLowIncome => "youth_low_income",
            Eligibility::Senior => "senior",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }

    /// Every ground's code, in the order of [`Eligibility::ALL`].
    pub const CODES: &'static [&'static str] = &[
        "student",
        "pcd",
        "pcd_companion",
        "youth_low_income",
        "senior",
    ];

    /// Whether a half-price ticket on this ground counts in the session's quota (Lei 12.933);
    /// seniors' half price is due by another law, outside it.
    pub fn in_quota(self) -> bool {
        self != Eligibility::Senior
    }

    /// Who the buyer is, in Portuguese ("estudante").
    pub fn label_pt(self) -> &'static str {
        match self {
            Eligibility::Student => "estudante",
            Eligibility::Pcd => "pessoa com deficiência",
            Eligibility::PcdCompanion => "acompanhante de pessoa com deficiência",
            Eligibility::YouthLowIncome => "jovem de baixa renda (ID Jovem)",
            Eligibility::Senior => "pessoa idosa (60+)",
        }
    }

    /// Who the buyer is, in English ("student").
    pub fn label_en(self) -> &'static str {
        match self {
            Eligibility::Student => "student",
            Eligibility::Pcd => "person with a disability",
            Eligibility::PcdCompanion => "companion of a person with a disability",
            Eligibility::YouthLowIncome => "low-income youth (ID Jovem)",
            Eligibility::Senior => "senior (60+)",
        }
    }

    /// The document to show, in Portuguese.
    pub fn document_pt(self) -> &'static str {
        match self {
            Eligibility::Student => "Carteira de Identificação Estudantil (CIE/DNE) válida",
            Eligibility::Pcd => "Cartão do BPC ou documento que comprove a deficiência",
            Eligibility::PcdCompanion => {
                "Documento da pessoa com deficiência acompanhada, que deve estar presente"
            }
            Eligibility::YouthLowIncome => "ID Jovem válida e documento de identidade com foto",
            Eligibility::Senior => "Documento de identidade com foto (60 anos ou mais)",
        }
    }

    /// The document to show, in English.
    pub fn document_en(self) -> &'static str {
        match self {
            Eligibility::Student => "A valid national student ID (CIE/DNE)",
            Eligibility::Pcd => "BPC card or a document proving the disability",
            Eligibility::PcdCompanion => {
                "The accompanied person's disability document; they must be present"
            }
            Eligibility::YouthLowIncome => "A valid ID Jovem and a photo ID",
            Eligibility::Senior => "A photo ID (aged 60 or more)",
        }
    }
}

/// A session's meia-entrada settings (`half_price_quota_percent`, `half_price_release_at` in
/// the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HalfPriceSettings {
    /// The share of the session's places reserved for half-price buyers (40 to 100).
    pub quota_percent: i64,
    /// From this moment the unsold reserve is open to full-price buyers too; never when absent.
    pub release_at: Option<OffsetDateTime>,
}

impl Default for HalfPriceSettings {
    fn default() -> Self {
        Self {
            quota_percent: MIN_QUOTA_PERCENT,
            release_at: None,
        }
    }
}

impl HalfPriceSettings {
    /// Checks the settings of a session starting at `starts_at`, errors under `{field}_…`.
    pub fn validate(
        self,
        field: &str,
        starts_at: OffsetDateTime,
        errors: &mut FieldErrors,
    ) -> Option<Self> {
        let quota_percent = errors.check(
            format!("{field}_quota_percent"),
            if (MIN_QUOTA_PERCENT..=100).contains(&self.quota_percent) {
                Ok(self.quota_percent)
            } else {
                Err(FieldProblem::QuotaOutOfRange {
                    min: MIN_QUOTA_PERCENT,
                })
            },
        );
        if self.release_at.is_some_and(|at| at >= starts_at) {
            errors.add(format!("{field}_release_at"), FieldProblem::NotBeforeStart);
            return None;
        }
        Some(Self {
            quota_percent: quota_percent?,
            release_at: self.release_at,
        })
    }

    /// Whether full-price buyers may take places of the unsold reserve at `now`.
    pub fn reserve_open_at(&self, now: OffsetDateTime) -> bool {
        self.release_at.is_some_and(|at| now >= at)
    }
}

/// How many of `places` the quota reserves: rounded up, so that at least the share is assured.
pub fn quota_places(places: i64, percent: i64) -> i64 {
    let (places, percent) = (places.max(0), percent.clamp(0, 100));
    (places * percent + 99) / 100
}

/// The half-price places a hold asks for, with the buyer's ground.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HalfPriceClaim {
    /// The held seats sold at half price (a subset of the hold's seats; empty when standing).
    pub seats: Vec<crate::ids::SeatId>,
    /// How many of the hold's units are half price.
    pub units: i64,
    pub eligibility: Option<Eligibility>,
}

impl HalfPriceClaim {
    /// Units that must come from the reserve.
    pub fn quota_units(&self) -> i64 {
        if self.eligibility.is_some_and(Eligibility::in_quota) {
            self.units
        } else {
            0
        }
    }
}

/// The live count of a session's reserve, as the law says the public must see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HalfPriceAvailability {
    /// Places reserved for half-price buyers.
    pub quota: i64,
    pub sold: i64,
    pub held: i64,
    /// Half-price places still on sale.
    pub available: i64,
    /// Every place on sale in the session, half or full.
    pub total_places: i64,
    pub quota_percent: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn codes_are_the_grounds_in_order() {
        let codes: Vec<&str> = Eligibility::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(codes, Eligibility::CODES);
    }

    #[test]
    fn half_price_rounds_down_to_the_centavo() {
        assert_eq!(half_price_cents(10_000), 5_000);
        assert_eq!(half_price_cents(4_555), 2_277);
        assert_eq!(half_price_cents(1), 0);
        assert_eq!(half_price_cents(0), 0);
        assert_eq!(TicketType::Half.price_cents(9_999), 4_999);
        assert_eq!(TicketType::Full.price_cents(9_999), 9_999);
    }

    #[test]
    fn the_quota_is_rounded_up() {
        assert_eq!(quota_places(2_000, 40), 800);
        assert_eq!(quota_places(11, 40), 5, "4.4 places assure 5");
        assert_eq!(quota_places(1, 40), 1);
        assert_eq!(quota_places(0, 40), 0);
        assert_eq!(quota_places(10, 100), 10);
    }

    #[test]
    fn the_quota_cannot_go_below_the_law() {
        let starts = datetime!(2027-03-01 20:00 UTC);
        for (percent, ok) in [
            (39, false),
            (40, true),
            (100, true),
            (101, false),
            (0, false),
        ] {
            let mut errors = FieldErrors::new();
            let settings = HalfPriceSettings {
                quota_percent: percent,
                release_at: None,
            };
            assert_eq!(
                settings
                    .validate("half_price", starts, &mut errors)
                    .is_some(),
                ok,
                "{percent}"
            );
            if !ok {
                assert_eq!(errors.0[0].field, "half_price_quota_percent");
            }
        }
        let mut errors = FieldErrors::new();
        let late = HalfPriceSettings {
            quota_percent: 40,
            release_at: Some(starts),
        };
        assert!(late.validate("half_price", starts, &mut errors).is_none());
        assert_eq!(errors.0[0].field, "half_price_release_at");
    }

    #[test]
    fn the_reserve_opens_only_when_the_organizer_says() {
        let at = datetime!(2027-03-01 12:00 UTC);
        assert!(!HalfPriceSettings::default().reserve_open_at(at));
        let release = HalfPriceSettings {
            quota_percent: 40,
            release_at: Some(at),
        };
        assert!(!release.reserve_open_at(at - time::Duration::SECOND));
        assert!(release.reserve_open_at(at));
    }

    #[test]
    fn seniors_pay_half_outside_the_quota() {
        let claim = |eligibility| HalfPriceClaim {
            seats: vec![],
            units: 2,
            eligibility: Some(eligibility),
        };
        assert_eq!(claim(Eligibility::Senior).quota_units(), 0);
        for ground in [
            Eligibility::Student,
            Eligibility::Pcd,
            Eligibility::PcdCompanion,
            Eligibility::YouthLowIncome,
        ] {
            assert_eq!(claim(ground).quota_units(), 2);
            assert_eq!(Eligibility::parse(ground.as_str()), Some(ground));
        }
    }
}
