use super::*;
use time::macros::datetime;

fn row(label: &str, seats: i64) -> RowInput {
    RowInput {
        label: label.into(),
        seats,
        ..RowInput::default()
    }
}

fn venue_input() -> VenueInput {
    VenueInput {
        organization_id: None,
        name: "Arena".into(),
        city: "São Paulo".into(),
        time_zone: None,
        stage_position: None,
        stage_label: None,
        sections: vec![
            SectionInput {
                name: "Plateia".into(),
                rows: Some(vec![row("A", 10), row("B", 12)]),
                capacity: None,
            },
            SectionInput {
                name: "Pista".into(),
                rows: None,
                capacity: Some(500),
            },
        ],
    }
}

fn venue() -> Venue {
    let parsed = venue_input().parse().unwrap();
    Venue {
        id: VenueId::new(),
        organization_id: OrganizationId::new(),
        owner_id: UserId::new(),
        name: parsed.name,
        city: parsed.city,
        time_zone: parsed.time_zone,
        stage_position: parsed.stage_position,
        stage_label: parsed.stage_label,
        sections: parsed
            .sections
            .iter()
            .map(|s| Section {
                id: SectionId::new(),
                name: s.name.clone(),
                kind: match s.layout {
                    SectionLayout::Seated { .. } => SectionKind::Seated,
                    SectionLayout::Standing { .. } => SectionKind::Standing,
                },
                capacity: s.capacity(),
                rows: vec![],
            })
            .collect(),
        created_at: datetime!(2026-01-01 0:00 UTC),
    }
}

#[test]
fn a_valid_venue_parses_with_capacities() {
    let venue = venue_input().parse().unwrap();
    assert_eq!(venue.sections[0].capacity(), 22);
    assert_eq!(venue.sections[1].capacity(), 500);
}

#[test]
fn venue_errors_name_every_bad_field() {
    let mut input = venue_input();
    input.name = " ".into();
    input.sections[0].rows = Some(vec![row("A", 0), row("A", 5)]);
    input.sections[1].capacity = Some(-3);
    input.sections.push(SectionInput {
        name: "pista".into(),
        rows: None,
        capacity: None,
    });
    let errors = input.parse().unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "sections[0].rows[0].seats",
            "sections[0].rows[1].label",
            "sections[1].capacity",
            "sections[2].name",
            "sections[2]",
        ]
    );
}

#[test]
fn a_venue_cannot_exceed_the_seat_limit() {
    let rows = (0..MAX_ROWS_PER_SECTION)
        .map(|i| row(&format!("R{i}"), MAX_SEATS_PER_ROW))
        .collect();
    let input = VenueInput {
        organization_id: None,
        name: "Huge".into(),
        city: "X".into(),
        time_zone: None,
        stage_position: None,
        stage_label: None,
        sections: vec![SectionInput {
            name: "All".into(),
            rows: Some(rows),
            capacity: None,
        }],
    };
    assert_eq!(input.parse().unwrap_err().0[0].field, "sections");
}

#[test]
fn a_stadium_of_a_hundred_thousand_seats_fits_and_the_section_limit_holds() {
    let sector = |i: usize| SectionInput {
        name: format!("Setor {i}"),
        rows: Some((0..10).map(|r| row(&format!("F{r}"), 50)).collect()),
        capacity: None,
    };
    let stadium = VenueInput {
        organization_id: None,
        name: "Estádio".into(),
        city: "Rio de Janeiro".into(),
        time_zone: None,
        stage_position: None,
        stage_label: None,
        sections: (0..200).map(sector).collect(),
    };
    let parsed = stadium.clone().parse().unwrap();
    assert_eq!(parsed.sections.len(), 200);
    let booths = |count: usize| VenueInput {
        organization_id: None,
        sections: (0..count)
            .map(|i| SectionInput {
                name: format!("Camarote {i}"),
                rows: Some(vec![row("A", 1)]),
                capacity: None,
            })
            .collect(),
        ..stadium.clone()
    };
    assert!(booths(MAX_SECTIONS).parse().is_ok());
    let refused = booths(MAX_SECTIONS + 1).parse().unwrap_err().0;
    assert_eq!(refused[0].field, "sections");
    assert_eq!(
        refused[0].problem,
        FieldProblem::CountOutOfRange { min: 1, max: 500 }
    );
}

#[test]
fn tags_are_normalised_and_bounded() {
    assert_eq!(
        parse_tags(&["Rock".into(), "rock".into(), "ao-vivo".into()]),
        Ok(vec!["rock".into(), "ao-vivo".into()])
    );
    assert!(parse_tags(&["two words".into()]).is_err());
    assert!(parse_tags(&vec!["t".to_string(); 21]).is_err());
}

