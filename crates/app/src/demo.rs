//! `bilheteria seed --demo`: a box office with something in it for a newcomer. A demo
//! organizer who owns a demo organization, a 2,000-seat theatre and a stadium with seated
//! sections and standing areas, events with sessions in the coming weeks (one sold through the waiting room, opening a few
//! minutes after seeding), products, and the half-price reserve every session has. Everything is
//! made through the application's own operations, as an organizer would make it.

use crate::App;
use crate::accounts::{AccountForm, account_to_create};
use crate::catalog::{create_event, create_product, create_session, create_venue};
use crate::error::{AppError, AppResult};
use bilheteria_domain::account::{Email, Role, Roles, User};
use bilheteria_domain::audit::AuditContext;
use bilheteria_domain::catalog::{
    CategoryInput, EventInput, EventStatus, ProductInput, QueueInput, RowInput, SectionInput,
    SessionInput, Venue, VenueInput,
};
use bilheteria_domain::ids::EventId;
use bilheteria_domain::organization::OrganizationInput;
use time::{Duration, OffsetDateTime, Time};

/// The demo organizer's address: seeding twice is refused by it.
pub const DEMO_ORGANIZER: &str = "organizadora@demo.bilheteria.dev";

/// The demo organizer's organization, whose owner she is, and its (made-up, valid) CNPJ.
pub const DEMO_ORGANIZATION: &str = "Produtora Demonstração";
pub const DEMO_DOCUMENT: &str = "11.222.333/0001-81";

/// An event to make: title, description, category, tags, venue and its sessions.
type Plan<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [&'a str],
    &'a Venue,
    Vec<SessionInput>,
);

/// What seeding made, for the command line to tell.
pub struct Seeded {
    pub organizer_email: String,
    /// Shown once: the organizer's password, random.
    pub organizer_password: String,
    pub events: Vec<(EventId, String)>,
}

fn seated(name: &str, rows: usize, seats: i64) -> SectionInput {
    SectionInput {
        name: name.to_owned(),
        rows: Some(
            (0..rows)
                .map(|row| RowInput {
                    label: row_label(row),
                    seats,
                    ..RowInput::default()
                })
                .collect(),
        ),
        capacity: None,
    }
}

/// A, B, … Z, AA, AB, …
fn row_label(row: usize) -> String {
    let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
    if row < 26 {
        letter(row).to_string()
    } else {
        format!("{}{}", letter(row / 26 - 1), letter(row))
    }
}

fn standing(name: &str, capacity: i64) -> SectionInput {
    SectionInput {
        name: name.to_owned(),
        rows: None,
        capacity: Some(capacity),
    }
}

/// `days` from now at `hour`:00 in Brasília (UTC−3), as a session starts.
fn evening(now: OffsetDateTime, days: i64, hour: u8) -> OffsetDateTime {
    let date = (now + Duration::days(days)).date();
    let local = Time::from_hms(hour, 0, 0).unwrap_or(Time::MIDNIGHT);
    date.with_time(local).assume_utc() + Duration::hours(3)
}

fn session(
    starts_at: OffsetDateTime,
    sales_start_at: Option<OffsetDateTime>,
    venue: &Venue,
    prices: &[(&str, i64, &[usize])],
) -> SessionInput {
    SessionInput {
        starts_at,
        sales_start_at,
        // The requirement's cap, as every new session has it.
        max_tickets_per_user: None,
        hold_seconds: None,
        queue: None,
        currency: None,
        categories: prices
            .iter()
            .map(|(name, price_cents, sections)| CategoryInput {
                name: (*name).to_owned(),
                price_cents: *price_cents,
                section_ids: sections.iter().map(|i| venue.sections[*i].id).collect(),
            })
            .collect(),
        transfers: None,
        screen_codes: None,
        half_price_quota_percent: None,
        half_price_release_at: None,
        pix_expires_after_seconds: None,
    }
}