#[test]
fn search_terms_strip_query_syntax() {
    assert_eq!(
        search_terms("Rock\" OR 1=1 -- *São*"),
        vec!["rock", "or", "1", "1", "sao"]
    );
    assert!(search_terms("  ***  ").is_empty());
}

#[test]
fn categories_are_named_by_code_or_either_label_accents_and_case_ignored() {
    for (raw, category) in [
        ("music", Category::Music),
        ("Música", Category::Music),
        ("MUSICA", Category::Music),
        ("comédia", Category::Comedy),
        ("Comedy", Category::Comedy),
        (" danca ", Category::Dance),
        ("theatre", Category::Theatre),
        ("Teatro", Category::Theatre),
    ] {
        assert_eq!(Category::parse(raw), Some(category), "{raw}");
    }
    assert_eq!(Category::parse("rock"), None);
    for lang in Language::ALL {
        let labels: HashSet<_> = Category::ALL.iter().map(|c| fold(c.label(lang))).collect();
        assert_eq!(
            labels.len(),
            Category::ALL.len(),
            "labels are distinct in {lang:?}"
        );
    }
    for category in Category::ALL {
        assert_eq!(Category::parse(category.as_str()), Some(category));
        for lang in Language::ALL {
            assert_eq!(Category::parse(category.label(lang)), Some(category));
        }
    }
}

#[test]
fn event_patch_keeps_absent_fields() {
    let created = EventInput {
        organization_id: None,
        title: "Show".into(),
        description: String::new(),
        category: "Music".into(),
        tags: vec![],
        venue_id: VenueId::new(),
        status: EventStatus::Draft,
    }
    .parse()
    .unwrap();
    assert_eq!(created.category, Category::Music);
    let event = Event {
        id: EventId::new(),
        organization_id: OrganizationId::new(),
        owner_id: UserId::new(),
        venue_id: created.venue_id,
        title: created.title,
        description: created.description,
        category: created.category,
        tags: created.tags,
        status: created.status,
        poster: None,
        created_at: datetime!(2026-01-01 0:00 UTC),
        updated_at: datetime!(2026-01-01 0:00 UTC),
        organization_suspended: false,
        cancelled_at: None,
        cancel_reason: None,
        published: false,
    };
    let patched = EventPatch {
        status: Some(EventStatus::Published),
        ..Default::default()
    }
    .apply_to(&event)
    .unwrap();
    assert_eq!(patched.title, "Show");
    assert_eq!(patched.status, EventStatus::Published);
    assert!(
        EventPatch {
            title: Some(String::new()),
            ..Default::default()
        }
        .apply_to(&event)
        .is_err()
    );
}

fn session_input(venue: &Venue) -> SessionInput {
    SessionInput {
        starts_at: datetime!(2026-12-01 21:00 UTC),
        sales_start_at: Some(datetime!(2026-11-01 10:00 UTC)),
        max_tickets_per_user: None,
        hold_seconds: None,
        queue: None,
        currency: None,
        transfers: None,
        screen_codes: None,
        half_price_quota_percent: None,
        half_price_release_at: None,
        pix_expires_after_seconds: None,
        categories: vec![
            CategoryInput {
                name: "VIP".into(),
                price_cents: 50_000,
                section_ids: vec![venue.sections[0].id],
            },
            CategoryInput {
                name: "Pista".into(),
                price_cents: 20_000,
                section_ids: vec![venue.sections[1].id],
            },
        ],
    }
}

#[test]
fn a_session_gets_its_defaults() {
    let venue = venue();
    let session = session_input(&venue)
        .parse(datetime!(2026-10-01 0:00 UTC), &venue)
        .unwrap();
    assert_eq!(session.max_tickets_per_user, 2);
    assert_eq!(session.hold_seconds, 600);
    assert!(!session.queue.enabled);
    assert_eq!(session.currency, Currency::brl());
    assert_eq!(session.half_price.quota_percent, 40);
    assert_eq!(session.pix_expires_after_seconds, 900);
}

#[test]
fn a_session_reserves_at_least_the_law_s_half_price_share() {
    let venue = venue();
    let mut input = session_input(&venue);
    input.half_price_quota_percent = Some(30);
    input.pix_expires_after_seconds = Some(10);
    let errors = input
        .parse(datetime!(2026-10-01 0:00 UTC), &venue)
        .unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["half_price_quota_percent", "pix_expires_after_seconds"]
    );
}

#[test]
fn session_sections_must_belong_to_the_venue_and_to_one_category() {
    let venue = venue();
    let mut input = session_input(&venue);
    input.categories[1].section_ids = vec![venue.sections[0].id, SectionId::new()];
    let errors = input
        .parse(datetime!(2026-10-01 0:00 UTC), &venue)
        .unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "categories[1].section_ids[0]",
            "categories[1].section_ids[1]"
        ]
    );
}

#[test]
fn session_times_and_limits_are_checked() {
    let venue = venue();
    let mut input = session_input(&venue);
    input.sales_start_at = Some(datetime!(2026-12-02 0:00 UTC));
    input.max_tickets_per_user = Some(0);
    input.hold_seconds = Some(5);
    input.currency = Some("R$".into());
    let errors = input
        .parse(datetime!(2026-10-01 0:00 UTC), &venue)
        .unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "sales_start_at",
            "max_tickets_per_user",
            "hold_seconds",
            "currency"
        ]
    );
    let past = session_input(&venue)
        .parse(datetime!(2027-01-01 0:00 UTC), &venue)
        .unwrap_err();
    assert_eq!(past.0[0].field, "starts_at");
}

#[test]
fn seat_map_letters_name_statuses() {
    for status in [SeatStatus::Available, SeatStatus::Held, SeatStatus::Sold] {
        assert_eq!(
            SeatStatus::from_letter(status.as_str().as_bytes()[0]),
            Some(status)
        );
    }
    assert_eq!(SeatStatus::from_letter(b'x'), None);
}

#[test]
fn products_validate_and_patch() {
    let input = ProductInput {
        organization_id: None,
        name: "Camiseta".into(),
        description: String::new(),
        price_cents: 8_000,
        currency: Some("brl".into()),
        stock: 100,
        tags: vec!["merch".into()],
        event_ids: vec![],
    };
    let fields = input.clone().parse().unwrap();
    assert_eq!(fields.currency.as_str(), "BRL");
    let bad = ProductInput {
        organization_id: None,
        price_cents: -1,
        stock: MAX_STOCK + 1,
        ..input
    }
    .parse()
    .unwrap_err();
    let names: Vec<&str> = bad.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, vec!["price_cents", "stock"]);
    assert_eq!(fields.stock, Some(100));
}

#[test]
fn a_patch_without_stock_leaves_it_to_sales() {
    let input = ProductInput {
        organization_id: None,
        name: "Camiseta".into(),
        description: String::new(),
        price_cents: 8_000,
        currency: None,
        stock: 100,
        tags: vec![],
        event_ids: vec![],
    };
    let fields = input.parse().unwrap();
    let current = Product {
        id: ProductId::new(),
        organization_id: OrganizationId::new(),
        owner_id: UserId::new(),
        name: fields.name,
        description: fields.description,
        price_cents: fields.price_cents,
        currency: fields.currency,
        stock: 37,
        tags: fields.tags,
        event_ids: fields.event_ids,
        image: None,
        created_at: datetime!(2026-01-01 0:00 UTC),
        updated_at: datetime!(2026-01-01 0:00 UTC),
    };
    let renamed = ProductPatch {
        name: Some("Boné".into()),
        ..Default::default()
    };
    assert_eq!(renamed.apply_to(&current).unwrap().stock, None);
    let restocked = ProductPatch {
        stock: Some(500),
        ..Default::default()
    };
    assert_eq!(restocked.apply_to(&current).unwrap().stock, Some(500));
    let bad = ProductPatch {
        stock: Some(-1),
        ..Default::default()
    };
    assert_eq!(bad.apply_to(&current).unwrap_err().0[0].field, "stock");
}

#[test]
fn the_sale_window_opens_at_sales_start_and_closes_when_the_session_starts() {
    let (opens, starts) = (
        datetime!(2026-12-01 10:00 UTC),
        datetime!(2026-12-20 21:00 UTC),
    );
    let at = |now| sale_window(opens, starts, now);
    assert_eq!(at(datetime!(2026-12-01 09:59:59 UTC)), SaleWindow::NotOpen);
    assert_eq!(at(opens), SaleWindow::Open);
    assert_eq!(at(datetime!(2026-12-20 20:59:59 UTC)), SaleWindow::Open);
    assert_eq!(at(starts), SaleWindow::Closed);
    // A session whose sales would open after it starts never sells.
    assert_eq!(sale_window(starts, opens, starts), SaleWindow::Closed);
}

#[test]
fn an_event_is_cancelled_by_its_operation_never_by_a_body() {
    let venue = VenueId::new();
    let input = EventInput {
        organization_id: None,
        title: "Show".into(),
        description: String::new(),
        category: "music".into(),
        tags: vec![],
        venue_id: venue,
        status: EventStatus::Cancelled,
    };
    let refused = input.parse().unwrap_err();
    assert!(refused.0.iter().any(|e| e.field == "status"), "{refused:?}");
    assert_eq!(
        CancelEventInput {
            reason: Some("  ".into())
        }
        .parse()
        .unwrap(),
        None
    );
    assert_eq!(
        CancelEventInput {
            reason: Some(" Chuva forte ".into())
        }
        .parse()
        .unwrap(),
        Some("Chuva forte".into())
    );
    assert!(
        CancelEventInput {
            reason: Some("x".repeat(501))
        }
        .parse()
        .is_err()
    );
}