/// Seeds the demo box office, unless it was seeded before (`AppError::Conflict`-like refusal:
/// `DemoAlreadySeeded`).
pub async fn seed(app: &App) -> AppResult<Seeded> {
    let now = app.clock.now();
    let address =
        Email::parse(DEMO_ORGANIZER).map_err(|problem| AppError::internal(problem.code()))?;
    if app
        .store
        .find_credentials(address.normalized())
        .await?
        .is_some()
    {
        return Err(AppError::DemoAlreadySeeded);
    }
    let password = {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(AppError::internal)?;
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let form = AccountForm {
        email: DEMO_ORGANIZER,
        password: &password,
        name: "Organizadora Demonstração",
        language: None,
        fallback_language: Default::default(),
    };
    let roles = Roles::from_roles([Role::Customer, Role::Organizer]);
    let account = account_to_create(&form, roles, &app.passwords, now).await?;
    let organizer: User = app.store.create_user(account, None).await?;
    let audit = AuditContext {
        actor_id: Some(organizer.id),
        ip: None,
    };
    crate::organizations::create(
        app,
        &organizer,
        OrganizationInput {
            name: DEMO_ORGANIZATION.into(),
            document: DEMO_DOCUMENT.into(),
            contact_email: DEMO_ORGANIZER.into(),
        },
        &audit,
    )
    .await?;

    let theatre = create_venue(
        app,
        &organizer,
        VenueInput {
            organization_id: None,
            name: "Teatro Bilheteria".into(),
            city: "São Paulo".into(),
            time_zone: None,
            stage_position: None,
            stage_label: None,
            sections: vec![
                seated("Plateia", 20, 50),
                seated("Balcão", 16, 50),
                seated("Camarotes", 10, 20),
            ],
        },
        &audit,
    )
    .await?;
    let stadium = create_venue(
        app,
        &organizer,
        VenueInput {
            organization_id: None,
            name: "Arena Pernambuco Demonstração".into(),
            city: "Recife".into(),
            time_zone: Some("America/Recife".into()),
            stage_position: None,
            stage_label: None,
            sections: vec![
                seated("Cadeira Central", 20, 50),
                seated("Arquibancada Norte", 40, 50),
                seated("Arquibancada Sul", 40, 50),
                standing("Pista", 5_000),
                standing("Pista Premium", 1_000),
            ],
        },
        &audit,
    )
    .await?;

    let plans: [Plan<'_>; 4] = [
        (
            "Orquestra Sinfônica: Noite Brasileira",
            "Villa-Lobos, Guarnieri e Chiquinha Gonzaga pela orquestra da casa.",
            "music",
            &["clássica", "orquestra"],
            &theatre,
            vec![
                session(
                    evening(now, 10, 20),
                    None,
                    &theatre,
                    &[
                        ("Plateia", 18_000, &[0]),
                        ("Balcão", 12_000, &[1]),
                        ("Camarote", 30_000, &[2]),
                    ],
                ),
                session(
                    evening(now, 17, 20),
                    None,
                    &theatre,
                    &[
                        ("Plateia", 18_000, &[0]),
                        ("Balcão", 12_000, &[1]),
                        ("Camarote", 30_000, &[2]),
                    ],
                ),
            ],
        ),
        (
            "Stand-up: Risos de Domingo",
            "Uma noite de comédia com quatro humoristas.",
            "comedy",
            &["humor", "stand-up"],
            &theatre,
            vec![session(
                evening(now, 5, 19),
                None,
                &theatre,
                &[("Plateia", 8_000, &[0]), ("Balcão", 6_000, &[1, 2])],
            )],
        ),
        (
            "Festival Verão Nordeste",
            "Forró, frevo e manguebeat: a grande noite do verão. Venda pela fila virtual.",
            "music",
            &["festival", "forró", "frevo"],
            &stadium,
            vec![SessionInput {
                queue: Some(QueueInput {
                    enabled: true,
                    admit_per_minute: Some(600),
                    max_active: None,
                    proof_of_work_bits: None,
                }),
                ..session(
                    evening(now, 21, 18),
                    Some(now + Duration::minutes(5)),
                    &stadium,
                    &[
                        ("Cadeira Central", 25_000, &[0]),
                        ("Arquibancada", 15_000, &[1, 2]),
                        ("Pista", 12_000, &[3]),
                        ("Pista Premium", 28_000, &[4]),
                    ],
                )
            }],
        ),
        (
            "Clássico Regional",
            "O maior clássico do estado, com os portões abrindo duas horas antes.",
            "sports",
            &["futebol"],
            &stadium,
            vec![session(
                evening(now, 14, 16),
                None,
                &stadium,
                &[
                    ("Cadeira Central", 16_000, &[0]),
                    ("Arquibancada", 8_000, &[1, 2]),
                ],
            )],
        ),
    ];
    let mut events = Vec::new();
    for (title, description, category, tags, venue, sessions) in plans {
        let event = create_event(
            app,
            &organizer,
            EventInput {
                organization_id: None,
                title: title.to_owned(),
                description: description.to_owned(),
                category: category.to_owned(),
                tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
                venue_id: venue.id,
                status: EventStatus::Published,
            },
            &audit,
        )
        .await?;
        for input in sessions {
            create_session(app, &organizer, event.id, input, &audit).await?;
        }
        events.push((event.id, event.title));
    }
    let all_events: Vec<EventId> = events.iter().map(|(id, _)| *id).collect();
    for (name, price_cents, stock, event_ids) in [
        ("Copo oficial", 2_500, 2_000, all_events.clone()),
        ("Camiseta do festival", 8_990, 500, vec![all_events[2]]),
        ("Estacionamento", 4_000, 800, all_events.clone()),
    ] {
        create_product(
            app,
            &organizer,
            ProductInput {
                organization_id: None,
                name: name.to_owned(),
                description: String::new(),
                price_cents,
                currency: None,
                stock,
                tags: vec![],
                event_ids,
            },
            &audit,
        )
        .await?;
    }
    Ok(Seeded {
        organizer_email: DEMO_ORGANIZER.to_owned(),
        organizer_password: password,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_lettered_past_z() {
        assert_eq!(row_label(0), "A");
        assert_eq!(row_label(25), "Z");
        assert_eq!(row_label(26), "AA");
        assert_eq!(row_label(39), "AN");
    }
}
